"""Response headers set for every page: Content-Security-Policy, Cross-Origin-Resource-Policy, request id."""

import re
import uuid

import pytest
from csp.exceptions import CSPNonceError
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from directory_site.middleware import ContentSecurityPolicyMiddleware

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(coffee):
    return EmployeeFactory(badges=[coffee])


def directives_of(policy):
    return dict(directive.split(" ", 1) for directive in policy.split("; "))


def test_pages_carry_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = directives_of(policy)
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def respond(path="/", nonce=False, **policy_changes):
    """A response through the policy middleware, as from a view that set ``policy_changes`` on it."""
    middleware = ContentSecurityPolicyMiddleware(HttpResponse)
    request = RequestFactory().get(path)
    middleware.process_request(request)
    if nonce:
        str(request.csp_nonce)
    response = HttpResponse()
    for name, value in policy_changes.items():
        setattr(response, name, value)
    return request, middleware.process_response(request, response)


def test_every_response_gets_django_csps_policy_from_the_settings(client):
    for _ in range(2):
        assert client.get("/healthz")["Content-Security-Policy"] == build_policy()
        assert client.get(reverse("login"))["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in client.get("/healthz")


def test_a_report_only_policy_is_sent_when_set(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"]}}
    _, response = respond()
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    assert response["Content-Security-Policy"] == build_policy()


def test_a_views_policy_changes_are_applied():
    _, response = respond(_csp_update={"img-src": ["https://photos.example"]})
    assert (
        directives_of(response["Content-Security-Policy"])["img-src"] == "'self' data: https://photos.example"
    )
    _, response = respond(_csp_replace={"img-src": ["https://photos.example"]})
    assert directives_of(response["Content-Security-Policy"])["img-src"] == "https://photos.example"
    _, response = respond(_csp_exempt=True)
    assert "Content-Security-Policy" not in response


def test_excluded_paths_get_no_policy(settings):
    policy = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = {**policy, "EXCLUDE_URL_PREFIXES": ["/open/"]}
    assert "Content-Security-Policy" not in respond("/open/page")[1]
    assert "Content-Security-Policy" in respond("/shut/page")[1]


def test_a_nonce_the_page_used_is_in_that_responses_policy_only():
    request, response = respond(nonce=True)
    script_src = directives_of(response["Content-Security-Policy"])["script-src"]
    assert script_src == f"'self' 'nonce-{request.csp_nonce}'"
    assert "nonce" not in respond()[1]["Content-Security-Policy"]


def test_a_nonce_asked_for_after_the_policy_was_sent_is_refused():
    request, _ = respond()
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


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
