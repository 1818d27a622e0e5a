"""The directory in a real browser: Chromium, driven by Playwright, against the live server.

Run with `make test-browser` (part of `make test`). Screenshots are saved under test-results/screenshots/.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from employees.models import Employee

from .conftest import SCREENSHOTS, sign_in
from .factories import DepartmentFactory, EmployeeFactory, UserFactory, image_bytes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    # The live server needs committed data; serialized rollback restores the Editors group after each flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DOCS_SCREENSHOTS = SCREENSHOTS.parents[1] / "docs" / "screenshots"


@pytest.fixture
def ana(coffee):
    return EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee])


@pytest.fixture
def ben(gamer):
    return EmployeeFactory(full_name="Ben Okafor", job_title="Designer", location="Lagos", badges=[gamer])


def test_sign_in_search_and_sign_out(page, live_server, browser_settings, screenshot, ana, ben):
    UserFactory(username="reader")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page).to_have_title("Sign in · Employee Directory")
    screenshot(page, "login")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Employees · Employee Directory")

    page.get_by_label("Search employees").fill("engineer")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/\?q=engineer$"))
    expect(page.get_by_role("link", name="Ana García")).to_be_visible()
    expect(page.get_by_role("link", name="Ben Okafor")).to_have_count(0)

    page.locator("#user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_wrong_password_shows_an_error_and_stays_signed_out(page, live_server, browser_settings):
    UserFactory(username="reader")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("reader")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page).to_have_title("Sign in · Employee Directory")


def test_filters_apply_as_they_are_chosen_with_a_short_address(reader_page, ana, ben, gamer):
    page = reader_page
    EmployeeFactory(full_name="Chen Wei", location="Lagos")
    page.goto("/")
    expect(page.get_by_role("button", name="Apply")).to_be_hidden()
    page.get_by_label("Location").select_option("Lagos")
    expect(page).to_have_url(re.compile(r"/\?location=Lagos$"))
    expect(page.locator(".employee-table tbody tr")).to_have_count(2)
    # The menu chosen keeps the focus once the list has loaded.
    expect(page.get_by_label("Location")).to_be_focused()
    page.get_by_label("Badge").select_option(gamer.slug)
    expect(page).to_have_url(re.compile(r"/\?location=Lagos&badge=gamer$"))
    expect(page.locator(".employee-table tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Ben Okafor")).to_be_visible()

    # A search from the top bar keeps the filters; its chip removes it.
    page.get_by_label("Search employees").fill("ben")
    page.get_by_label("Search employees").press("Enter")
    expect(page).to_have_url(re.compile(r"/\?q=ben&location=Lagos&badge=gamer$"))
    page.get_by_role("link", name="Remove Location: Lagos").click()
    expect(page).to_have_url(re.compile(r"/\?q=ben&badge=gamer$"))
    expect(page.get_by_label("Location")).to_have_value("")
    page.get_by_role("link", name="Clear all").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".employee-table tbody tr")).to_have_count(3)
    expect(page.get_by_role("link", name="Clear all")).to_have_count(0)


def test_filters_work_without_javascript(browser, live_server, browser_settings, reader, ana, ben):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = sign_in(context.new_page(), live_server, reader)
    page.goto("/")
    page.get_by_label("Location").select_option("Lagos")
    page.get_by_role("button", name="Apply").click()
    # The server drops the empty parameters the form sent.
    expect(page).to_have_url(re.compile(r"/\?location=Lagos$"))
    expect(page.locator(".employee-table tbody tr")).to_have_count(1)
    context.close()


def test_the_top_bar_is_one_line_for_an_administrator_at_1280_pixels(page, live_server, browser_settings):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    EmployeeFactory(full_name="Ana García", user=admin)
    sign_in(page, live_server, admin)
    page.set_viewport_size({"width": 1280, "height": 800})
    for url in ["/", "/?q=ana&location=Madrid"]:
        page.goto(url)
        assert page.locator("nav.navbar").bounding_box()["height"] < 60
    # The links moved under one's name are one click away.
    page.locator("#user-menu").click()
    for name in ["My profile", "Downloads", "Admin", "Change password"]:
        expect(page.get_by_role("link", name=name)).to_be_visible()


def test_mail_and_call_from_the_list(reader_page, ana):
    ana.work_email, ana.work_phone = "ana@example.com", "+34911234567"
    ana.save()
    page = reader_page
    page.goto("/")
    row = page.locator(".employee-table tbody tr").first
    email = row.get_by_role("link", name="ana@example.com")
    expect(email).to_have_attribute("href", "mailto:ana@example.com")
    expect(row.get_by_role("link", name="+34 911 23 45 67")).to_have_attribute("href", "tel:+34911234567")


def test_a_reader_chooses_cards_and_they_stay_chosen(reader_page, screenshot, ana, ben):
    page = reader_page
    page.goto("/?q=engineer")
    page.get_by_role("button", name="Cards").click()
    expect(page).to_have_url(re.compile(r"/\?q=engineer$"))
    cards = page.locator(".employee-cards .card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Ana García")
    expect(page.get_by_role("button", name="Cards")).to_have_attribute("aria-pressed", "true")
    page.goto("/")
    expect(cards).to_have_count(2)
    screenshot(page, "employee-cards")
    page.keyboard.press("Enter")  # opens the first card, as it opens the first row of the table
    expect(page).to_have_title("Ana García · Employee Directory")
    page.go_back()
    page.get_by_role("button", name="Table").click()
    expect(page.locator(".employee-table tbody tr")).to_have_count(2)


def test_screenshots_for_the_docs_with_the_sample_data(editor_page):
    """The pictures in the README and docs/UX.md, of the sample data at 1200 pixels wide: the list, a person,
    the form, the org chart and headcount."""
    call_command("loaddata", "badges", "departments", "skills", "sample_employees", verbosity=0)
    managers = Employee.objects.filter(manager__isnull=False, reports__isnull=False)
    person = managers.order_by("full_name").first()
    page = editor_page
    page.set_viewport_size({"width": 1200, "height": 900})
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, address, shown in [
        ("employee-list", "/", page.locator(".employee-table tbody tr").nth(24)),
        ("employee-detail", person.get_absolute_url(), page.get_by_role("heading", name=person.full_name)),
        ("employee-form", f"{person.get_absolute_url()}edit/", page.get_by_role("group", name="Profile")),
        ("org-chart", f"/org-chart/?root={person.pk}", page.locator(f"#employee-{person.pk}")),
        ("headcount", "/headcount/", page.get_by_role("img").first),
    ]:
        page.goto(address)
        expect(shown).to_be_visible()
        page.screenshot(path=DOCS_SCREENSHOTS / f"{name}.png", full_page=name != "employee-form")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_search_match_in_a_link_keeps_the_links_colour(reader_page, scheme, ana):
    page = reader_page
    page.emulate_media(color_scheme=scheme)
    page.goto("/?q=garcia")
    link = page.locator(".employee-table tbody a", has_text="Ana García")
    match = link.locator("mark")
    expect(match).to_have_text("García")
    colour = "element => getComputedStyle(element).color"
    assert match.evaluate(colour) == link.evaluate(colour)


def test_open_an_employee_from_the_list(reader_page, screenshot, ana):
    page = reader_page
    page.goto("/")
    page.get_by_role("link", name="Ana García").click()
    expect(page).to_have_title("Ana García · Employee Directory")
    expect(page.get_by_role("heading", name="Ana García")).to_be_visible()
    expect(page.get_by_role("link", name="Coffee Snob")).to_be_visible()
    screenshot(page, "employee-detail")


def test_editor_adds_an_employee_with_a_photo_after_fixing_errors(
    editor_page, screenshot, coffee, locations, tmp_path
):
    page = editor_page
    photo = tmp_path / "ana.png"
    photo.write_bytes(image_bytes("PNG", (900, 600)))
    page.goto("/")
    page.get_by_role("link", name="Add employee").first.click()
    expect(page).to_have_title("Add employee · Employee Directory")

    page.get_by_label("Photo").set_input_files(photo)
    page.get_by_role("button", name="Save").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(3)
    # The photo chosen is kept with the form, to be saved with the next try.
    expect(page.get_by_text("The photo you chose is kept")).to_be_visible()
    screenshot(page, "employee-form-errors")
    summary.get_by_role("link", name=re.compile("^Job title")).click()
    expect(page.get_by_label("Job title")).to_be_focused()

    page.get_by_label("Full name").fill("Ana García")
    page.get_by_label("Job title").fill("Engineer")
    page.get_by_label("Location").select_option("Madrid")
    page.get_by_label("Coffee Snob").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Ana García was added.")
    image = page.get_by_role("img", name="Photo of Ana García")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 480
    employee = Employee.objects.get(full_name="Ana García")
    assert list(employee.badges.all()) == [coffee]
    screenshot(page, "employee-added")


def test_editor_edits_an_employee(editor_page, ana):
    page = editor_page
    page.goto(ana.get_absolute_url())
    page.get_by_role("link", name="Edit").click()
    expect(page).to_have_title("Edit Ana García · Employee Directory")
    page.get_by_label("Job title").fill("Principal Engineer")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Ana García was updated.")
    # The profile shows the new title; the history below it names the change too.
    expect(page.locator("dl dd").get_by_text("Principal Engineer", exact=True)).to_be_visible()
    expect(page.locator(".history")).to_contain_text("Principal Engineer")
    ana.refresh_from_db()
    assert ana.job_title == "Principal Engineer"


def test_a_reader_keeps_their_own_profile_current(reader_page, reader, screenshot, ana):
    ana.user = reader
    ana.save()
    page = reader_page
    page.goto("/")
    page.locator("#user-menu").click()
    page.get_by_role("link", name="My profile").click()
    expect(page).to_have_title("My profile · Employee Directory")
    expect(page.get_by_label("Full name")).to_have_count(0)
    page.get_by_label("Office or desk").fill("Tower B, desk 12")
    time_zone = page.get_by_label("Time zone")
    time_zone.fill("Europe/Mad")  # the zone names are suggested as it is typed
    expect(page.locator("datalist#id_time_zone_suggestions option[value='Europe/Madrid']")).to_have_count(1)
    time_zone.fill("Europe/Madrid")
    page.get_by_label("Pronouns").fill("she/her")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Your profile was updated.")
    screenshot(page, "my-profile")
    page.get_by_role("link", name="See your profile as others see it").click()
    expect(page.get_by_role("heading", name="Ana García (she/her)")).to_be_visible()
    expect(page.locator("dl")).to_contain_text("Tower B, desk 12")
    expect(page.locator("dl")).to_contain_text("Europe/Madrid · local time")
    ana.refresh_from_db()
    assert ana.history.first().history_user == reader


def test_editor_deletes_an_employee_after_confirming(editor_page, screenshot, ana):
    page = editor_page
    page.goto(ana.get_absolute_url())
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete Ana García?")).to_be_visible()
    screenshot(page, "employee-confirm-delete")
    page.get_by_role("link", name="Cancel").click()
    assert Employee.objects.filter(pk=ana.pk).exists()

    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page.get_by_role("status").first).to_have_text("Ana García was deleted.")
    expect(page.get_by_role("link", name="Ana García")).to_have_count(0)
    assert not Employee.objects.filter(pk=ana.pk).exists()


def test_admin_changelist_search(page, live_server, browser_settings, screenshot, ana, ben):
    sign_in(page, live_server, UserFactory(username="admin", is_staff=True, is_superuser=True))
    page.goto("/admin/employees/employee/")
    page.locator("#searchbar").fill("lagos")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("Ben Okafor")
    screenshot(page, "admin-changelist-search")


class TestKeyboard:
    def test_slash_focuses_search_and_enter_opens_the_first_result(self, reader_page, ana, ben):
        page = reader_page
        page.goto("/")
        page.keyboard.press("/")
        search = page.get_by_label("Search employees")
        expect(search).to_be_focused()
        page.keyboard.type("designer")
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"q=designer"))
        page.keyboard.press("Enter")
        expect(page).to_have_title("Ben Okafor · Employee Directory")

    def test_the_top_bar_suggests_people_as_a_name_is_typed_and_enter_opens_one(self, reader_page, ana, ben):
        page = reader_page
        page.goto("/departments/")
        search = page.get_by_label("Search employees")
        search.press_sequentially("gar")
        suggestions = page.get_by_role("listbox", name="People")
        suggestion = suggestions.get_by_role("option", name="Ana García — Engineer, Madrid")
        expect(suggestion).to_be_visible()
        expect(suggestions.get_by_role("option")).to_have_count(1)
        expect(suggestion.locator(".avatar")).to_have_text("AG")
        search.press("ArrowDown")
        expect(suggestion).to_have_attribute("aria-selected", "true")
        search.press("Enter")
        expect(page).to_have_title("Ana García · Employee Directory")

    def test_enter_in_a_changed_search_searches_again(self, reader_page, ana, ben):
        page = reader_page
        page.goto("/?q=designer")
        search = page.get_by_label("Search employees")
        search.fill("engineer")
        search.press("Enter")
        expect(page).to_have_url(re.compile(r"q=engineer"))
        expect(page.get_by_role("link", name="Ana García")).to_be_visible()

    def test_slash_typed_in_a_field_is_just_text(self, reader_page):
        page = reader_page
        page.goto("/")
        search = page.get_by_label("Search employees")
        search.focus()
        page.keyboard.type("a/b")
        expect(search).to_have_value("a/b")

    def test_tab_reaches_every_action_and_never_gets_stuck(self, editor_page, ana):
        page = editor_page
        page.goto(ana.get_absolute_url())
        reached = []
        for _ in range(40):
            page.keyboard.press("Tab")
            reached.append(
                page.evaluate("() => document.activeElement.textContent.trim() || document.activeElement.id")
            )
            if reached[-1] == "Skip to content" and len(reached) > 1:
                break
        for action in [
            "Skip to content",
            "Employee Directory",
            "Headcount",
            "editor",
            "Employees",
            "Madrid",
            "Coffee Snob",
            "Edit",
            "Delete",
        ]:
            assert any(text.endswith(action) for text in reached), (action, reached)
        # Focus went all the way round the page back to the start: nothing held it.
        assert reached[-1] == "Skip to content"

    def test_skip_link_moves_focus_to_the_content(self, reader_page):
        page = reader_page
        page.goto("/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        expect(skip).to_be_focused()
        expect(skip).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()

    def test_focus_is_visible(self, reader_page, ana):
        page = reader_page
        page.goto("/")
        link = page.get_by_role("link", name="Ana García")
        link.focus()
        assert link.evaluate("a => getComputedStyle(a).outlineStyle") == "solid"
        assert link.evaluate("a => parseFloat(getComputedStyle(a).outlineWidth)") >= 2


def test_list_is_usable_at_360_pixels_wide(reader_page, screenshot, ana, ben):
    page = reader_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    row = page.locator(".employee-table tbody tr").first
    box = row.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 360
    expect(row.get_by_role("link", name="Ana García")).to_be_in_viewport()
    # The navigation folds into a menu button, which opens it.
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="Headcount")).to_be_visible()
    screenshot(page, "employee-list-360px")


def test_copy_link_copies_the_current_filters(reader_page, ana):
    page = reader_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/?q=engineer&location=Madrid")
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#copy-link-status")).to_contain_text("Link copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == page.url


def click_first_bar(page, chart):
    """Click the middle of the first bar of the chart drawn on the canvas ``chart``."""
    x, y = page.evaluate(
        """(chart) => {
            const bar = Chart.getChart(chart).getDatasetMeta(0).data[0];
            const box = document.getElementById(chart).getBoundingClientRect();
            return [box.left + (bar.base + bar.x) / 2, box.top + bar.y];
        }""",
        chart,
    )
    page.mouse.click(x, y)


def test_headcount_bars_open_the_filtered_list(reader_page, screenshot, ana, ben):
    page = reader_page
    EmployeeFactory(location="Madrid")
    page.goto("/headcount/")
    expect(page).to_have_title("Headcount · Employee Directory")
    expect(page.get_by_role("img", name=re.compile("employees by location"))).to_be_visible()
    screenshot(page, "headcount")
    # The first bar is the largest: Madrid, with two people.
    click_first_bar(page, "location-chart")
    expect(page).to_have_url(re.compile(r"/\?location=Madrid$"))
    expect(page.get_by_role("link", name="Ana García")).to_be_visible()
    expect(page.get_by_role("link", name="Ben Okafor")).to_have_count(0)


def test_a_department_bar_opens_the_departments_list(reader_page, ana, ben):
    page = reader_page
    design = DepartmentFactory(name="Design", slug="design")
    Employee.objects.filter(pk=ben.pk).update(department=design)
    page.goto("/headcount/")
    expect(page.locator("#joiners-chart")).to_have_attribute("width", re.compile(r"[1-9]"))
    click_first_bar(page, "department-chart")
    expect(page).to_have_url(re.compile(r"/\?department=design$"))
    expect(page.get_by_role("link", name="Ben Okafor")).to_be_visible()
    expect(page.get_by_role("link", name="Ana García")).to_have_count(0)


def test_dates_are_shown_in_the_readers_locale(browser, live_server, browser_settings, reader, ana):
    context = browser.new_context(base_url=live_server.url, locale="de-DE", timezone_id="Europe/Berlin")
    page = sign_in(context.new_page(), live_server, reader)
    page.goto(ana.get_absolute_url())
    text = page.locator("time").text_content()
    assert str(ana.updated_at.year) in text
    assert re.search(r"\d{1,2}\. \w+ \d{4}", text), text
    context.close()


def test_dark_mode_follows_the_system_setting(reader_page, screenshot, ana):
    page = reader_page
    page.emulate_media(color_scheme="dark")
    page.goto("/")
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(22, 25, 28)"
    screenshot(page, "employee-list-dark")
    page.emulate_media(color_scheme="light")
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def test_every_page_works_under_a_strict_content_security_policy(editor_page, ana):
    """No inline script or style, no eval: each page runs, unchanged, under a policy without 'unsafe-*'."""
    page = editor_page
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security" in message.text else None,
    )

    def with_policy(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})

    page.route("**/*", with_policy)
    for url in [
        "/",
        ana.get_absolute_url(),
        "/employees/new/",
        f"{ana.get_absolute_url()}delete/",
        "/headcount/",
    ]:
        page.goto(url)
    expect(page.locator("#location-chart")).to_have_attribute("width", re.compile(r"[1-9]"))
    page.goto("/employees/new/")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#error-summary")).to_be_focused()
    page.goto("/?q=engineer")
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_title("Ana García · Employee Directory")
    assert violations == []
