import csv
import io
import re

import openpyxl
import pytest
import segno
import vobject
from django.http import StreamingHttpResponse
from django.urls import reverse

from employees import exports
from employees.exports import csv_lines, escape_formula, unescape_formula, vcard
from employees.models import Employee, Visibility
from employees.photos import photo_and_thumbnail

from .factories import (
    BadgeFactory,
    DepartmentFactory,
    EmployeeFactory,
    LocationFactory,
    SkillFactory,
    photo_upload,
)

pytestmark = pytest.mark.django_db

CSV_EXPORT = reverse("employees:export-csv")
VCARD_EXPORT = reverse("employees:export-vcard")


def read_csv(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(content.removeprefix("\ufeff"))))


def read_vcards(content):
    return list(vobject.readComponents(content.decode("utf-8")))


# CSV


def test_csv_streams_the_filtered_list_in_the_list_page_order(reader_client, coffee):
    EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode", location="Madrid")
    EmployeeFactory(full_name="Chloé Roy", location="Paris")
    response = reader_client.get(CSV_EXPORT, {"location": "Madrid", "sort": "-name"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="employees.csv"'
    rows = read_csv(response)
    assert [row["full_name"] for row in rows] == ["Ben Ode", "Ana García"]
    assert rows[1] == {
        "id": rows[1]["id"],
        "full_name": "Ana García",
        "job_title": "Engineer",
        "location": "Madrid",
        "badges": "coffee-snob",
        "department": "",
        "manager": "",
        "skills": "",
        "work_email": "",
        "work_phone": "",
        "mobile": "",
        "mobile_visibility": "managers",
        "office": "",
        "time_zone": "",
        "pronouns": "",
        "start_date": "",
        "start_date_visibility": "managers",
    }


def test_csv_carries_department_manager_skills_and_contact_details(reader_client):
    platform = DepartmentFactory(name="Platform")
    boss = EmployeeFactory(full_name="Boss", work_email="boss@example.com")
    quiet = EmployeeFactory(full_name="Quiet")  # a manager without a work email is named by id
    skills = [
        SkillFactory(name="Python"),
        SkillFactory(name="go"),
        SkillFactory(name="Sales, EMEA", slug="emea"),
    ]
    EmployeeFactory(
        full_name="Ana",
        department=platform,
        manager=boss,
        skills=skills,
        work_email="ana@example.com",
        work_phone="+34911234567",
        mobile="+34612345678",
        mobile_visibility=Visibility.EVERYONE,
        office="Tower B",
        time_zone="Europe/Madrid",
        pronouns="she/her",
        start_date="2020-01-06",
        start_date_visibility=Visibility.EVERYONE,
    )
    EmployeeFactory(full_name="Ben", manager=quiet)
    rows = {row["full_name"]: row for row in read_csv(reader_client.get(CSV_EXPORT))}
    ana = rows["Ana"]
    assert (ana["department"], ana["manager"], ana["skills"]) == (
        "Platform",
        "boss@example.com",
        "emea, go, Python",
    )
    assert (ana["work_email"], ana["work_phone"], ana["mobile"]) == (
        "ana@example.com",
        "+34911234567",
        "+34612345678",
    )
    assert (ana["office"], ana["time_zone"], ana["pronouns"], ana["start_date"]) == (
        "Tower B",
        "Europe/Madrid",
        "she/her",
        "2020-01-06",
    )
    assert rows["Ben"]["manager"] == str(quiet.pk)


def test_exports_leave_a_private_value_empty_for_whoever_may_not_see_it(reader, editor):
    EmployeeFactory(
        full_name="Ana",
        mobile="+34612345678",
        mobile_visibility=Visibility.EDITORS,
        start_date="2020-01-06",
        start_date_visibility=Visibility.MANAGERS,
    )

    def exported(user):
        [row] = exports.rows(Employee.objects.with_private_fields(user))
        return dict(zip(exports.COLUMNS, row, strict=True))

    seen_by_reader = exported(reader)
    assert (seen_by_reader["mobile"], seen_by_reader["start_date"]) == ("", "")
    assert seen_by_reader["mobile_visibility"] == "editors"
    seen_by_editor = exported(editor)
    assert (seen_by_editor["mobile"], seen_by_editor["start_date"]) == ("+34612345678", "2020-01-06")


def test_csv_writes_phone_numbers_without_an_apostrophe(reader_client):
    EmployeeFactory(
        full_name="Ana", work_phone="+34911234567", mobile="+34612345678", mobile_visibility="everyone"
    )
    content = b"".join(reader_client.get(CSV_EXPORT).streaming_content).decode()
    assert ",+34911234567,+34612345678," in content
    assert "'+" not in content


def test_csv_keeps_accents_behind_a_byte_order_mark(reader_client):
    EmployeeFactory(full_name="Zoë Ångström")
    raw = b"".join(reader_client.get(CSV_EXPORT).streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ångström".encode() in raw


@pytest.mark.parametrize(
    "formula", ["=HYPERLINK(1)", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "+A1", "+34 6)", "-34612345678"]
)
def test_csv_escapes_cells_a_spreadsheet_would_run(reader_client, formula):
    location = LocationFactory(
        name=f"{formula} office"
    ).name  # a location's spaces are tidied: "\t=1" is "=1"
    EmployeeFactory(full_name="Ana", job_title=formula, location=location)
    row = read_csv(reader_client.get(CSV_EXPORT))[0]
    assert row["job_title"] == f"'{formula}"
    assert row["location"] == f"'{location}"
    assert row["full_name"] == "Ana"


@pytest.mark.parametrize("count", [3, 30])
def test_csv_reads_employees_in_chunks_not_one_by_one(reader, coffee, count, django_assert_max_num_queries):
    boss = EmployeeFactory(full_name="Boss", work_email="boss@example.com")
    platform, python = DepartmentFactory(), SkillFactory()
    EmployeeFactory.create_batch(count, badges=[coffee], department=platform, manager=boss, skills=[python])
    lines = csv_lines(Employee.objects.with_private_fields(reader))
    assert next(lines).startswith("\ufeffid,")
    # One query for the skills' names, one for a chunk of employees with their departments and managers (their
    # badges and skills' slugs are on their own rows): not one per employee.
    with django_assert_max_num_queries(2):
        assert len(list(lines)) == count + 1


@pytest.mark.parametrize("count", [3, 30])
def test_xlsx_reads_employees_in_chunks_not_one_by_one(editor, coffee, count, django_assert_max_num_queries):
    boss = EmployeeFactory(full_name="Boss", work_email="boss@example.com")
    EmployeeFactory.create_batch(count, badges=[coffee], department=DepartmentFactory(), manager=boss)
    employees = Employee.objects.with_private_fields(editor)
    with django_assert_max_num_queries(2):
        exports.write_xlsx(exports.rows(employees), io.BytesIO())


def test_xlsx_holds_phone_numbers_as_text_and_formulas_neutralised(editor):
    EmployeeFactory(
        full_name="Ana", job_title="=HYPERLINK(1)", mobile="+34612345678", work_phone="+34911234567"
    )
    file = io.BytesIO()
    exports.write_xlsx(exports.rows(Employee.objects.with_private_fields(editor)), file)
    sheet = openpyxl.load_workbook(io.BytesIO(file.getvalue())).active
    cells = {header.value: cell for header, cell in zip(sheet[1], sheet[2], strict=True)}
    assert [cells[name].value for name in ["work_phone", "mobile"]] == ["+34911234567", "+34612345678"]
    assert {cell.data_type for cell in cells.values()} <= {"s", "inlineStr"}  # text: none is a formula
    assert cells["job_title"].value == "'=HYPERLINK(1)"


def test_csv_gives_each_employee_their_own_badge_slugs_in_order(reader, monkeypatch):
    first = BadgeFactory(slug="first", name="Zebra", position=2)
    second = BadgeFactory(slug="second", name="Aardvark", position=1)
    EmployeeFactory(full_name="Ana", badges=[second, first])
    EmployeeFactory(full_name="Ben")
    EmployeeFactory(full_name="Chloé", badges=[second])
    EmployeeFactory(full_name="Dan", badges=[first])
    EmployeeFactory(full_name="Eve", badges=[first, second])
    # Chunks of two: each person's badges are read with their row, whatever the chunk.
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    content = "".join(csv_lines(Employee.objects.with_private_fields(reader)))
    rows = csv.DictReader(io.StringIO(content.removeprefix("\ufeff")))
    assert {row["full_name"]: row["badges"] for row in rows} == {
        "Ana": "first,second",
        "Ben": "",
        "Chloé": "second",
        "Dan": "first",
        "Eve": "first,second",
    }


@pytest.mark.parametrize(
    "text", ["=SUM(A1)", "+1", "-1", "@A1", "\t=1", "Plain", "'quoted", "'-x", "''", "+34612345678", "'+34 6"]
)
def test_formula_escaping_round_trips(text):
    assert unescape_formula(escape_formula(text)) == text


def test_formula_escaping_makes_spreadsheets_show_text():
    assert escape_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert escape_formula("'Tis") == "''Tis"
    assert escape_formula("Ana") == "Ana"


@pytest.mark.parametrize("number", ["+34612345678", "+34 612 34 56 78", "+1 555 0100"])
def test_formula_escaping_leaves_phone_numbers_as_they_are(number):
    assert escape_formula(number) == number
    assert unescape_formula("'" + number) == number  # as exports written before this rule had them


def test_csv_with_bad_filters_goes_back_to_the_list_page_to_explain(reader_client):
    response = reader_client.get(CSV_EXPORT, {"badge": "no-such-badge"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('employees:list')}?badge=no-such-badge"


@pytest.mark.parametrize("url", [CSV_EXPORT, VCARD_EXPORT])
def test_exports_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_page_export_buttons_queue_jobs_with_the_filters_but_not_the_page(reader_client):
    EmployeeFactory.create_batch(2, location="Madrid")
    content = reader_client.get(reverse("employees:list"), {"location": "Madrid", "page": 1}).content.decode()
    assert f'action="{reverse("employees:export")}?location=Madrid"' in content
    for kind in ["csv", "xlsx", "vcard"]:
        assert f'name="kind" value="{kind}"' in content


# vCard


def test_vcard_of_one_employee_parses_back(reader_client, coffee, gamer):
    employee = EmployeeFactory(
        full_name="Zoë de la Cruz", job_title="Head of Sales, EMEA", location="Paris", badges=[coffee, gamer]
    )
    response = reader_client.get(reverse("employees:vcard", kwargs={"pk": employee.pk}))
    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    [card] = read_vcards(response.content)
    assert card.version.value == "3.0"
    assert card.fn.value == "Zoë de la Cruz"
    assert card.title.value == "Head of Sales, EMEA"
    assert card.adr.value.city == "Paris"
    assert card.categories.value == ["Coffee Snob", "Gamer"]
    assert card.uid.value == f"urn:uuid:{employee.pk}"
    assert card.url.value == f"http://testserver{employee.get_absolute_url()}"


def test_vcard_carries_the_department_the_photo_and_the_persons_page(reader_client):
    employee = EmployeeFactory(full_name="Ana García", department=DepartmentFactory(name="Sales; EMEA"))
    employee.photo, employee.photo_thumbnail = photo_and_thumbnail(photo_upload())
    employee.save()
    response = reader_client.get(reverse("employees:vcard", kwargs={"pk": employee.pk}))
    [card] = read_vcards(response.content)
    assert card.org.value == ["Sales; EMEA"]
    assert card.photo.params["TYPE"] == ["WEBP"]
    with employee.photo_thumbnail.open("rb") as thumbnail:
        assert card.photo.value == thumbnail.read()
    assert card.url.value == f"http://testserver{employee.get_absolute_url()}"


def test_vcard_of_someone_without_department_or_photo_has_neither(reader_client):
    employee = EmployeeFactory(full_name="Ana García")
    [card] = read_vcards(reader_client.get(reverse("employees:vcard", kwargs={"pk": employee.pk})).content)
    assert "org" not in card.contents
    assert "photo" not in card.contents


def test_vcard_list_carries_departments_photos_and_pages_in_one_query_per_chunk(
    reader_client, django_assert_max_num_queries
):
    for n in range(3):
        employee = EmployeeFactory(full_name=f"Person {n}", department=DepartmentFactory(name=f"Team {n}"))
        employee.photo, employee.photo_thumbnail = photo_and_thumbnail(photo_upload())
        employee.save()
    with django_assert_max_num_queries(12):
        cards = read_vcards(b"".join(reader_client.get(VCARD_EXPORT).streaming_content))
    assert [card.org.value for card in cards] == [["Team 0"], ["Team 1"], ["Team 2"]]
    assert all(card.photo.value.startswith(b"RIFF") for card in cards)  # WebP
    assert [card.url.value for card in cards] == [
        f"http://testserver{employee.get_absolute_url()}" for employee in Employee.objects.all()
    ]


def test_vcard_of_unknown_employee_is_404(reader_client):
    url = reverse("employees:vcard", kwargs={"pk": "6f1c1f1e-0000-4000-8000-000000000000"})
    assert reader_client.get(url).status_code == 404


def test_vcard_escapes_separators_and_folds_long_lines(reader):
    employee = EmployeeFactory(full_name="Ana; García", job_title="Lead, " + "very " * 18 + "long")
    serialized = vcard(Employee.objects.with_private_fields(reader).get(pk=employee.pk))
    assert max(len(line.encode()) for line in serialized.splitlines()) <= 75
    card = vobject.readOne(serialized)
    assert card.fn.value == "Ana; García"
    assert card.title.value == "Lead, " + "very " * 18 + "long"


def test_vcard_list_holds_the_filtered_employees(reader_client):
    EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    EmployeeFactory(full_name="Ben Ode", job_title="Architect", location="Madrid")
    EmployeeFactory(full_name="Chloé Roy", location="Paris")
    response = reader_client.get(VCARD_EXPORT, {"location": "Madrid"})
    assert response["Content-Disposition"] == 'attachment; filename="employees.vcf"'
    cards = read_vcards(b"".join(response.streaming_content))
    assert [(card.fn.value, card.title.value) for card in cards] == [
        ("Ana García", "Engineer"),
        ("Ben Ode", "Architect"),
    ]


# Transactions of its own: closing an unread response ends the request.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_exports_run_one_at_a_time_per_process_and_another_is_told_to_retry(reader_client):
    EmployeeFactory(full_name="Ana García")
    running = reader_client.get(VCARD_EXPORT)  # neither read nor closed
    refused = reader_client.get(CSV_EXPORT)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    running.close()
    assert "Ana García" in read_csv(reader_client.get(CSV_EXPORT))[0]["full_name"]
    assert reader_client.get(CSV_EXPORT).status_code == 200  # the one read to the end was closed


def test_vcard_folds_long_lines_of_accented_letters_between_letters(reader):
    employee = EmployeeFactory(full_name="Zoë", job_title="Ingénieure " * 9)
    serialized = vcard(Employee.objects.with_private_fields(reader).get(pk=employee.pk))
    assert max(len(line.encode()) for line in serialized.splitlines()) <= 75
    assert vobject.readOne(serialized).title.value == "Ingénieure " * 9


def test_vcard_qr_code_holds_the_downloaded_card_without_its_photo(reader_client):
    employee = EmployeeFactory(
        full_name="Ana García", mobile="+34612345678", mobile_visibility=Visibility.EDITORS
    )
    employee.photo, employee.photo_thumbnail = photo_and_thumbnail(photo_upload())
    employee.save()
    downloaded = reader_client.get(reverse("employees:vcard", kwargs={"pk": employee.pk})).content.decode()
    assert "+34612345678" not in downloaded  # the reader may not see the mobile
    # The PHOTO line, folded over the lines that start with a space after it, left out.
    without_photo = re.sub(r"PHOTO[^\r]*\r\n( [^\r]*\r\n)*", "", downloaded)
    assert "PHOTO" in downloaded
    assert "PHOTO" not in without_photo
    assert "FN:Ana García" in without_photo
    response = reader_client.get(reverse("employees:vcard-qr-code", kwargs={"pk": employee.pk}))
    assert response["Content-Type"] == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(without_photo, error="l").save(expected, kind="svg", scale=4, border=2)
    assert response.content == expected.getvalue()


def test_a_card_too_long_for_a_qr_code_gives_the_address_of_the_persons_page(reader_client):
    badges = [BadgeFactory(name=f"{n:02}" + "漢" * 98) for n in range(12)]
    employee = EmployeeFactory(full_name="漢" * 100, job_title="漢" * 100, office="漢" * 100, badges=badges)
    response = reader_client.get(reverse("employees:vcard-qr-code", kwargs={"pk": employee.pk}))
    assert response.status_code == 200
    expected = io.BytesIO()
    segno.make(f"http://testserver{employee.get_absolute_url()}", error="l").save(
        expected, kind="svg", scale=4, border=2
    )
    assert response.content == expected.getvalue()


def test_a_persons_page_shows_the_qr_code_of_their_vcard(reader_client):
    employee = EmployeeFactory(full_name="Ana García")
    content = reader_client.get(employee.get_absolute_url()).content.decode()
    qr_code = reverse("employees:vcard-qr-code", kwargs={"pk": employee.pk})
    assert f'src="{qr_code}" alt="QR code of the contact card of Ana García"' in content
    assert (
        reader_client.get(
            reverse("employees:vcard-qr-code", kwargs={"pk": "6f1c1f1e-0000-4000-8000-000000000000"})
        ).status_code
        == 404
    )
