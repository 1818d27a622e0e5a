import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from employees.models import Badge, Employee

from .factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

EMPLOYEES = reverse("api:employee-list")
BADGES = reverse("api:badge-list")


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


# Authentication


def test_anonymous_requests_get_401_with_the_token_challenge(api):
    response = api.get(EMPLOYEES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_authenticates_an_integration(api, reader):
    EmployeeFactory(full_name="Ana García")
    token = Token.objects.create(user=reader)
    response = api.get(EMPLOYEES, headers={"Authorization": f"Token {token.key}"})
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
    # The token, the count, the page's rows (with their departments), their badges, their skills.
    with django_assert_max_num_queries(5):
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


def test_retrieve_one_employee(reader_api):
    employee = EmployeeFactory(full_name="Ana García")
    assert reader_api.get(employee_url(employee)).json()["full_name"] == "Ana García"


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


def test_editor_replaces_an_employee(editor_api, coffee, gamer):
    employee = EmployeeFactory(badges=[coffee])
    response = editor_api.put(
        employee_url(employee), new_employee(job_title="Architect", badges=["gamer"]), format="json"
    )
    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.job_title == "Architect"
    assert list(employee.badges.all()) == [gamer]
    assert response.json()["badges"] == ["gamer"]


def test_editor_changes_one_field(editor_api, coffee):
    employee = EmployeeFactory(full_name="Ana García", location="Madrid", badges=[coffee])
    response = editor_api.patch(employee_url(employee), {"location": "Paris"}, format="json")
    assert response.status_code == 200
    employee.refresh_from_db()
    assert (employee.full_name, employee.location) == ("Ana García", "Paris")
    assert list(employee.badges.all()) == [coffee]


def test_editor_deletes_an_employee(editor_api):
    employee = EmployeeFactory()
    assert editor_api.delete(employee_url(employee)).status_code == 204
    assert not Employee.objects.exists()


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


def test_a_work_email_in_use_is_400_whatever_its_case(editor_api):
    EmployeeFactory(work_email="ana@example.com")
    response = editor_api.post(EMPLOYEES, new_employee(work_email="ANA@example.com"), format="json")
    assert response.status_code == 400
    assert response.json() == {"work_email": ["Another employee already has this work email."]}


def test_a_null_mobile_clears_it(editor_api):
    employee = EmployeeFactory(mobile="+34612345678")
    response = editor_api.patch(employee_url(employee), {"mobile": None}, format="json")
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


def test_duplicate_badge_is_400(editor_api, coffee):
    response = editor_api.post(BADGES, {"slug": "coffee-snob", "name": "Other", "icon": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"slug": ["badge with this slug already exists."]}


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
        "/api/v1/employees/",
        "/api/v1/employees/{id}/",
    }


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


def test_tokens_are_managed_in_the_admin(admin_client, reader):
    response = admin_client.post(reverse("admin:authtoken_tokenproxy_add"), {"user": reader.pk})
    assert response.status_code == 302
    assert Token.objects.get(user=reader).key


def test_department_manager_and_skills_are_read_and_written(editor_api):
    from .factories import DepartmentFactory, SkillFactory

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
    response = editor_api.patch(employee_url(boss), {"manager": str(ana.pk)}, format="json")
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
    response = editor_api.patch(employee_url(employee), changes, format="json")
    assert response.status_code == 400
    assert field in response.data


def test_filters_by_department_and_skill(reader_api):
    from .factories import DepartmentFactory, SkillFactory

    EmployeeFactory(
        full_name="Ana", department=DepartmentFactory(slug="platform"), skills=[SkillFactory(slug="go")]
    )
    EmployeeFactory(full_name="Ben")
    assert [
        e["full_name"] for e in reader_api.get(EMPLOYEES, {"department": "platform"}).data["results"]
    ] == ["Ana"]
    assert [e["full_name"] for e in reader_api.get(EMPLOYEES, {"skill": "go"}).data["results"]] == ["Ana"]
