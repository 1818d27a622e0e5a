"""An export imported back changes nothing: every column the export writes, the import reads."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.results import RowResult

from employees import exports, services
from employees.models import Employee, Skill, Visibility
from employees.resources import CSV, XLSX, EmployeeResource

from .factories import BadgeFactory, DepartmentFactory, EmployeeFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(coffee, gamer):
    """A directory with every kind of value an employee holds, and the awkward ones."""
    company = DepartmentFactory(name="Company", slug="company")
    engineering = DepartmentFactory(name="Engineering", slug="engineering", parent=company)
    sales = DepartmentFactory(name="=Sales", slug="sales")  # a name a spreadsheet would run
    python, speaking = SkillFactory(name="Python", slug="python"), SkillFactory(name="Public speaking")
    emea = SkillFactory(name="Sales, EMEA", slug="sales-emea")  # a name with the import's separator
    BadgeFactory(slug="unused", name="Unused")
    boss = EmployeeFactory(
        full_name="Boss Person",
        job_title="CEO",
        location="Madrid",
        department=company,
        work_email="boss@example.com",
        work_phone="+34911234567",
        mobile="+34612345678",
        mobile_visibility=Visibility.EDITORS,
        start_date=datetime.date(2010, 3, 1),
        start_date_visibility=Visibility.EVERYONE,
        time_zone="Europe/Madrid",
        office="Tower A, floor 9",
        pronouns="she/her",
        badges=[coffee],
        skills=[speaking],
    )
    no_email = EmployeeFactory(full_name="Quiet Lead", job_title="Lead", location="Lisbon", manager=boss)
    EmployeeFactory(
        full_name="Ana García",
        job_title="=HYPERLINK(1)",
        location="-Basement",
        department=engineering,
        manager=no_email,
        work_email="Ana.Garcia@example.com",
        mobile="+351912345678",
        mobile_visibility=Visibility.EVERYONE,
        start_date=datetime.date(2021, 11, 15),
        start_date_visibility=Visibility.MANAGERS,
        time_zone="Europe/Lisbon",
        badges=[coffee, gamer],
        skills=[python, speaking, emea],
    )
    EmployeeFactory(
        full_name="@Ben O'Neil",
        job_title="'Tis the season",
        location="Lagos",
        department=sales,
        manager=boss,
        work_email="ben@example.com",
        work_phone="+2348012345678",
        office="+1 desk",
        pronouns="he/him",
        skills=[emea],
    )
    EmployeeFactory(full_name="Zoë Ångström", job_title="Designer", location="Paris")
    return Employee.objects.all()


def state():
    """Everything the import could change: every column of every employee, their badges and skills, the
    catalogues, and the history."""
    return (
        list(Employee.objects.order_by("pk").values()),
        sorted(Employee.badges.through.objects.values_list("employee", "badge")),
        sorted(Employee.skills.through.objects.values_list("employee", "skill")),
        sorted(Skill.objects.values_list("pk", "slug", "name")),
        Employee.history.count(),
    )


def export(user, file_format):
    employees = Employee.objects.with_private_fields(user).order_by("full_name")
    if file_format == "csv":
        return "".join(exports.csv_lines(employees)).encode()
    file = io.BytesIO()
    exports.write_xlsx(exports.rows(employees), file)
    return file.getvalue()


def dataset(content, file_format):
    if file_format == "csv":
        return CSV(encoding="utf-8").create_dataset(content.decode("utf-8-sig"))
    return XLSX().create_dataset(content)


def import_back(content, file_format, user):
    return EmployeeResource().import_data(
        dataset(content, file_format), rollback_on_validation_errors=True, use_transactions=True, user=user
    )


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_editors_export_imported_back_changes_nothing(directory, editor, file_format):
    before = state()
    content = export(editor, file_format)

    result = import_back(content, file_format, editor)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == directory.count() == 5
    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == result.totals[RowResult.IMPORT_TYPE_NEW] == 0
    assert state() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_export_carries_every_column_the_import_reads(directory, editor, file_format):
    rows = dataset(export(editor, file_format), file_format).dict
    assert list(rows[0]) == exports.COLUMNS == EmployeeResource().get_diff_headers()
    ana = next(row for row in rows if row["full_name"] == "Ana García")
    # An empty cell of a workbook reads as None.
    assert {column: ana[column] or "" for column in exports.COLUMNS if column != "id"} == {
        "full_name": "Ana García",
        "job_title": "'=HYPERLINK(1)",
        "location": "'-Basement",
        "badges": "coffee-snob,gamer",
        "department": "Engineering",
        "manager": str(Employee.objects.get(full_name="Quiet Lead").pk),  # who has no work email
        "skills": "Public speaking, Python, sales-emea",  # a name with a comma by its slug
        "work_email": "Ana.Garcia@example.com",
        "work_phone": "",
        "mobile": "+351912345678",
        "mobile_visibility": "everyone",
        "office": "",
        "time_zone": "Europe/Lisbon",
        "pronouns": "",
        "start_date": "2021-11-15",
        "start_date_visibility": "managers",
    }


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_readers_export_imported_by_an_editor_keeps_what_the_reader_could_not_see(
    directory, reader, editor, file_format
):
    before = state()
    content = export(reader, file_format)
    boss = next(row for row in dataset(content, file_format).dict if row["full_name"] == "Boss Person")
    assert (boss["mobile"] or "", boss["start_date"]) == ("", "2010-03-01")  # the mobile is for editors

    result = import_back(content, file_format, editor)

    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 5
    assert state() == before
    assert str(Employee.objects.get(full_name="Boss Person").mobile) == "+34612345678"


def test_an_export_changed_in_a_spreadsheet_imports_its_changes(directory, editor):
    content = export(editor, "csv").decode("utf-8-sig")
    content = content.replace("Tower A, floor 9", "Tower B").replace(",'=Sales,", ",Engineering,")
    boss = Employee.objects.get(full_name="Boss Person")

    result = import_back(content.encode(), "csv", editor)

    assert result.totals[RowResult.IMPORT_TYPE_UPDATE] == 2
    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 3
    boss.refresh_from_db()
    assert (boss.office, boss.version) == ("Tower B", 2)
    ben = Employee.objects.get(full_name="@Ben O'Neil")
    assert (ben.department.name, ben.version) == ("Engineering", 2)


def test_the_admin_previews_an_export_as_unchanged_and_confirming_it_changes_nothing(
    admin_client, directory, admin_user
):
    content = b"".join(admin_client.get(reverse("employees:export-csv")).streaming_content)
    before = state()
    preview = admin_client.post(
        reverse("admin:employees_employee_import"),
        {"format": "0", "import_file": SimpleUploadedFile("employees.csv", content)},
    )
    result = preview.context["result"]
    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 5
    assert not result.has_validation_errors()

    response = admin_client.post(
        reverse("admin:employees_employee_process_import"), preview.context["confirm_form"].initial
    )
    assert response.status_code == 302
    assert state() == before


def test_importing_a_leaver_row_back_changes_nothing(directory, editor):
    ben = Employee.objects.get(full_name="@Ben O'Neil")
    services.mark_as_left(ben, user=editor)
    leavers = Employee.objects.with_private_fields(editor).filter(left_on__isnull=False)
    content = "".join(exports.csv_lines(leavers)).encode()
    before = state()

    result = import_back(content, "csv", editor)

    assert result.totals[RowResult.IMPORT_TYPE_SKIP] == 1
    assert state() == before
