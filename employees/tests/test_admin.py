import re
import time

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from employees.models import Employee

from .factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:employees_employee_changelist")


@pytest.mark.parametrize("count", [5, 50])
def test_changelist_shows_badges_without_a_query_per_row(
    admin_client, coffee, gamer, count, django_assert_max_num_queries
):
    EmployeeFactory.create_batch(count, badges=[coffee, gamer])
    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Coffee Snob, Gamer" in response.content.decode()


def test_changelist_search_uses_the_directory_search(admin_client, coffee):
    EmployeeFactory(full_name="Ana García", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode")
    content = admin_client.get(CHANGELIST, {"q": "coffee"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_changelist_filters_by_location(admin_client):
    EmployeeFactory(full_name="Ana García", location="Madrid")
    EmployeeFactory(full_name="Ben Ode", location="Paris")
    content = admin_client.get(CHANGELIST, {"location": "Madrid"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_change_form_loads_with_read_only_timestamps(admin_client, coffee):
    employee = EmployeeFactory(badges=[coffee])
    response = admin_client.get(reverse("admin:employees_employee_change", args=[employee.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="created_at"' not in content
    assert "Created" in content
    assert 'id="id_badges_from"' in content or "selectfilter" in content


def test_admin_add_strips_and_validates(admin_client):
    response = admin_client.post(
        reverse("admin:employees_employee_add"),
        {"full_name": "   ", "job_title": "Engineer", "location": "Madrid"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_badge_admin_loads(admin_client, coffee):
    response = admin_client.get(reverse("admin:employees_badge_changelist"))
    assert response.status_code == 200
    assert "Coffee Snob" in response.content.decode()


def test_editors_cannot_reach_admin(editor_client):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def admin_form_data(employee, **changes):
    return {
        "full_name": employee.full_name,
        "job_title": employee.job_title,
        "location": employee.location,
        "mobile_visibility": employee.mobile_visibility,
        "start_date_visibility": employee.start_date_visibility,
        "version": employee.version,
        **changes,
    }


def test_admin_refuses_a_save_over_a_newer_version_and_shows_it(admin_client, coffee):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    stale = admin_form_data(employee, job_title="Mine")
    Employee.objects.filter(pk=employee.pk).update(job_title="Theirs", version=2)
    response = admin_client.post(url, stale)
    assert response.status_code == 200
    assert "job title “Theirs”" in response.content.decode()
    employee.refresh_from_db()
    assert employee.job_title == "Theirs"


def test_admin_saves_the_current_version(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    assert admin_client.post(url, admin_form_data(employee, job_title="Lead")).status_code == 302
    employee.refresh_from_db()
    assert (employee.job_title, employee.version) == ("Lead", 2)


def test_admin_links_a_user_account_to_an_employee(admin_client):
    employee = EmployeeFactory(full_name="Pat Doe", job_title="Engineer", location="Madrid")
    account = UserFactory(username="pat")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    form = admin_client.get(url).content.decode()
    assert re.search(r'<select name="user"[^>]*class="admin-autocomplete', form)
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "pat", "app_label": "employees", "model_name": "employee", "field_name": "user"},
    ).json()
    assert [result["text"] for result in found["results"]] == ["pat"]
    data = {
        "full_name": "Pat Doe",
        "job_title": "Engineer",
        "location": "Madrid",
        "user": account.pk,
        "mobile_visibility": "managers",
        "start_date_visibility": "managers",
        "version": employee.version,
    }
    assert admin_client.post(url, data).status_code == 302
    assert Employee.objects.get(pk=employee.pk).user == account


def test_admin_refuses_a_duplicate_work_email_on_the_field(admin_client):
    EmployeeFactory(work_email="ana@example.com")
    data = {
        "full_name": "Ana",
        "job_title": "Engineer",
        "location": "Madrid",
        "work_email": "ANA@example.com",
    }
    response = admin_client.post(reverse("admin:employees_employee_add"), data)
    assert response.status_code == 200
    assert "Another employee already has the work email ANA@example.com." in response.content.decode()


def test_admin_shows_an_employees_history(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    admin_client.post(
        reverse("admin:employees_employee_change", args=[employee.pk]),
        admin_form_data(employee, job_title="Lead"),
    )
    content = admin_client.get(
        reverse("admin:employees_employee_history", args=[employee.pk])
    ).content.decode()
    assert "Changed" in content
    assert "admin" in content


def test_admin_restores_a_deleted_employee_from_history(admin_client, coffee):
    employee = EmployeeFactory(full_name="Ana García", job_title="Engineer", badges=[coffee])
    pk = employee.pk
    admin_client.post(reverse("admin:employees_employee_delete", args=[pk]), {"post": "yes"})
    assert not Employee.objects.filter(pk=pk).exists()

    deleted = admin_client.get(
        reverse("admin:employees_historicalemployee_changelist"), {"history_type": "-"}
    )
    assert "Ana García" in deleted.content.decode()
    history_url = reverse("admin:employees_employee_history", args=[pk])
    assert history_url in deleted.content.decode()

    record = Employee.history.filter(id=pk, history_type="~").latest()
    restore_url = reverse("admin:employees_employee_simple_history", args=[pk, record.history_id])
    form = admin_client.get(restore_url).context["adminform"].form
    initial = {name: value for name, value in form.initial.items() if value is not None}
    response = admin_client.post(restore_url, {**initial, "badges": [coffee.pk]})
    assert response.status_code == 302
    restored = Employee.objects.get(pk=pk)
    assert (restored.full_name, restored.job_title) == ("Ana García", "Engineer")
    assert list(restored.badges.all()) == [coffee]
    assert Employee.history.filter(id=pk).latest().history_user.username == "admin"


# Import


IMPORT = reverse("admin:employees_employee_import")
PROCESS_IMPORT = reverse("admin:employees_employee_process_import")
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def upload(admin_client, content, name="employees.csv", file_format=CSV_FORMAT):
    return admin_client.post(
        IMPORT, {"format": file_format, "import_file": SimpleUploadedFile(name, content)}
    )


def confirm(admin_client, preview):
    return admin_client.post(PROCESS_IMPORT, preview.context["confirm_form"].initial)


def test_import_previews_new_and_updated_rows_and_writes_nothing_until_confirmed(admin_client, coffee):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    content = (
        "\ufeffid,full_name,job_title,location,badges\r\n"
        f"{ana.pk},Ana García,Architect,Madrid,Coffee Snob\r\n"
        ",Zoë Ångström,Designer,Paris,coffee-snob\r\n"
    ).encode()
    preview = upload(admin_client, content)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Zoë Ångström" in page
    assert "New" in page
    assert "Update" in page
    assert Employee.objects.count() == 1
    assert Employee.objects.get().job_title == "Engineer"

    response = confirm(admin_client, preview)
    assert response.status_code == 302
    assert Employee.objects.count() == 2
    ana.refresh_from_db()
    assert ana.job_title == "Architect"
    assert list(ana.badges.all()) == [coffee]
    assert Employee.objects.get(full_name="Zoë Ångström").badges.get() == coffee


def test_import_preview_lists_invalid_rows_with_reasons_and_offers_no_confirm(admin_client):
    content = b"full_name,job_title,location,badges\nAna,Engineer,Madrid,chess\n ,Engineer,Madrid,\n"
    preview = upload(admin_client, content)
    page = preview.content.decode()
    assert "Unknown badge: chess." in page
    assert "This field cannot be blank." in page
    assert "confirm_form" not in preview.context
    assert not Employee.objects.exists()


def test_import_of_a_file_without_a_required_column_reports_every_row(admin_client):
    preview = upload(admin_client, b"name,job_title,location\nAna,Engineer,Madrid\n")
    assert "This field cannot be blank." in preview.content.decode()
    assert preview.context["result"].invalid_rows[0].field_specific_errors == {
        "full_name": ["This field cannot be blank."]
    }
    assert "confirm_form" not in preview.context
    assert not Employee.objects.exists()


def test_import_confirmed_after_a_row_became_invalid_imports_nothing(admin_client, coffee):
    content = b"full_name,job_title,location,badges\nAna,A,Madrid,\nBen,B,Paris,coffee-snob\n"
    preview = upload(admin_client, content)
    assert "confirm_form" in preview.context
    coffee.delete()
    confirm(admin_client, preview)
    assert not Employee.objects.exists()


def test_import_reads_xlsx(admin_client, gamer):
    headers = ["full_name", "job_title", "location", "badges"]
    workbook = tablib.Dataset(["Ana García", "Engineer", "Madrid", "Gamer"], headers=headers)
    preview = upload(admin_client, workbook.export("xlsx"), name="employees.xlsx", file_format=XLSX_FORMAT)
    assert "Ana García" in preview.content.decode()
    confirm(admin_client, preview)
    assert Employee.objects.get().badges.get() == gamer


def test_import_of_an_unreadable_file_says_so(admin_client):
    preview = upload(admin_client, b"not a workbook", name="employees.xlsx", file_format=XLSX_FORMAT)
    assert preview.status_code == 200
    assert "Ensure you have chosen the correct format for the file." in preview.content.decode()
    assert not Employee.objects.exists()


def test_import_needs_the_add_and_change_permissions(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_employee"))
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 403
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_employee", "change_employee"]))
    assert client.get(IMPORT).status_code == 200


@pytest.mark.slow
def test_import_of_10000_rows_previews_and_imports_in_under_30_seconds(admin_client, coffee, gamer):
    lines = ["full_name,job_title,location,badges"]
    badges = ["", "coffee-snob", "Gamer"]
    lines += [f"Person {n},Title {n % 50},City {n % 20},{badges[n % 3]}" for n in range(10_000)]
    content = "\n".join(lines).encode()

    # CPU time of this process, which does all the work on SQLite: unlike wall time, it does not grow when
    # other jobs share the machine.
    started = time.process_time()
    preview = upload(admin_client, content)
    preview_seconds = time.process_time() - started
    started = time.process_time()
    confirm(admin_client, preview)
    import_seconds = time.process_time() - started

    assert Employee.objects.count() == 10_000
    assert coffee.employees.count() == gamer.employees.count() == 3333
    assert preview_seconds < 30
    assert import_seconds < 30
