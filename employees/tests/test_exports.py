import csv
import io

import pytest
import vobject
from django.http import StreamingHttpResponse
from django.urls import reverse

from employees.exports import csv_lines, vcard
from employees.models import Employee

from .factories import EmployeeFactory

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
        "work_email": "",
        "work_phone": "",
        "mobile": "",
        "office": "",
        "time_zone": "",
        "pronouns": "",
        "start_date": "",
    }


def test_csv_keeps_accents_behind_a_byte_order_mark(reader_client):
    EmployeeFactory(full_name="Zoë Ångström")
    raw = b"".join(reader_client.get(CSV_EXPORT).streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ångström".encode() in raw


@pytest.mark.parametrize("formula", ["=HYPERLINK(1)", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_escapes_cells_a_spreadsheet_would_run(reader_client, formula):
    EmployeeFactory(full_name="Ana", job_title=formula, location=formula)
    row = read_csv(reader_client.get(CSV_EXPORT))[0]
    assert row["job_title"] == f"'{formula}"
    assert row["location"] == f"'{formula}"
    assert row["full_name"] == "Ana"


def test_csv_reads_employees_in_chunks_not_all_at_once(reader, coffee, django_assert_max_num_queries):
    EmployeeFactory.create_batch(5, badges=[coffee])
    lines = csv_lines(Employee.objects.with_badges().with_private_fields(reader))
    assert next(lines).startswith("\ufeffid,")
    # One query for a chunk of employees, one for their badges: not one per employee.
    with django_assert_max_num_queries(2):
        assert len(list(lines)) == 5


def test_csv_with_bad_filters_goes_back_to_the_list_page_to_explain(reader_client):
    response = reader_client.get(CSV_EXPORT, {"badge": "no-such-badge"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('employees:list')}?badge=no-such-badge"


@pytest.mark.parametrize("url", [CSV_EXPORT, VCARD_EXPORT])
def test_exports_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_page_export_links_keep_the_filters_but_not_the_page(reader_client):
    EmployeeFactory.create_batch(2, location="Madrid")
    content = reader_client.get(reverse("employees:list"), {"location": "Madrid", "page": 1}).content.decode()
    assert f'href="{CSV_EXPORT}?location=Madrid"' in content
    assert f'href="{VCARD_EXPORT}?location=Madrid"' in content


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
