"""Response headers set for every page: Content-Security-Policy, Cross-Origin-Resource-Policy, request id."""

import re
import uuid

import pytest
from django.urls import reverse

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(coffee):
    return EmployeeFactory(badges=[coffee])


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(directive.split(" ", 1) for directive in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def test_cross_origin_resource_policy_is_same_origin(client):
    assert client.get("/healthz")["Cross-Origin-Resource-Policy"] == "same-origin"
    assert client.get(reverse("login"))["Cross-Origin-Resource-Policy"] == "same-origin"


def inline_code(content):
    """Inline scripts, style elements and event-handler attributes: all blocked by the policy."""
    return re.findall(r"<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|\son[a-z]+=", content)


@pytest.mark.parametrize(
    "url",
    [
        lambda employee: reverse("employees:list"),
        lambda employee: employee.get_absolute_url(),
        lambda employee: reverse("employees:create"),
        lambda employee: reverse("employees:update", args=[employee.pk]),
        lambda employee: reverse("employees:delete", args=[employee.pk]),
        lambda employee: reverse("login"),
    ],
    ids=["list", "detail", "create", "update", "delete", "login"],
)
def test_site_pages_have_no_inline_code_or_style(admin_client, employee, url):
    content = admin_client.get(url(employee)).content.decode()
    assert inline_code(content) == []
    assert ' style="' not in content


@pytest.mark.parametrize(
    "url",
    [
        lambda employee: reverse("admin:employees_employee_change", args=[employee.pk]),
        lambda employee: reverse("admin:employees_employee_history", args=[employee.pk]),
        lambda employee: reverse("admin:employees_historicalemployee_changelist"),
    ],
    ids=["change", "history", "all changes"],
)
def test_admin_pages_have_no_inline_code(admin_client, employee, url):
    assert inline_code(admin_client.get(url(employee)).content.decode()) == []


def test_a_request_id_is_returned(client):
    assert uuid.UUID(client.get("/healthz")["X-Request-ID"])


def test_a_valid_incoming_request_id_is_kept(client):
    request_id = uuid.uuid4().hex
    assert client.get("/healthz", HTTP_X_REQUEST_ID=request_id)["X-Request-ID"] == request_id
