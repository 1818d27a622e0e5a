import uuid

import pytest
import tablib
from import_export.results import RowResult

from employees.exports import csv_lines
from employees.models import Employee
from employees.resources import EmployeeResource, escape_formula, unescape_formula

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db

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
    assert (ana.job_title, ana.location) == ("Engineer", "Madrid")
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
    before = {e.pk: (e.full_name, e.job_title, e.location, e.updated_at) for e in Employee.objects.all()}
    # The contact columns after the import's own are ignored by it.
    exported = "".join(csv_lines(Employee.objects.with_badges().with_private_fields(editor)))
    assert "'+34612345678,Room 1," in exported

    result = EmployeeResource().import_data(tablib.Dataset().load(exported.removeprefix("\ufeff"), "csv"))

    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 3
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == result.totals[RowResult.IMPORT_TYPE_NEW] == 0
    after = {e.pk: (e.full_name, e.job_title, e.location, e.updated_at) for e in Employee.objects.all()}
    assert after == before
    assert set(Employee.objects.get(full_name="Ana García").badges.all()) == {coffee, gamer}


def test_cells_are_trimmed_like_the_form_trims_them():
    import_rows(["", "  Ana García ", "Engineer\t", " Madrid", ""])
    employee = Employee.objects.get()
    assert (employee.full_name, employee.job_title, employee.location) == ("Ana García", "Engineer", "Madrid")


def test_a_failing_row_rolls_back_the_whole_import(coffee):
    result = EmployeeResource().import_data(
        dataset(["", "Ana García", "Engineer", "Madrid", ""], ["", "", "Engineer", "Madrid", ""]),
        rollback_on_validation_errors=True,
    )
    assert result.has_validation_errors()
    assert not Employee.objects.exists()


@pytest.mark.parametrize("text", ["=SUM(A1)", "+1", "-1", "@A1", "\t=1", "Plain", "'quoted", "'-x", "''"])
def test_formula_escaping_round_trips(text):
    assert unescape_formula(escape_formula(text)) == text


def test_formula_escaping_makes_spreadsheets_show_text():
    assert escape_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert escape_formula("'Tis") == "''Tis"
    assert escape_formula("Ana") == "Ana"
