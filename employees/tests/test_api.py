import re

import pytest
import yaml
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from employees import services
from employees.models import Badge, Department, Employee, Location, Skill

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

EMPLOYEES = reverse("api:employee-list")
BADGES = reverse("api:badge-list")
DEPARTMENTS = reverse("api:department-list")
SKILLS = reverse("api:skill-list")
LOCATIONS = reverse("api:location-list")


def employee_url(employee):
    return reverse("api:employee-detail", kwargs={"pk": employee.pk})


def badge_url(badge):
    return reverse("api:badge-detail", kwargs={"slug": badge.slug})


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def reader_api(api, reader):
    api.force_authenticate(reader)
    return api


@pytest.fixture
def editor_api(api, editor):
    api.force_authenticate(editor)
    return api


def new_employee(**changes):
    return {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid", "badges": [], **changes}


def snapshot():
    return list(Employee.objects.values_list("id", "full_name", "job_title", "location", "version"))


# Authentication


def test_anonymous_requests_get_401_with_the_token_challenge(api):
    response = api.get(EMPLOYEES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_authenticates_an_integration(api, reader):
    EmployeeFactory(full_name="Ana García")
    _, token = AuthToken.objects.create(user=reader)
    response = api.get(EMPLOYEES, headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200
    assert response.json()["results"][0]["full_name"] == "Ana García"


def test_wrong_token_is_rejected(api):
    response = api.get(EMPLOYEES, headers={"Authorization": "Token not-a-real-key"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_session_of_a_signed_in_user_works_in_the_browser(reader_client):
    assert reader_client.get(EMPLOYEES).status_code == 200


def test_session_writes_need_the_csrf_token(client, editor):
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(editor)
    response = csrf_client.post(EMPLOYEES, new_employee(), content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Employee.objects.exists()


# Reading


def test_list_shows_badges_as_slugs_and_names(reader_api, coffee, gamer):
    employee = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    employee.badges.set([gamer, coffee])
    result = reader_api.get(EMPLOYEES).json()["results"][0]
    assert result["id"] == str(employee.pk)
    assert result["full_name"] == "Ana García"
    assert result["job_title"] == "Engineer"
    assert result["location"] == "Madrid"
    assert dict(zip(result["badges"], result["badge_names"], strict=True)) == {
        "coffee-snob": "Coffee Snob",
        "gamer": "Gamer",
    }


def test_list_is_paginated_like_the_list_page(reader_api):
    EmployeeFactory.create_batch(30)
    first = reader_api.get(EMPLOYEES).json()
    assert first["count"] == 30
    assert len(first["results"]) == 25
    assert first["previous"] is None
    second = reader_api.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert {e["id"] for e in first["results"]}.isdisjoint(e["id"] for e in second["results"])


def test_page_out_of_range_is_404(reader_api):
    EmployeeFactory()
    assert reader_api.get(EMPLOYEES, {"page": 9}).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_list_queries_do_not_grow_with_employees(reader_api, coffee, count, django_assert_max_num_queries):
    EmployeeFactory.create_batch(count, badges=[coffee])
    # The reader's own and group permissions, the count, the page's rows (with their departments and the
    # private fields the reader may see), their badges, their skills.
    with django_assert_max_num_queries(6):
        assert reader_api.get(EMPLOYEES).status_code == 200


def test_search_uses_the_directory_search(reader_api, coffee):
    EmployeeFactory(full_name="Ana García", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode")
    names = [e["full_name"] for e in reader_api.get(EMPLOYEES, {"q": "coffee"}).json()["results"]]
    assert names == ["Ana García"]


def test_filters_by_location_and_badge(reader_api, coffee):
    EmployeeFactory(full_name="Ana García", location="Madrid", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode", location="Madrid")
    EmployeeFactory(full_name="Chloé Roy", location="Paris", badges=[coffee])
    response = reader_api.get(EMPLOYEES, {"location": "Madrid", "badge": "coffee-snob"})
    assert [e["full_name"] for e in response.json()["results"]] == ["Ana García"]


def test_sorts_like_the_list_page(reader_api):
    EmployeeFactory(full_name="Ana", job_title="Zookeeper")
    EmployeeFactory(full_name="Ben", job_title="Architect")
    response = reader_api.get(EMPLOYEES, {"sort": "-title"})
    assert [e["full_name"] for e in response.json()["results"]] == ["Ana", "Ben"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"badge": "no-such-badge"}, "badge"),
        ({"sort": "salary"}, "sort"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_filters_are_400_naming_the_parameter(reader_api, params, field):
    EmployeeFactory(location="Madrid")
    response = reader_api.get(EMPLOYEES, params)
    assert response.status_code == 400
    assert field in response.json()


def test_retrieve_one_employee_with_its_version(reader_api):
    employee = EmployeeFactory(full_name="Ana García")
    result = reader_api.get(employee_url(employee)).json()
    assert (result["full_name"], result["version"]) == ("Ana García", 1)


@pytest.mark.parametrize("pk", ["6f1c1f1e-0000-4000-8000-000000000000", "not-a-uuid"])
def test_unknown_id_is_404(reader_api, pk):
    response = reader_api.get(reverse("api:employee-detail", kwargs={"pk": pk}))
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_wrong_method_is_405(editor_api, method):
    response = getattr(editor_api, method)(EMPLOYEES)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method.upper()}" not allowed.'}


# Writing: readers may not


@pytest.mark.parametrize(
    ("method", "on_employee"),
    [("post", False), ("put", True), ("patch", True), ("delete", True)],
)
def test_readers_cannot_write(reader_api, method, on_employee):
    employee = EmployeeFactory(full_name="Ana García")
    url = employee_url(employee) if on_employee else EMPLOYEES
    response = getattr(reader_api, method)(url, new_employee(full_name="Changed"), format="json")
    assert response.status_code == 403
    assert list(Employee.objects.values_list("full_name", flat=True)) == ["Ana García"]


def test_readers_cannot_write_badges(reader_api):
    response = reader_api.post(BADGES, {"slug": "chess", "name": "Chess", "icon": "rook"}, format="json")
    assert response.status_code == 403
    assert not Badge.objects.filter(slug="chess").exists()


# Writing: editors may


def test_editor_creates_an_employee_with_badges(editor_api, coffee):
    response = editor_api.post(EMPLOYEES, new_employee(badges=["coffee-snob"]), format="json")
    assert response.status_code == 201
    employee = Employee.objects.get(pk=response.json()["id"])
    assert employee.full_name == "Ana García"
    assert list(employee.badges.all()) == [coffee]
    assert response.json()["badge_names"] == ["Coffee Snob"]
    assert response.json()["version"] == 1


@pytest.mark.parametrize(
    "changes",
    [{"department": "\x00"}, {"badges": ["\x00"]}, {"badges": ["coffee-snob\x00"]}, {"skills": ["\x00"]}],
    ids=["department", "badge", "badge-suffix", "skill"],
)
def test_a_nul_character_in_a_reference_is_400_naming_the_field(editor_api, coffee, changes):
    """PostgreSQL cannot compare a string with a NUL in it: looked up as it is, it was a 500."""
    response = editor_api.post(EMPLOYEES, new_employee(**changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == list(changes)
    assert not Employee.objects.exists()


@pytest.mark.parametrize("slug", ["a%00b", "%00", "a.b", "a b"])
def test_a_badge_address_that_is_no_slug_is_404(reader_api, slug):
    assert reader_api.get(f"{BADGES}{slug}/").status_code == 404


def test_a_new_employee_starts_at_version_1_whatever_is_sent(editor_api):
    response = editor_api.post(EMPLOYEES, new_employee(version=3), format="json")
    assert response.status_code == 201
    assert response.json()["version"] == Employee.objects.get().version == 1


def test_editor_replaces_an_employee(editor_api, coffee, gamer):
    employee = EmployeeFactory(badges=[coffee])
    response = editor_api.put(
        employee_url(employee),
        new_employee(job_title="Architect", badges=["gamer"], version=1),
        format="json",
    )
    assert response.status_code == 200
    employee.refresh_from_db()
    assert (employee.job_title, employee.version) == ("Architect", 2)
    assert list(employee.badges.all()) == [gamer]
    assert (response.json()["badges"], response.json()["version"]) == (["gamer"], 2)


def test_editor_changes_one_field(editor_api, coffee):
    employee = EmployeeFactory(full_name="Ana García", location="Madrid", badges=[coffee])
    response = editor_api.patch(employee_url(employee), {"location": "Paris", "version": 1}, format="json")
    assert response.status_code == 200
    employee.refresh_from_db()
    assert (employee.full_name, employee.location_name) == ("Ana García", "Paris")
    assert list(employee.badges.all()) == [coffee]


def test_each_change_is_recorded_once_as_the_editor(editor_api, editor):
    employee = EmployeeFactory(location="Madrid")
    editor_api.patch(employee_url(employee), {"location": "Paris", "version": 1}, format="json")
    change = employee.history.get(history_type="~")
    assert (change.location_id, change.version, change.history_user) == ("Paris", 2, editor)


# Writing: lost updates


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_change_without_the_version_read_is_400(editor_api, method):
    employee = EmployeeFactory(job_title="Engineer")
    before = snapshot()
    response = getattr(editor_api, method)(
        employee_url(employee), new_employee(job_title="Mine"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"version": ["Send the version you read, to change an employee."]}
    assert snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_second_change_made_on_the_same_version_is_409_and_changes_nothing(editor_api, method):
    employee = EmployeeFactory(job_title="Engineer")
    read = editor_api.get(employee_url(employee)).json()["version"]
    send = getattr(editor_api, method)

    first = send(employee_url(employee), new_employee(job_title="Theirs", version=read), format="json")
    assert (first.status_code, first.json()["version"]) == (200, read + 1)
    after_first = snapshot()

    second = send(employee_url(employee), new_employee(job_title="Mine", version=read), format="json")
    assert second.status_code == 409
    assert second.json() == {
        "detail": "Someone else saved this employee after the version you sent; nothing was saved."
    }
    assert snapshot() == after_first
    assert Employee.objects.get().job_title == "Theirs"
    assert employee.history.count() == 2  # its creation and the first change


def test_editor_deletes_an_employee(editor_api, editor):
    employee = EmployeeFactory()
    assert editor_api.delete(employee_url(employee)).status_code == 204
    assert not Employee.objects.exists()
    assert employee.history.get(history_type="-").history_user == editor


def test_deleting_a_manager_moves_their_reports_to_the_manager_above(editor_api, editor):
    boss = EmployeeFactory(full_name="Boss")
    manager = EmployeeFactory(full_name="Manager", manager=boss)
    ana = EmployeeFactory(full_name="Ana", manager=manager)
    ben = EmployeeFactory(full_name="Ben", manager=manager)
    assert editor_api.delete(employee_url(manager)).status_code == 204
    assert not Employee.objects.filter(pk=manager.pk).exists()
    for report in (ana, ben):
        report.refresh_from_db()
        assert report.manager == boss
        move = report.history.latest()
        assert (move.history_change_reason, move.history_user) == ("Their manager was deleted", editor)


def test_deleting_a_top_manager_leaves_their_reports_with_nobody_above(editor_api):
    boss = EmployeeFactory(full_name="Boss")
    ana = EmployeeFactory(full_name="Ana", manager=boss)
    assert editor_api.delete(employee_url(boss)).status_code == 204
    ana.refresh_from_db()
    assert ana.manager is None


def test_editor_manages_badges(editor_api):
    response = editor_api.post(BADGES, {"slug": "chess", "name": "Chess", "icon": "rook"}, format="json")
    assert response.status_code == 201
    badge = Badge.objects.get(slug="chess")
    assert editor_api.patch(badge_url(badge), {"name": "Chess Club"}, format="json").status_code == 200
    assert editor_api.get(BADGES).json() == [
        {"slug": "chess", "name": "Chess Club", "icon": "rook", "position": 0}
    ]
    assert editor_api.delete(badge_url(badge)).status_code == 204
    assert not Badge.objects.exists()


def test_staff_without_permissions_cannot_write(api):
    api.force_authenticate(UserFactory(is_staff=True))
    assert api.post(EMPLOYEES, new_employee(), format="json").status_code == 403
    assert not Employee.objects.exists()


# Validation


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "   "}, "full_name", "This field may not be blank."),
        ({"job_title": "x" * 101}, "job_title", "Ensure this field has no more than 100 characters."),
        ({"location": None}, "location", "This field may not be null."),
        ({"full_name": "Ana\x00"}, "full_name", "Null characters are not allowed."),
        ({"badges": ["no-such-badge"]}, "badges", "Object with slug=no-such-badge does not exist."),
        ({"badges": "coffee-snob"}, "badges", 'Expected a list of items but got type "str".'),
        ({"work_email": "ana@"}, "work_email", "Enter a valid email address."),
        ({"mobile": "612 34 56 78"}, "mobile", "Enter a valid phone number."),
        (
            {"time_zone": "Mars/Olympus"},
            "time_zone",
            "“Mars/Olympus” is not a time zone name; use one such as “Europe/Madrid” or “America/New_York”.",
        ),
        ({"mobile_visibility": "friends"}, "mobile_visibility", '"friends" is not a valid choice.'),
    ],
)
def test_invalid_employee_is_400_with_field_errors(editor_api, coffee, changes, field, message):
    response = editor_api.post(EMPLOYEES, new_employee(**changes), format="json")
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert not Employee.objects.exists()


def test_contact_details_are_written_normalised(editor_api):
    changes = {"work_email": "Ana@Example.COM", "work_phone": "+34 911 23 45 67", "start_date": "2020-01-06"}
    response = editor_api.post(EMPLOYEES, new_employee(**changes), format="json")
    assert response.status_code == 201
    result = response.json()
    assert (result["work_email"], result["work_phone"]) == ("Ana@example.com", "+34911234567")
    assert (result["mobile"], result["start_date"], result["mobile_visibility"]) == (
        "",
        "2020-01-06",
        "managers",
    )


def test_a_work_email_in_use_is_a_conflict_whatever_its_case(editor_api):
    EmployeeFactory(work_email="ana@example.com")
    response = editor_api.post(EMPLOYEES, new_employee(work_email="ANA@example.com"), format="json")
    assert response.status_code == 409
    assert response.json() == {"work_email": ["Another employee already has this work email."]}


def test_a_null_mobile_clears_it(editor_api):
    employee = EmployeeFactory(mobile="+34612345678")
    response = editor_api.patch(employee_url(employee), {"mobile": None, "version": 1}, format="json")
    assert response.status_code == 200
    assert response.json()["mobile"] == ""
    assert Employee.objects.get(pk=employee.pk).mobile == ""


def test_missing_fields_are_all_reported(editor_api):
    response = editor_api.post(EMPLOYEES, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"full_name", "job_title", "location"}


def test_malformed_json_is_400(editor_api):
    response = editor_api.generic("POST", EMPLOYEES, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_badge_with_a_slug_another_has_is_a_conflict(editor_api, coffee):
    response = editor_api.post(BADGES, {"slug": "coffee-snob", "name": "Other", "icon": "x"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"slug": ["badge with this slug already exists."]}


def test_a_conflict_with_another_error_is_400_with_both(editor_api, coffee):
    response = editor_api.post(BADGES, {"slug": "coffee-snob", "name": "", "icon": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"slug", "name"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"job_title": 7}, "job_title"),
        ({"skills": ["Python", 3]}, "skills"),
        ({"work_phone": 34612345678}, "work_phone"),
        ({"job_title": f" {'x' * 100}"}, "job_title"),
        ({"department": ""}, "department"),
        ({"manager": ""}, "manager"),
    ],
    ids=[
        *["number for text", "number in a list of text", "number for a phone"],
        *["too long until trimmed", "empty slug", "empty id"],
    ],
)
def test_a_value_of_the_wrong_type_is_400_and_never_taken_as_another(editor_api, changes, field):
    response = editor_api.post(EMPLOYEES, new_employee(**changes), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Employee.objects.exists()


def test_the_api_reads_json_only(editor_api):
    response = editor_api.post(EMPLOYEES, new_employee(), format="multipart")
    assert response.status_code == 415
    assert not Employee.objects.exists()


def test_read_only_fields_are_ignored(editor_api):
    chosen_id = "6f1c1f1e-0000-4000-8000-000000000000"
    response = editor_api.post(EMPLOYEES, new_employee(id=chosen_id, badge_names=["Boss"]), format="json")
    assert response.status_code == 201
    assert response.json()["id"] != chosen_id
    assert response.json()["badge_names"] == []


# Schema and docs


def test_schema_generates_without_warnings(tmp_path):
    schema_file = tmp_path / "schema.yaml"
    # --fail-on-warn turns any warning or error of the generator into a failure; --validate checks OpenAPI 3.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema_file))
    schema = yaml.safe_load(schema_file.read_text())
    assert set(schema["paths"]) == {
        "/api/v1/badges/",
        "/api/v1/badges/{slug}/",
        "/api/v1/departments/",
        "/api/v1/departments/{slug}/",
        "/api/v1/employees/",
        "/api/v1/employees/{id}/",
        "/api/v1/locations/",
        "/api/v1/locations/{name}/",
        "/api/v1/skills/",
        "/api/v1/skills/{slug}/",
    }
    assert set(schema["paths"]["/api/v1/locations/"]) == {"get", "post"}
    manager = next(
        p for p in schema["paths"]["/api/v1/employees/"]["get"]["parameters"] if p["name"] == "manager"
    )
    assert manager["schema"] == {"type": "string", "format": "uuid"}
    photo_url = schema["components"]["schemas"]["Employee"]["properties"]["photo_url"]
    assert (photo_url["format"], photo_url["nullable"], photo_url["readOnly"]) == ("uri", True, True)


def test_the_schema_documents_every_error_each_operation_can_answer(reader_api):
    schema = reader_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    responses = {
        (method, path): set(operation["responses"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    assert responses[("get", "/api/v1/employees/")] == {"200", "400", "401", "403", "404", "406"}
    assert responses[("get", "/api/v1/badges/")] == {"200", "401", "403", "406"}
    assert responses[("patch", "/api/v1/employees/{id}/")] == {
        *["200", "400", "401", "403", "404", "406", "409", "415"]
    }
    assert responses[("delete", "/api/v1/locations/{name}/")] == {"204", "401", "403", "404", "406", "409"}
    components = schema["components"]["schemas"]
    # A change needs the version read; a full name is text without NUL that is not only spaces.
    assert components["PatchedEmployeeChangeRequest"]["required"] == ["version"]
    full_name = re.compile(components["EmployeeRequest"]["properties"]["full_name"]["pattern"])
    assert [bool(full_name.search(text)) for text in ["Ana", " Ana ", "  ", "", "A\x00na"]] == [
        *[True, True, False, False, False]
    ]


def test_schema_documents_the_version_and_the_conflict(reader_api):
    schema = yaml.safe_load(reader_api.get(reverse("api-schema")).content)
    version = schema["components"]["schemas"]["Employee"]["properties"]["version"]
    assert "409 Conflict" in version["description"]
    for method in ["put", "patch"]:
        responses = schema["paths"]["/api/v1/employees/{id}/"][method]["responses"]
        assert "nothing was saved" in responses["409"]["description"]


def test_schema_needs_sign_in(api, reader):
    assert api.get(reverse("api-schema")).status_code == 401
    api.force_authenticate(reader)
    assert api.get(reverse("api-schema")).status_code == 200


def test_docs_page_uses_local_files_and_no_inline_script(reader_client):
    response = reader_client.get(reverse("api-docs"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in content
    assert "<script>" not in content
    assert "<style>" not in content
    assert "https://" not in content
    script = reader_client.get(reverse("api-docs"), {"script": ""})
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle" in script.content.decode()


def test_docs_page_sends_anonymous_users_to_sign_in(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_token_created_in_the_admin_is_shown_once_and_stored_as_a_hash(admin_client, api, reader):
    response = admin_client.post(reverse("admin:knox_authtoken_add"), {"user": reader.pk, "expiry": ""})
    assert response.status_code == 302
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    [token] = [message.removeprefix("TOKEN ") for message in messages if message.startswith("TOKEN ")]
    assert len(token) == 64
    stored = AuthToken.objects.get(user=reader)
    assert token not in {stored.digest, stored.token_key}
    assert stored.token_key == token[:15]
    assert api.get(EMPLOYEES, headers={"Authorization": f"Token {token}"}).status_code == 200
    changelist = reverse("admin:knox_authtoken_changelist")
    assert token in admin_client.get(changelist).content.decode()  # the message, once
    assert token not in admin_client.get(changelist).content.decode()


def test_a_deleted_token_no_longer_works(api, reader):
    instance, token = AuthToken.objects.create(user=reader)
    instance.delete()
    assert api.get(EMPLOYEES, headers={"Authorization": f"Token {token}"}).status_code == 401


def test_department_manager_and_skills_are_read_and_written(editor_api):
    DepartmentFactory(name="Platform", slug="platform")
    SkillFactory(name="Python", slug="python")
    boss = EmployeeFactory(full_name="Boss")
    payload = {
        "full_name": "Ana",
        "job_title": "Engineer",
        "location": "Madrid",
        "department": "platform",
        "manager": str(boss.pk),
        "skills": ["python", "Public speaking", "PYTHON"],
    }
    response = editor_api.post(EMPLOYEES, payload, format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    assert data["department"] == "platform"
    assert data["department_name"] == "Platform"
    assert data["manager"] == str(boss.pk)
    assert data["skills"] == ["Public speaking", "Python"]


def test_a_manager_loop_is_400_with_the_message(editor_api):
    boss = EmployeeFactory(full_name="Boss")
    ana = EmployeeFactory(full_name="Ana", manager=boss)
    response = editor_api.patch(employee_url(boss), {"manager": str(ana.pk), "version": 1}, format="json")
    assert response.status_code == 400
    assert response.data["manager"] == ["Boss cannot report to Ana, who already reports to Boss: Ana → Boss."]
    boss.refresh_from_db()
    assert boss.manager is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"department": "nowhere"}, "department"),
        ({"skills": ["x" * 51]}, "skills"),
        ({"skills": [""]}, "skills"),
    ],
)
def test_bad_departments_and_skills_are_400(editor_api, changes, field):
    employee = EmployeeFactory()
    response = editor_api.patch(employee_url(employee), {**changes, "version": 1}, format="json")
    assert response.status_code == 400
    assert list(response.data) == [field]


def test_filters_by_department_and_skill(reader_api):
    EmployeeFactory(
        full_name="Ana", department=DepartmentFactory(slug="platform"), skills=[SkillFactory(slug="go")]
    )
    EmployeeFactory(full_name="Ben")
    assert [
        e["full_name"] for e in reader_api.get(EMPLOYEES, {"department": "platform"}).data["results"]
    ] == ["Ana"]
    assert [e["full_name"] for e in reader_api.get(EMPLOYEES, {"skill": "go"}).data["results"]] == ["Ana"]


# Departments, skills and locations


def department_url(slug):
    return reverse("api:department-detail", kwargs={"slug": slug})


def skill_url(slug):
    return reverse("api:skill-detail", kwargs={"slug": slug})


def test_readers_read_departments_and_skills_but_cannot_write_them(reader_api):
    company = DepartmentFactory(name="Company", slug="company")
    DepartmentFactory(name="Platform", slug="platform", parent=company)
    SkillFactory(name="Python", slug="python")
    assert reader_api.get(DEPARTMENTS).json() == [
        {"slug": "company", "name": "Company", "parent": None},
        {"slug": "platform", "name": "Platform", "parent": "company"},
    ]
    assert reader_api.get(SKILLS).json() == [{"slug": "python", "name": "Python"}]
    assert reader_api.get(department_url("platform")).json()["parent"] == "company"
    assert reader_api.post(DEPARTMENTS, {"slug": "x", "name": "X"}, format="json").status_code == 403
    assert reader_api.post(SKILLS, {"name": "Go"}, format="json").status_code == 403
    assert reader_api.delete(skill_url("python")).status_code == 403
    assert (Department.objects.count(), Skill.objects.count()) == (2, 1)


def test_department_list_reads_parents_in_the_same_query(reader_api, django_assert_max_num_queries):
    company = DepartmentFactory(name="Company", slug="company")
    for n in range(10):
        DepartmentFactory(name=f"Team {n}", slug=f"team-{n}", parent=company)
    # The reader's own and group permissions, the departments with their parents.
    with django_assert_max_num_queries(3):
        assert len(reader_api.get(DEPARTMENTS).json()) == 11


def test_editor_manages_departments(editor_api):
    response = editor_api.post(DEPARTMENTS, {"slug": "company", "name": "Company"}, format="json")
    assert response.status_code == 201
    payload = {"slug": "platform", "name": "Platform", "parent": "company"}
    assert editor_api.post(DEPARTMENTS, payload, format="json").status_code == 201
    response = editor_api.patch(department_url("platform"), {"name": "Platform Team"}, format="json")
    assert response.json() == {"slug": "platform", "name": "Platform Team", "parent": "company"}
    assert editor_api.delete(department_url("platform")).status_code == 204
    assert list(Department.objects.values_list("slug", flat=True)) == ["company"]


def test_renaming_a_department_updates_what_the_search_finds(editor_api):
    ana = EmployeeFactory(full_name="Ana", department=DepartmentFactory(name="Platform", slug="platform"))
    editor_api.patch(department_url("platform"), {"name": "Infrastructure"}, format="json")
    assert list(Employee.objects.search("infrastructure")) == [ana]


def test_a_department_cannot_be_put_under_itself(editor_api):
    company = DepartmentFactory(name="Company", slug="company")
    DepartmentFactory(name="Platform", slug="platform", parent=company)
    response = editor_api.patch(department_url("company"), {"parent": "platform"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "parent": ["“Company” cannot be part of “Platform”, which is part of it: Platform → Company."]
    }
    assert Department.objects.get(slug="company").parent is None


def test_a_department_with_people_or_subdepartments_is_not_deleted(editor_api):
    company = DepartmentFactory(name="Company", slug="company")
    platform = DepartmentFactory(name="Platform", slug="platform", parent=company)
    EmployeeFactory(department=platform)
    for slug in ["company", "platform"]:
        response = editor_api.delete(department_url(slug))
        assert response.status_code == 409
        assert "nothing was deleted" in response.json()["detail"]
    assert Department.objects.count() == 2


def test_editor_manages_skills_and_a_new_one_gets_a_slug_from_its_name(editor_api):
    response = editor_api.post(SKILLS, {"name": "  Public   speaking "}, format="json")
    assert response.status_code == 201
    assert response.json() == {"slug": "public-speaking", "name": "Public speaking"}
    duplicate = editor_api.post(SKILLS, {"name": "PUBLIC SPEAKING"}, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json() == {"name": ["A skill with this name already exists."]}
    ana = EmployeeFactory(skills=[Skill.objects.get()])
    assert (
        editor_api.patch(skill_url("public-speaking"), {"name": "Speaking"}, format="json").status_code == 200
    )
    assert list(Employee.objects.search("speaking")) == [ana]
    assert editor_api.delete(skill_url("public-speaking")).status_code == 204
    assert not ana.skills.exists()


def test_locations_list_the_catalogue_with_headcounts_leavers_left_out(reader_api, editor):
    EmployeeFactory.create_batch(2, location="Madrid")
    EmployeeFactory(location="Lisbon")
    services.mark_as_left(EmployeeFactory(location="Lisbon"), user=editor)
    services.mark_as_left(EmployeeFactory(location="Oslo"), user=editor)
    located = {location["name"]: location["headcount"] for location in reader_api.get(LOCATIONS).json()}
    assert located == {"Lisbon": 1, "Madrid": 2, "Oslo": 0, "Paris": 0}
    madrid = reader_api.get(f"{LOCATIONS}Madrid/").json()
    assert madrid == {
        "name": "Madrid",
        "country": "",
        "time_zone": "Europe/Madrid",
        "address": "",
        "headcount": 2,
    }


def test_editor_manages_locations_and_a_rename_moves_their_people(editor_api):
    response = editor_api.post(LOCATIONS, {"name": " Lisbon ", "country": "Portugal"}, format="json")
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["headcount"]) == ("Lisbon", 0)
    duplicate = editor_api.post(LOCATIONS, {"name": "LISBON"}, format="json")
    assert duplicate.status_code == 409
    assert duplicate.json() == {"name": ["A location with this name already exists."]}
    ana = EmployeeFactory(location="Lisbon")
    renamed = editor_api.patch(f"{LOCATIONS}Lisbon/", {"name": "Lisboa"}, format="json")
    assert renamed.status_code == 200
    ana.refresh_from_db()
    assert ana.location_name == "Lisboa"
    assert list(Employee.objects.search("lisboa")) == [ana]
    assert editor_api.delete(f"{LOCATIONS}Lisboa/").status_code == 409
    assert Location.objects.filter(name="Lisboa").exists()
    assert editor_api.delete(f"{LOCATIONS}Paris/").status_code == 204


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_readers_cannot_change_locations(reader_api, method):
    url = LOCATIONS if method == "post" else f"{LOCATIONS}Paris/"
    assert getattr(reader_api, method)(url, {"name": "Oslo"}, format="json").status_code == 403
    assert list(Location.objects.values_list("name", flat=True)) == ["Madrid", "Paris"]


def test_an_employee_names_a_location_of_the_catalogue_in_any_case(editor_api):
    data = {"full_name": "Ana", "job_title": "Engineer", "location": " MADRID "}
    response = editor_api.post(EMPLOYEES, data, format="json")
    assert response.status_code == 201
    assert response.json()["location"] == "Madrid"
    unknown = editor_api.post(EMPLOYEES, {**data, "location": "Lisbon"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json() == {"location": ["Object with name=Lisbon does not exist."]}


def test_photo_url_is_the_thumbnail_or_the_photo_or_null(reader_api):
    EmployeeFactory(full_name="Ana", photo="photos/ana.webp", photo_thumbnail="photos/ana-small.webp")
    EmployeeFactory(full_name="Ben", photo="photos/ben.webp")  # saved before thumbnails were made
    EmployeeFactory(full_name="Chloé")
    results = {e["full_name"]: e["photo_url"] for e in reader_api.get(EMPLOYEES).json()["results"]}
    assert results == {
        "Ana": "http://testserver/media/photos/ana-small.webp",
        "Ben": "http://testserver/media/photos/ben.webp",
        "Chloé": None,
    }


def test_filters_by_manager(reader_api):
    boss = EmployeeFactory(full_name="Boss")
    lead = EmployeeFactory(full_name="Lead", manager=boss)
    EmployeeFactory(full_name="Ana", manager=lead)
    EmployeeFactory(full_name="Ben", manager=boss)
    response = reader_api.get(EMPLOYEES, {"manager": str(boss.pk)})
    assert [e["full_name"] for e in response.json()["results"]] == ["Ben", "Lead"]
    invalid = reader_api.get(EMPLOYEES, {"manager": "boss"})
    assert invalid.status_code == 400
    assert list(invalid.json()) == ["manager"]
