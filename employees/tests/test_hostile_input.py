"""Bad and hostile input at every place the app reads it: never a 500, never a change it should not make.

Each vector goes into every form field, query parameter, URL id and header the app reads. The expected outcome
is a form error, a 400 or a 404 (and the database unchanged), or, for input that is odd but legitimate, a save
whose value is shown back escaped.
"""

import uuid

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from employees.models import Employee

from .factories import EmployeeFactory, LocationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

VALID = {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid"}
LIST_URL = reverse("employees:list")

# Vectors a form must refuse: PostgreSQL cannot store NUL, and the fields hold 100 characters.
REFUSED = {
    "nul byte": "abc\x00def",
    "10,000 characters": "x" * 10_000,
}
# Vectors that are odd but storable text: saved as typed, and always shown back escaped.
STORED = {
    "script tag": "<script>alert(1)</script>",
    "attribute breakout": '" onmouseover="alert(1)" x="',
    "single-quoted attribute breakout": "' autofocus onfocus='alert(1)",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg/onload=alert(1)>",
    "javascript url": "javascript:alert(1)",
    "template syntax": "{{ request }}{% debug %}",
    "sql or": "' OR '1'='1",
    "sql drop": "'; DROP TABLE employees_employee; --",
    "sql union": "1 UNION SELECT username, password FROM auth_user --",
    "like wildcards": "%_%\\",
    "right-to-left override": "\u202egnp.exe",
    "combining characters": "Z\u0351\u0367\u0311a\u0357\u034cl\u0350g\u0363o",
    "emoji": "Ana 👩🏽‍💻🚀",
    "zero-width space": "\u200b",
    "crlf header injection": "a\r\nSet-Cookie: admin=1",
}
VECTORS = {**REFUSED, **STORED}
FIELDS = ["full_name", "job_title", "location"]


def assert_shown_escaped(content, value):
    """``value`` is on the page only in escaped form: no markup from it reaches the browser."""
    if any(char in value for char in "<>\"'&"):
        assert value not in content
    assert escape(value) in content or escape(value).replace("&#x27;", "&#39;") in content


@pytest.fixture
def employee(coffee):
    return EmployeeFactory(full_name="Ben Ode", job_title="Designer", location="London", badges=[coffee])


def chosen(field, vector):
    """What a form posts for ``vector`` in ``field``: a location is chosen from the catalogue, so an odd but
    storable name is added to it first, as an editor could in the admin, and posted as it was saved."""
    if field == "location" and vector in STORED.values():
        return LocationFactory(name=vector).name
    return vector


def snapshot():
    return list(Employee.objects.values_list("id", "full_name", "job_title", "location", "version"))


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_create_form_field(editor_client, field, vector):
    value = chosen(field, vector)
    response = editor_client.post(reverse("employees:create"), {**VALID, field: value})
    if vector in REFUSED.values():
        assert response.status_code == 200
        assert 'id="error-summary"' in response.content.decode()
        assert not Employee.objects.exists()
    else:
        assert response.status_code == 302
        employee = Employee.objects.get()
        assert getattr(employee, Employee._meta.get_field(field).attname) == value.strip()
        assert_shown_escaped(editor_client.get(employee.get_absolute_url()).content.decode(), value.strip())
        assert_shown_escaped(editor_client.get(LIST_URL).content.decode(), value.strip())


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_update_form_field(editor_client, employee, field, vector):
    before = snapshot()
    url = reverse("employees:update", args=[employee.pk])
    value = chosen(field, vector)
    response = editor_client.post(url, {**VALID, field: value, "version": employee.version})
    if vector in REFUSED.values():
        assert response.status_code == 200
        assert 'id="error-summary"' in response.content.decode()
        assert snapshot() == before
    else:
        assert response.status_code == 302
        employee.refresh_from_db()
        assert getattr(employee, Employee._meta.get_field(field).attname) == value.strip()
        assert_shown_escaped(editor_client.get(employee.get_absolute_url()).content.decode(), value.strip())


@pytest.mark.parametrize(
    "badges",
    [["abc"], ["-1"], ["999999"], ["1\x00"], ["' OR 1=1 --"], ["x" * 10_000], [str(uuid.uuid4())]],
    ids=["word", "negative", "unknown id", "nul byte", "sql", "10,000 characters", "uuid"],
)
def test_update_badges_field(editor_client, employee, badges):
    before = snapshot()
    url = reverse("employees:update", args=[employee.pk])
    response = editor_client.post(url, {**VALID, "badges": badges, "version": employee.version})
    assert response.status_code == 200
    assert "Badges:" in response.content.decode()
    assert snapshot() == before
    assert [badge.slug for badge in employee.badges.all()] == ["coffee-snob"]


@pytest.mark.parametrize(
    "version",
    ["", "-1", "0", "abc", "1.5", "1\x00", "9" * 30, "' OR 1=1 --"],
    ids=["empty", "negative", "zero", "word", "decimal", "nul byte", "huge", "sql"],
)
def test_update_version_field(editor_client, employee, version):
    before = snapshot()
    url = reverse("employees:update", args=[employee.pk])
    response = editor_client.post(url, {**VALID, "job_title": "Changed", "version": version})
    assert response.status_code == 200
    assert 'id="error-summary"' in response.content.decode()
    assert snapshot() == before


QUERY_PARAMETERS = ["q", "location", "badge", "sort"]


@pytest.mark.parametrize("parameter", QUERY_PARAMETERS)
@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_list_query_parameter(reader_client, employee, parameter, vector):
    before = snapshot()
    response = reader_client.get(LIST_URL, {parameter: vector})
    assert response.status_code == 200
    content = response.content.decode()
    if any(char in vector for char in "<>\"'"):
        assert vector not in content
    assert snapshot() == before


@pytest.mark.parametrize(
    "page",
    [
        "0",
        "-1",
        "-99999999999999999999",
        str(10**30),
        "abc",
        "1e3",
        "1.5",
        "\x00",
        "' OR 1=1 --",
        "x" * 10_000,
    ],
)
def test_bad_page_number_is_404(reader_client, employee, page):
    assert reader_client.get(LIST_URL, {"page": page}).status_code == 404


BAD_IDS = [
    "not-a-uuid",
    "123",
    "-1",
    "' OR 1=1 --",
    "%00",
    f"{uuid.uuid4()}%00",
    "0" * 10_000,
    "..%2F..%2Fetc%2Fpasswd",
    "%E2%80%AEdi",
    str(uuid.uuid4()),
]


@pytest.mark.parametrize("name", ["detail", "update", "delete"])
@pytest.mark.parametrize("bad_id", BAD_IDS, ids=range(len(BAD_IDS)))
def test_bad_employee_id_is_404(editor_client, employee, name, bad_id):
    before = snapshot()
    path = reverse(f"employees:{name}", args=[employee.pk]).replace(str(employee.pk), bad_id)
    assert editor_client.get(path).status_code == 404
    # The detail page takes no POST at all: 405 for an id it would otherwise look up.
    assert editor_client.post(path, {**VALID, "version": 1}).status_code in {404, 405}
    assert snapshot() == before


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=range(len(BAD_IDS)))
def test_bad_id_in_admin_is_not_an_error(admin_client, bad_id):
    response = admin_client.get(f"/admin/employees/employee/{bad_id}/change/")
    # The admin answers an unknown object with a redirect to the list and a message, or a 404.
    assert response.status_code in {302, 404}


@pytest.mark.parametrize(
    "host",
    [
        "evil.example.com",
        "localhost:port",
        "<script>alert(1)</script>",
        "x" * 10_000,
        "localhost\r\nX-Evil: 1",
    ],
    ids=["other host", "bad port", "markup", "10,000 characters", "header injection"],
)
def test_wrong_host_header_is_400(client, host):
    response = client.get(reverse("login"), HTTP_HOST=host)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("vector", STORED.values(), ids=STORED.keys())
def test_hostile_request_id_header_is_replaced(client, vector):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=vector)
    assert response.status_code == 200
    assert uuid.UUID(response["X-Request-ID"])
    assert response["X-Request-ID"] != vector


@pytest.mark.parametrize("vector", VECTORS.values(), ids=VECTORS.keys())
def test_login_username(client, reader, vector):
    response = client.post(reverse("login"), {"username": vector, "password": "wrong"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "alert-danger" in content or "invalid-feedback" in content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "header", ["HTTP_USER_AGENT", "HTTP_X_REQUEST_ID", "HTTP_X_FORWARDED_FOR", "HTTP_REFERER", "HTTP_ACCEPT"]
)
def test_nul_byte_in_a_header_is_400(client, reader, header):
    response = client.post(
        reverse("login"), {"username": "reader", "password": "wrong"}, **{header: "a\x00b"}
    )
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize("vector", STORED.values(), ids=STORED.keys())
def test_login_with_hostile_user_agent(client, reader, vector):
    response = client.post(
        reverse("login"), {"username": "reader", "password": "wrong"}, HTTP_USER_AGENT=vector
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "x" * 10_000,
        "' OR 1=1 --",
        "abc def ghijklmnopqrstuvwxyz012345",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
    ],
    ids=["garbage", "10,000 characters", "sql", "spaces", "upper case"],
)
def test_forged_session_cookie_is_signed_out(client, employee, value):
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("value", ["\x00", "\x00" * 32], ids=["nul byte", "32 nul bytes"])
def test_a_cookie_with_a_nul_byte_is_a_bad_request(client, employee, value):
    # PostgreSQL cannot compare a NUL byte: looked up as a session key, it would be a 500.
    client.cookies[settings.SESSION_COOKIE_NAME] = value
    assert client.get(LIST_URL).status_code == 400


@pytest.fixture
def csrf_client(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    return client


@pytest.mark.parametrize("name", ["create", "update", "delete"])
@pytest.mark.parametrize(
    "token", [None, "", "x" * 64, "' OR 1=1 --"], ids=["missing", "empty", "wrong", "sql"]
)
def test_write_without_a_valid_csrf_token_is_refused(csrf_client, employee, name, token):
    before = snapshot()
    url = (
        reverse(f"employees:{name}") if name == "create" else reverse(f"employees:{name}", args=[employee.pk])
    )
    data = {**VALID, "version": employee.version}
    if token is not None:
        data["csrfmiddlewaretoken"] = token
    assert csrf_client.post(url, data).status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("name", ["login", "logout"])
def test_sign_in_and_out_without_a_csrf_token_are_refused(reader, name):
    client = Client(enforce_csrf_checks=True)
    if name == "logout":
        client.force_login(reader)
    response = client.post(reverse(name), {"username": "reader", "password": "correct horse battery staple"})
    assert response.status_code == 403
    assert ("_auth_user_id" in client.session) == (name == "logout")
