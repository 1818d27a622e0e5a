"""Who sees a mobile number and a start date: the rule (EmployeeQuerySet.with_private_fields), every route.

A unique number and date are planted on one employee, changed once so that the change history holds them too,
and each route is asked for them by a plain reader, by a manager two levels up the reporting line and by an
editor. test_access_control.py walks every URL pattern as a reader with the same values planted.
"""

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from employees.models import Employee, Visibility

from .factories import EditorFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

MOBILE = "+34699482713"
# Every way a page or a file may write the number or the date.
MOBILE_FORMS = ["+34699482713", "+34 699 48 27 13", "699 48 27 13", "699482713"]
START_DATE = date(1987, 3, 14)
START_DATE_FORMS = ["1987-03-14", "March 14, 1987", "Mar. 14, 1987", "14/03/1987", "19870314"]


def plant_private_values(employee, visibility=Visibility.MANAGERS):
    """Give ``employee`` the unique mobile and start date in a second save: the history has a diff of them."""
    employee.mobile = MOBILE
    employee.start_date = START_DATE
    employee.mobile_visibility = employee.start_date_visibility = visibility
    employee.save()
    return employee


def private_values_in(text):
    """Which of the planted values appear in ``text``, in any of their forms."""
    found = set()
    if any(form in text for form in MOBILE_FORMS):
        found.add("mobile")
    if any(form in text for form in START_DATE_FORMS):
        found.add("start_date")
    return found


def content(response):
    assert response.status_code == 200, response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode()


@pytest.fixture
def line():
    """top manages middle, who manages pat; pat manages junior. Each of them signs in with an account."""
    top = EmployeeFactory(full_name="Tess Top", user=UserFactory(username="top"))
    middle = EmployeeFactory(full_name="Max Middle", manager=top, user=UserFactory(username="middle"))
    pat = EmployeeFactory(full_name="Pat Private", manager=middle, user=UserFactory(username="pat"))
    junior = EmployeeFactory(full_name="Jo Junior", manager=pat, user=UserFactory(username="junior"))
    return {"top": top, "middle": middle, "pat": pat, "junior": junior}


def visible_to(user, employee):
    row = Employee.objects.with_private_fields(user).get(pk=employee.pk)
    return {
        name
        for name, value in [("mobile", row.visible_mobile), ("start_date", row.visible_start_date)]
        if value
    }


# The rule


@pytest.mark.parametrize(
    ("visibility", "viewer", "sees"),
    [
        (Visibility.EVERYONE, "reader", True),
        (Visibility.EVERYONE, "junior", True),
        (Visibility.MANAGERS, "reader", False),
        (Visibility.MANAGERS, "junior", False),
        (Visibility.MANAGERS, "middle", True),
        (Visibility.MANAGERS, "top", True),
        (Visibility.MANAGERS, "pat", True),
        (Visibility.MANAGERS, "editor", True),
        (Visibility.EDITORS, "top", False),
        (Visibility.EDITORS, "middle", False),
        (Visibility.EDITORS, "reader", False),
        (Visibility.EDITORS, "pat", True),
        (Visibility.EDITORS, "editor", True),
        (Visibility.EDITORS, "superuser", True),
    ],
)
def test_who_sees_a_private_field(line, reader, editor, visibility, viewer, sees):
    plant_private_values(line["pat"], visibility)
    users = {
        "reader": reader,
        "editor": editor,
        "superuser": UserFactory(username="root", is_superuser=True),
        **{name: employee.user for name, employee in line.items()},
    }
    assert visible_to(users[viewer], line["pat"]) == ({"mobile", "start_date"} if sees else set())


def test_each_field_has_its_own_setting(line):
    pat = plant_private_values(line["pat"], Visibility.EDITORS)
    pat.mobile_visibility = Visibility.EVERYONE
    pat.save()
    assert visible_to(UserFactory(), pat) == {"mobile"}


def test_anonymous_users_see_only_what_everyone_may(line):
    plant_private_values(EmployeeFactory(), Visibility.MANAGERS)  # no linked account: user is NULL
    shared = plant_private_values(EmployeeFactory(), Visibility.EVERYONE)
    rows = Employee.objects.with_private_fields(AnonymousUser()).exclude(visible_mobile=None)
    assert [row.pk for row in rows if row.visible_mobile] == [shared.pk]


def test_a_manager_without_an_account_gives_nobody_their_reports_values(line, reader):
    plant_private_values(line["pat"])
    line["middle"].user = None
    line["middle"].save()
    assert visible_to(reader, line["pat"]) == set()


def test_reporting_to_finds_direct_and_indirect_reports_only(line):
    EmployeeFactory(full_name="Someone Else")
    reports = Employee.objects.reporting_to(line["top"].user)
    assert sorted(employee.full_name for employee in reports) == ["Jo Junior", "Max Middle", "Pat Private"]
    assert list(Employee.objects.reporting_to(line["junior"].user)) == []
    assert list(Employee.objects.reporting_to(UserFactory())) == []
    assert list(Employee.objects.reporting_to(AnonymousUser())) == []


def test_reporting_to_ends_even_on_a_cycle(line):
    # Forms refuse cycles; this one is written behind their back, as a broken import might.
    Employee.objects.filter(pk=line["top"].pk).update(manager=line["junior"])
    reports = {employee.full_name for employee in Employee.objects.reporting_to(line["pat"].user)}
    assert reports == {"Jo Junior", "Tess Top", "Max Middle", "Pat Private"}


@pytest.mark.parametrize("depth", [3, 40])
def test_the_rule_costs_one_query_whatever_the_depth(reader, depth, django_assert_num_queries):
    boss = EmployeeFactory(user=UserFactory(username="boss"))
    employee = boss
    for _ in range(depth):
        employee = EmployeeFactory(manager=employee, mobile=MOBILE)
    boss.user.get_all_permissions()  # read once per request, by the navigation already
    with django_assert_num_queries(1):
        rows = list(Employee.objects.with_private_fields(boss.user))
    assert sum(1 for row in rows if row.visible_mobile) == depth


def test_search_never_finds_a_private_value(line, editor_client):
    plant_private_values(line["pat"], Visibility.EVERYONE)
    assert "699" not in Employee.objects.get(pk=line["pat"].pk).search_text
    for query in ["699482713", "+34699482713", "1987-03-14", "1987"]:
        assert not Employee.objects.search(query).exists()
        page = content(editor_client.get(reverse("employees:list"), {"q": query}))
        assert "Pat Private" not in page
        api = editor_client.get(reverse("api:employee-list"), {"q": query}).json()
        assert api["count"] == 0


# Every route


def detail(client, pat):
    return client.get(pat.get_absolute_url())


def api_list(client, pat):
    return client.get(reverse("api:employee-list"))


def api_detail(client, pat):
    return client.get(reverse("api:employee-detail", kwargs={"pk": pat.pk}))


def api_search(client, pat):
    return client.get(reverse("api:employee-list"), {"q": "Pat Private"})


def csv_export(client, pat):
    return client.get(reverse("employees:export-csv"))


def csv_search(client, pat):
    return client.get(reverse("employees:export-csv"), {"q": "Pat Private"})


def vcard(client, pat):
    return client.get(reverse("employees:vcard", kwargs={"pk": pat.pk}))


def vcard_export(client, pat):
    return client.get(reverse("employees:export-vcard"))


def list_page(client, pat):
    return client.get(reverse("employees:list"), {"q": "Pat Private"})


def headcount(client, pat):
    return client.get(reverse("employees:headcount"))


# Each route, with the private fields it shows to those who may see them.
ROUTES = [
    (detail, {"mobile", "start_date"}),
    (api_list, {"mobile", "start_date"}),
    (api_detail, {"mobile", "start_date"}),
    (api_search, {"mobile", "start_date"}),
    (csv_export, {"mobile", "start_date"}),
    (csv_search, {"mobile", "start_date"}),
    (vcard, {"mobile"}),  # vCard 3.0 has no property for a start date
    (vcard_export, {"mobile"}),
    (list_page, set()),  # the list page is cached for every reader alike: it shows no private field
    (headcount, set()),
]


@pytest.fixture
def viewers(line, reader, editor):
    return {"reader": reader, "junior": line["junior"].user, "top": line["top"].user, "editor": editor}


@pytest.mark.parametrize(
    ("viewer", "sees"), [("reader", False), ("junior", False), ("top", True), ("editor", True)]
)
@pytest.mark.parametrize(("route", "shown"), ROUTES, ids=[route.__name__ for route, _ in ROUTES])
def test_every_route_gives_a_private_value_only_to_those_who_may_see_it(
    client, line, viewers, viewer, sees, route, shown
):
    pat = plant_private_values(line["pat"])
    client.force_login(viewers[viewer])
    assert private_values_in(content(route(client, pat))) == (shown if sees else set())


def test_the_detail_page_history_shows_no_private_value_to_a_reader(client, line, reader, editor):
    pat = plant_private_values(line["pat"])
    client.force_login(editor)
    assert "History" in content(client.get(pat.get_absolute_url()))
    client.force_login(reader)
    page = content(client.get(pat.get_absolute_url()))
    assert "History" not in page
    assert private_values_in(page) == set()


def test_the_api_neither_filters_nor_sorts_by_a_private_field(reader, line):
    plant_private_values(line["pat"], Visibility.EDITORS)
    api = APIClient()
    api.force_authenticate(reader)
    everyone = api.get(reverse("api:employee-list")).json()["count"]
    for params in [{"mobile": MOBILE}, {"start_date": "1987-03-14"}, {"start_date__lt": "1988-01-01"}]:
        assert api.get(reverse("api:employee-list"), params).json()["count"] == everyone
    for order in ["start_date", "-start_date", "mobile"]:
        assert api.get(reverse("api:employee-list"), {"sort": order}).status_code == 400


def test_the_api_writes_null_for_a_hidden_value(reader, line):
    pat = plant_private_values(line["pat"], Visibility.EDITORS)
    api = APIClient()
    api.force_authenticate(reader)
    result = api.get(reverse("api:employee-detail", kwargs={"pk": pat.pk})).json()
    assert (result["mobile"], result["start_date"]) == (None, None)
    assert result["mobile_visibility"] == "editors"


def test_an_editor_sees_every_value_after_writing_through_the_api(line):
    api = APIClient()
    api.force_authenticate(EditorFactory())
    url = reverse("api:employee-detail", kwargs={"pk": line["pat"].pk})
    changes = {"mobile": MOBILE, "mobile_visibility": "editors", "version": line["pat"].version}
    result = api.patch(url, changes, format="json").json()
    assert result["mobile"] == MOBILE


@pytest.fixture
def view_only_staff():
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_employee", "view_historicalemployee"])
    )
    return staff


def admin_pages(pat):
    """Every admin page that shows an employee's fields: the record, its history, a past version, the
    historical record itself."""
    record = pat.history.order_by("history_date").last()
    return [
        reverse("admin:employees_employee_change", args=[pat.pk]),
        reverse("admin:employees_employee_history", args=[pat.pk]),
        reverse("admin:employees_employee_simple_history", args=[pat.pk, record.history_id]),
        reverse("admin:employees_historicalemployee_change", args=[record.history_id]),
    ]


def test_view_only_admin_staff_see_no_private_value(client, line, view_only_staff):
    pat = plant_private_values(line["pat"], visibility=Visibility.EDITORS)
    client.force_login(view_only_staff)
    for url in admin_pages(pat):
        page = content(client.get(url))
        assert "Pat Private" in page, url
        assert private_values_in(page) == set(), url


def test_admin_staff_who_may_change_employees_see_every_value(client, line, view_only_staff):
    pat = plant_private_values(line["pat"], visibility=Visibility.EDITORS)
    view_only_staff.user_permissions.add(Permission.objects.get(codename="change_employee"))
    client.force_login(view_only_staff)
    pages = [content(client.get(url)) for url in admin_pages(pat)]
    assert private_values_in(pages[0]) == {"mobile", "start_date"}
    # The history's diff of the second save, where the values were planted.
    assert private_values_in(pages[1]) == {"mobile", "start_date"}


@pytest.mark.parametrize("model", ["employee", "historicalemployee"])
def test_view_only_admin_staff_cannot_filter_on_a_private_field(client, line, view_only_staff, model):
    """Whether a row is listed for ?mobile__startswith=… would tell the number a digit at a time."""
    plant_private_values(line["pat"], visibility=Visibility.EDITORS)
    client.force_login(view_only_staff)
    url = reverse(f"admin:employees_{model}_changelist")
    probes = [
        {"mobile__startswith": MOBILE[:6]},
        {"mobile__startswith": "+1"},
        {"mobile": MOBILE},
        {"start_date__year": "1987"},
        {"start_date__lt": "1988-01-01"},
    ]
    for probe in probes:
        assert client.get(url, probe).status_code == 400, probe
    assert "Pat Private" in content(client.get(url, {"full_name__startswith": "Pat"}))


@pytest.mark.parametrize("model", ["employee", "historicalemployee"])
def test_admin_staff_who_may_change_employees_filter_on_every_field(client, line, view_only_staff, model):
    plant_private_values(line["pat"], visibility=Visibility.EDITORS)
    view_only_staff.user_permissions.add(Permission.objects.get(codename="change_employee"))
    client.force_login(view_only_staff)
    url = reverse(f"admin:employees_{model}_changelist")
    assert "Pat Private" in content(client.get(url, {"mobile__startswith": MOBILE[:6]}))
    assert "Pat Private" not in content(client.get(url, {"mobile__startswith": "+1"}))
