"""axe-core finds no WCAG 2.2 A or AA violation on any page, in the light and the dark colour scheme.

Run with `make test-browser` (part of `make test`); axe-core comes from npm (`npm ci`).
"""

from datetime import date

import pytest
from playwright.sync_api import expect

from .factories import EmployeeFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(params=["light", "dark"])
def scheme(request):
    return request.param


@pytest.fixture
def ana(coffee, gamer):
    return EmployeeFactory(
        full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee, gamer]
    )


@pytest.fixture
def everyone(ana):
    EmployeeFactory(full_name="Ben Okafor", job_title="Designer", location="Lagos")
    EmployeeFactory(full_name="فاطمة الزهراء", job_title="مهندسة", location="Cairo")


def test_list(editor_page, assert_accessible, scheme, everyone):
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto("/?q=a")
    assert_accessible(editor_page)


def test_list_with_filter_chips_and_contacts(editor_page, assert_accessible, scheme, ana, everyone):
    ana.work_email, ana.work_phone = "ana@example.com", "+34911234567"
    ana.save()
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.set_viewport_size({"width": 1280, "height": 800})
    editor_page.goto("/?q=ana&location=Madrid&badge=gamer")
    assert editor_page.locator(".filter-chip").count() == 3
    assert editor_page.get_by_role("link", name="ana@example.com").is_visible()
    assert_accessible(editor_page)
    # Between 992 and 1200 pixels the top bar's links show their icons, and keep their names.
    editor_page.set_viewport_size({"width": 1024, "height": 800})
    assert editor_page.get_by_role("link", name="Org chart").is_visible()
    assert_accessible(editor_page)


def test_list_as_cards_and_the_top_bars_suggestions(editor_page, assert_accessible, scheme, ana, everyone):
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto("/")
    editor_page.get_by_role("button", name="Cards").click()
    expect(editor_page.locator(".employee-cards .card")).to_have_count(3)
    editor_page.get_by_label("Search employees").press_sequentially("gar")
    editor_page.get_by_role("listbox", name="People").get_by_role("option").first.wait_for()
    assert_accessible(editor_page)


def test_empty_list(reader_page, assert_accessible, scheme):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/?q=nobody")
    assert "No employees match" in reader_page.content()
    assert_accessible(reader_page)


def test_detail(editor_page, assert_accessible, scheme, ana):
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto(ana.get_absolute_url())
    assert_accessible(editor_page)


def test_detail_with_contact_details_and_history(editor_page, assert_accessible, scheme, ana):
    ana.pronouns, ana.work_email, ana.work_phone = "she/her", "ana@example.com", "+34911234567"
    ana.office, ana.time_zone, ana.start_date = "Tower B, desk 12", "Europe/Madrid", date(2020, 1, 6)
    ana.save()
    ana.mobile = "+34612345678"
    ana.save()
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto(ana.get_absolute_url())
    assert editor_page.get_by_role("link", name="+34 612 34 56 78").is_visible()
    assert editor_page.locator(".history").is_visible()
    assert_accessible(editor_page)


def test_my_profile_with_errors(reader_page, reader, assert_accessible, scheme, ana):
    ana.user = reader
    ana.save()
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/me/")
    reader_page.get_by_label("Mobile", exact=True).fill("612")
    reader_page.get_by_role("button", name="Save").click()
    assert reader_page.locator("#error-summary").is_visible()
    assert_accessible(reader_page)


def test_my_profile_of_an_unlinked_account(reader_page, assert_accessible, scheme):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/me/")
    assert "not linked to an employee record" in reader_page.content()
    assert_accessible(reader_page)


def test_form_with_errors(editor_page, assert_accessible, scheme, coffee):
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto("/employees/new/")
    editor_page.get_by_role("button", name="Save").click()
    assert editor_page.locator("#error-summary").is_visible()
    assert_accessible(editor_page)


def test_confirm_delete(editor_page, assert_accessible, scheme, ana):
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto(f"{ana.get_absolute_url()}delete/")
    assert_accessible(editor_page)


def test_login_with_an_error(page, live_server, browser_settings, assert_accessible, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in").click()
    assert_accessible(page)


def test_password_reset_request(page, live_server, browser_settings, assert_accessible, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto("/accounts/password_reset/")
    page.get_by_role("button", name="Send the link").click()
    assert_accessible(page)


def test_password_change_with_errors(reader_page, assert_accessible, scheme):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/accounts/password_change/")
    reader_page.get_by_role("button", name="Change password").click()
    assert_accessible(reader_page)


def test_not_found(reader_page, assert_accessible, scheme):
    reader_page.emulate_media(color_scheme=scheme)
    response = reader_page.goto("/employees/00000000-0000-0000-0000-000000000000/")
    assert response.status == 404
    assert_accessible(reader_page)


def test_headcount(reader_page, assert_accessible, scheme, everyone):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/headcount/")
    assert_accessible(reader_page)


def test_list_at_360_pixels(reader_page, assert_accessible, scheme, everyone):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.set_viewport_size({"width": 360, "height": 740})
    reader_page.goto("/")
    assert_accessible(reader_page)


@pytest.fixture
def organisation():
    from .factories import DepartmentFactory

    engineering = DepartmentFactory(name="Engineering", slug="engineering")
    DepartmentFactory(name="Platform", slug="platform", parent=engineering)
    head = EmployeeFactory(full_name="Ana García", job_title="Head of Engineering", department=engineering)
    for n in range(6):
        lead = EmployeeFactory(full_name=f"Lead {n}", department=engineering, manager=head)
        EmployeeFactory(full_name=f"Engineer {n}", department=engineering, manager=lead)
    return engineering


def test_org_chart(reader_page, assert_accessible, scheme, organisation):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/org-chart/?department=engineering")
    assert reader_page.locator(".org-node").count() == 13
    assert_accessible(reader_page)


def test_org_chart_of_a_person_cut_with_more_links(reader_page, assert_accessible, scheme, organisation):
    from employees.models import Employee

    head = Employee.objects.get(full_name="Ana García")
    lead = Employee.objects.get(full_name="Lead 0")
    engineer = Employee.objects.get(full_name="Engineer 0")
    deep = EmployeeFactory(full_name="Deep Down", manager=engineer)
    EmployeeFactory(full_name="Deeper Still", manager=deep)
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto(f"/org-chart/?root={head.pk}")
    assert reader_page.locator(".org-node").count() == 14
    assert_accessible(reader_page)
    # Four levels show, the fourth in a closed team: "+1 more" below it opens the chart of the one cut off;
    # "Up to" goes back up, pointing at where they are.
    reader_page.locator(f"#employee-{engineer.pk} + details > summary").click()
    reader_page.get_by_role("link", name="+1 more reporting to Deep Down").click()
    assert reader_page.locator(".org-node").count() == 2
    reader_page.goto(f"/org-chart/?root={lead.pk}")
    reader_page.get_by_role("link", name="Up to Ana García").click()
    assert reader_page.url.endswith(f"#employee-{lead.pk}")
    assert (
        reader_page.locator(f"#employee-{lead.pk}").evaluate("node => getComputedStyle(node).boxShadow")
        != "none"
    )


def test_org_chart_prints_everyone_expanded(reader_page, organisation):
    reader_page.goto("/org-chart/?department=engineering")
    reader_page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert reader_page.locator(".org-tree details:not([open])").count() == 0
    reader_page.emulate_media(media="print")
    assert not reader_page.locator("nav.navbar").is_visible()


def test_department_pages(reader_page, assert_accessible, scheme, organisation):
    reader_page.emulate_media(color_scheme=scheme)
    reader_page.goto("/departments/")
    assert_accessible(reader_page)
    reader_page.goto("/departments/engineering/")
    assert "Platform" in reader_page.content()
    assert_accessible(reader_page)


def test_manager_suggestions(editor_page, organisation):
    employee = EmployeeFactory(full_name="New Person")
    editor_page.goto(f"{employee.get_absolute_url()}edit/")
    editor_page.fill("#id_manager", "Lead 3")
    editor_page.locator("#id_manager_options [role=option]").first.wait_for()
    editor_page.keyboard.press("ArrowDown")
    editor_page.keyboard.press("Enter")
    assert editor_page.input_value("#id_manager") == "Lead 3"
    editor_page.click("main button[type=submit]")
    editor_page.wait_for_url(f"**{employee.get_absolute_url()}")
    employee.refresh_from_db()
    assert employee.manager.full_name == "Lead 3"


def test_detail_links_in_text_stand_out_by_more_than_colour(editor_page, axe_source, scheme, ana):
    # The reporting line and the direct reports set each name's link beside the person's job title (axe-core
    # counts a link as in a block of text when the text beside it is the longer).
    ana.manager = EmployeeFactory(full_name="Ben Okafor", job_title="Head of Engineering")
    ana.save()
    EmployeeFactory(full_name="Chidi Eze", job_title="Senior Software Engineer", manager=ana)
    editor_page.emulate_media(color_scheme=scheme)
    editor_page.goto(ana.get_absolute_url())
    editor_page.evaluate(axe_source)
    results = editor_page.evaluate(
        """() => axe.run(document, {runOnly: {type: "rule", values: ["link-in-text-block"]}})"""
    )
    checked = [node["html"] for rule in results["passes"] for node in rule["nodes"]]
    failed = [node["html"] for rule in results["violations"] for node in rule["nodes"]]
    assert failed == []
    # Checked, not skipped as inapplicable: the rule ran on both links.
    assert any("Ben Okafor" in html for html in checked)
    assert any("Chidi Eze" in html for html in checked)
