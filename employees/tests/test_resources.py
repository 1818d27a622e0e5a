import datetime
import uuid

import pytest
import tablib
from import_export.results import RowResult

from employees import services
from employees.exports import csv_lines
from employees.models import Employee, Skill, Visibility
from employees.resources import EmployeeResource

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

HEADERS = ["id", "full_name", "job_title", "location", "badges"]


def dataset(*rows, headers=HEADERS):
    return tablib.Dataset(*rows, headers=headers)


def import_rows(*rows, headers=HEADERS, dry_run=False):
    return EmployeeResource().import_data(dataset(*rows, headers=headers), dry_run=dry_run)


def import_types(result):
    return [row.import_type for row in result.rows] + [row.import_type for row in result.invalid_rows]


def test_rows_without_id_add_employees_with_badges_by_slug_or_name(coffee, gamer):
    result = import_rows(
        ["", "Ana García", "Engineer", "Madrid", "coffee-snob, Gamer"],
        [None, "Ben Ode", "Architect", "Paris", ""],
    )
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert result.totals[RowResult.IMPORT_TYPE_NEW] == 2
    ana = Employee.objects.get(full_name="Ana García")
    assert (ana.job_title, ana.location_name) == ("Engineer", "Madrid")
    assert set(ana.badges.all()) == {coffee, gamer}
    assert not Employee.objects.get(full_name="Ben Ode").badges.exists()


def test_imported_employees_are_found_by_the_directory_search(coffee):
    employee = EmployeeFactory(full_name="Ben Ode", job_title="Engineer", location="Paris")
    import_rows(
        ["", "Ana García", "Engineer", "Madrid", "Coffee Snob"],
        [str(employee.pk), "Ben Ode", "Sommelier", "Paris", "coffee-snob"],
    )
    assert [e.full_name for e in Employee.objects.search("coffee")] == ["Ana García", "Ben Ode"]
    assert [e.full_name for e in Employee.objects.search("sommelier")] == ["Ben Ode"]
    assert [e.full_name for e in Employee.objects.search("garcía madrid")] == ["Ana García"]


def test_row_with_id_updates_that_employee(coffee, gamer):
    employee = EmployeeFactory(full_name="Ana García", job_title="Engineer", badges=[coffee])
    result = import_rows([str(employee.pk), "Ana García", "Architect", "Madrid", "gamer"])
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == 1
    employee.refresh_from_db()
    assert employee.job_title == "Architect"
    assert list(employee.badges.all()) == [gamer]


def test_row_changing_only_badges_is_an_update(coffee, gamer):
    employee = EmployeeFactory(
        full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee]
    )
    result = import_rows([str(employee.pk), "Ana García", "Engineer", "Madrid", "coffee-snob, gamer"])
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == 1
    assert set(employee.badges.all()) == {coffee, gamer}


def test_file_without_a_badges_column_keeps_the_badges(coffee):
    employee = EmployeeFactory(
        full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee]
    )
    result = import_rows([str(employee.pk), "Ana García", "Engineer", "Madrid"], headers=HEADERS[:4])
    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 1
    assert list(employee.badges.all()) == [coffee]


def test_each_written_row_is_recorded_once_as_the_importing_user(editor, coffee):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    ben = EmployeeFactory(full_name="Ben Ode", job_title="Designer", location="Paris")
    EmployeeResource().import_data(
        dataset(
            [str(ana.pk), "Ana García", "Architect", "Madrid", "coffee-snob"],
            [str(ben.pk), "Ben Ode", "Designer", "Paris", ""],
            ["", "Chloé Roy", "Engineer", "Paris", ""],
        ),
        user=editor,
    )
    change = ana.history.get(history_type="~")
    assert (change.job_title, change.version, change.history_user) == ("Architect", 2, editor)
    assert list(change.badges.values_list("badge", flat=True)) == [coffee.pk]
    # The version went up: an editor who opened Ana's page before the import cannot save over it unawares.
    assert Employee.objects.get(pk=ana.pk).version == 2
    assert Employee.objects.get(full_name="Chloé Roy").history.get().history_user == editor
    assert ben.history.count() == 1  # an unchanged row records nothing


def test_row_with_an_unknown_id_creates_the_employee_with_that_id():
    new_id = uuid.uuid4()
    import_rows([str(new_id), "Ana García", "Engineer", "Madrid", ""])
    assert Employee.objects.get(pk=new_id).full_name == "Ana García"


def test_file_without_an_id_column_adds_employees():
    result = import_rows(["Ana García", "Engineer", "Madrid", ""], headers=HEADERS[1:])
    assert result.totals[RowResult.IMPORT_TYPE_NEW] == 1
    assert Employee.objects.get().full_name == "Ana García"


def test_invalid_rows_are_reported_with_reasons_and_nothing_is_written(coffee):
    result = import_rows(
        ["", "Ana García", "Engineer", "Madrid", "coffee-snob"],
        ["", "   ", "Engineer", "Madrid", ""],
        ["", "Ben Ode", "x" * 101, "Madrid", ""],
        ["", "Chloé Roy", "Engineer", "Paris", "chess, coffee-snob"],
        ["not-a-uuid", "Dan Berg", "Engineer", "Paris", ""],
        dry_run=True,
    )
    assert result.has_validation_errors()
    errors = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert errors[2] == {"full_name": ["This field cannot be blank."]}
    assert errors[3] == {"job_title": ["Ensure this value has at most 100 characters (it has 101)."]}
    assert errors[4] == {"badges": ["Unknown badge: chess."]}
    assert errors[5] == {"id": ["Enter a valid UUID."]}
    assert not Employee.objects.exists()


def test_invalid_rows_are_left_out_of_an_import_that_goes_on(coffee):
    result = import_rows(
        ["", "Ana García", "Engineer", "Madrid", "coffee-snob"],
        ["", "Ben Ode", "", "Paris", "chess"],
    )
    assert result.invalid_rows[0].field_specific_errors == {
        "job_title": ["This field cannot be blank."],
        "badges": ["Unknown badge: chess."],
    }
    assert list(Employee.objects.values_list("full_name", flat=True)) == ["Ana García"]


def test_reimporting_an_export_changes_nothing(coffee, gamer, editor):
    EmployeeFactory(full_name="Ana García", badges=[coffee, gamer], mobile="+34612345678", office="Room 1")
    EmployeeFactory(full_name="Ben Ode", job_title="=1+1", location="-Basement")
    EmployeeFactory(full_name="@Chloé", badges=[gamer])
    before = {e.pk: (e.full_name, e.job_title, e.location_name, e.updated_at) for e in Employee.objects.all()}
    exported = "".join(csv_lines(Employee.objects.with_private_fields(editor)))
    assert ",+34612345678,managers,Room 1," in exported

    result = EmployeeResource().import_data(tablib.Dataset().load(exported.removeprefix("\ufeff"), "csv"))

    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 3
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == result.totals[RowResult.IMPORT_TYPE_NEW] == 0
    after = {e.pk: (e.full_name, e.job_title, e.location_name, e.updated_at) for e in Employee.objects.all()}
    assert after == before
    assert set(Employee.objects.get(full_name="Ana García").badges.all()) == {coffee, gamer}


def test_cells_are_trimmed_like_the_form_trims_them():
    import_rows(["", "  Ana García ", "Engineer\t", " Madrid", ""])
    employee = Employee.objects.get()
    assert (employee.full_name, employee.job_title, employee.location_name) == (
        "Ana García",
        "Engineer",
        "Madrid",
    )


def test_a_failing_row_rolls_back_the_whole_import(coffee):
    result = EmployeeResource().import_data(
        dataset(["", "Ana García", "Engineer", "Madrid", ""], ["", "", "Engineer", "Madrid", ""]),
        rollback_on_validation_errors=True,
    )
    assert result.has_validation_errors()
    assert not Employee.objects.exists()


CONTACT = ["id", "full_name", "job_title", "location", "department", "manager", "skills"]


def test_rows_set_the_department_by_name_the_manager_by_email_and_skills_by_name():
    platform = DepartmentFactory(name="Platform", slug="platform")
    boss = EmployeeFactory(full_name="Boss", work_email="Boss@Example.com")
    python = SkillFactory(name="Python", slug="python")
    result = import_rows(
        ["", "Ana García", "Engineer", "Madrid", "Platform", "boss@example.com", "python, Public  speaking"],
        ["", "Ben Ode", "Engineer", "Paris", "platform", str(boss.pk), ""],
        headers=CONTACT,
    )
    assert result.totals[RowResult.IMPORT_TYPE_NEW] == 2
    ana = Employee.objects.get(full_name="Ana García")
    assert (ana.department, ana.manager) == (platform, boss)
    assert [skill.name for skill in ana.skills.all()] == ["Public speaking", "Python"]
    assert Skill.objects.get(name="Public speaking").slug == "public-speaking"  # created, as the form does
    assert python in ana.skills.all()
    ben = Employee.objects.get(full_name="Ben Ode")
    assert (ben.department, ben.manager) == (platform, boss)
    assert list(Employee.objects.search("public speaking")) == [ana]


def test_contact_columns_are_read_and_checked_as_the_form_checks_them():
    employee = EmployeeFactory(full_name="Ana", job_title="Engineer", location="Madrid")
    headers = ["id", "work_email", "work_phone", "mobile", "mobile_visibility", "office", "time_zone"]
    headers += ["pronouns", "start_date", "start_date_visibility"]
    row = [str(employee.pk), "ana@EXAMPLE.com", "+34 911 23 45 67", "+34612345678", "everyone", "Tower B"]
    row += ["Europe/Madrid", "she/her", "2020-01-06", "editors"]
    result = import_rows(row, headers=headers)
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == 1
    employee.refresh_from_db()
    assert (employee.work_email, str(employee.work_phone), str(employee.mobile)) == (
        "ana@example.com",
        "+34911234567",
        "+34612345678",
    )
    assert (employee.office, employee.time_zone, employee.pronouns) == ("Tower B", "Europe/Madrid", "she/her")
    assert (employee.start_date, employee.mobile_visibility, employee.start_date_visibility) == (
        datetime.date(2020, 1, 6),
        "everyone",
        "editors",
    )


def test_an_empty_private_cell_keeps_the_value_and_an_empty_visibility_the_setting():
    employee = EmployeeFactory(
        mobile="+34612345678",
        mobile_visibility=Visibility.EDITORS,
        start_date=datetime.date(2020, 1, 6),
        work_phone="+34911234567",
    )
    headers = ["id", "work_phone", "mobile", "mobile_visibility", "start_date", "start_date_visibility"]
    result = import_rows([str(employee.pk), "", "", "", "", ""], headers=headers)
    assert (
        result.totals[RowResult.IMPORT_TYPE_UPDATE] == 1
    )  # the work phone, which is not private, is cleared
    employee.refresh_from_db()
    assert (employee.work_phone, str(employee.mobile), employee.start_date) == (
        "",
        "+34612345678",
        datetime.date(2020, 1, 6),
    )
    assert employee.mobile_visibility == Visibility.EDITORS


def test_an_unknown_department_location_manager_or_a_bad_skill_is_that_rows_error():
    result = import_rows(
        ["", "Ana", "Engineer", "Madrid", "Nowhere", "", ""],
        ["", "Ben", "Engineer", "Madrid", "", "nobody@example.com", ""],
        ["", "Chloé", "Engineer", "Madrid", "", "", "x" * 51],
        ["", "Dan", "Engineer", "Madrid", "", "", "Python"],
        ["", "Eve", "Engineer", "Lisbon", "", "", ""],
        ["", "Fay", "Engineer", " MADRID ", "", "", ""],
        headers=CONTACT,
        dry_run=True,
    )
    errors = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert errors == {
        1: {"department": ["Unknown department: Nowhere. Departments are added in the admin."]},
        2: {"manager": ["Nobody has the work email or id nobody@example.com."]},
        3: {"skills": ["“" + "x" * 51 + "” is longer than 50 characters: shorten the skill name."]},
        5: {"location": ["Unknown location: Lisbon. Locations are added in the admin."]},
    }
    assert result.totals[RowResult.IMPORT_TYPE_NEW] == 2  # Dan, and Fay at Madrid
    assert not Employee.objects.exists()
    assert not Skill.objects.exists()  # the preview's new skill was rolled back with it


def test_bad_contact_details_are_the_rows_errors_each_on_its_column():
    EmployeeFactory(full_name="Taken", work_email="taken@example.com")
    headers = ["full_name", "job_title", "location", "work_email", "mobile", "time_zone", "start_date"]
    row = ["Dan", "Engineer", "Madrid", "taken@EXAMPLE.com", "612", "Mars/Olympus", "06/01/2020"]
    result = import_rows([*row, "friends"], headers=[*headers, "mobile_visibility"], dry_run=True)
    assert result.invalid_rows[0].field_specific_errors == {
        "work_email": ["Another employee already has the work email taken@example.com."],
        "mobile": ["The phone number entered is not valid."],
        "time_zone": [
            "“Mars/Olympus” is not a time zone name; use one such as “Europe/Madrid” or “America/New_York”."
        ],
        "start_date": ["Enter a date as YYYY-MM-DD, for example 2024-01-31."],
        "mobile_visibility": ["Value 'friends' is not a valid choice."],
    }
    assert Employee.objects.count() == 1


def test_a_manager_who_left_or_a_loop_is_the_rows_error(editor):
    boss = EmployeeFactory(full_name="Boss", work_email="boss@example.com")
    ana = EmployeeFactory(full_name="Ana", job_title="Engineer", location="Madrid", manager=boss)
    gone = EmployeeFactory(full_name="Gone", work_email="gone@example.com")
    services.mark_as_left(gone, user=editor)
    headers = ["id", "manager"]
    result = import_rows([str(ana.pk), "gone@example.com"], [str(boss.pk), str(ana.pk)], headers=headers)
    errors = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert errors == {
        1: {"manager": ["Gone has left the company: choose a manager who works here."]},
        2: {"manager": ["Boss cannot report to Ana, who already reports to Boss: Ana → Boss."]},
    }
    assert Employee.objects.get(pk=boss.pk).manager is None


def test_a_row_whose_tags_and_references_are_unchanged_is_skipped_without_a_new_version():
    platform = DepartmentFactory(name="Platform")
    boss = EmployeeFactory(full_name="Boss", work_email="boss@example.com")
    ana = EmployeeFactory(
        full_name="Ana",
        job_title="Engineer",
        location="Madrid",
        department=platform,
        manager=boss,
        skills=[SkillFactory(name="Python")],
    )
    result = import_rows(
        [str(ana.pk), "Ana", "Engineer", "Madrid", "Platform", "BOSS@example.com", "python"], headers=CONTACT
    )
    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 1
    assert Employee.objects.get(pk=ana.pk).version == 1
