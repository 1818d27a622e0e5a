"""The error handler: a lost database is a 503 with Retry-After, any other error a 500; never a traceback."""

import io
import json
import logging

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST_URL = reverse("employees:list")


@pytest.fixture
def failing_list(reader_client, monkeypatch):
    """The list page raising ``error``; the client answers with the error page instead of re-raising."""

    def fail_with(error):
        def get(*args, **kwargs):
            raise error

        monkeypatch.setattr("employees.views.EmployeeListView.get", get)
        reader_client.raise_request_exception = False
        return reader_client.get(LIST_URL)

    return fail_with


def test_an_api_address_that_names_nothing_is_a_json_404(reader_client):
    response = reader_client.get("/api/v1/badges/not%20a%20slug/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_site_address_that_names_nothing_is_the_sites_404_page(reader_client):
    response = reader_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    "error",
    [OperationalError("connection refused"), InterfaceError("connection already closed")],
    ids=["operational", "interface"],
)
def test_database_outage_is_a_503_with_retry_after(failing_list, error):
    response = failing_list(error)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    content = response.content.decode()
    assert "Temporarily unavailable" in content
    assert "Traceback" not in content
    assert "connection" not in content


@pytest.mark.parametrize(
    "error",
    [ValueError("secret detail"), DatabaseError("secret detail")],
    ids=["bug", "other database error"],
)
def test_other_errors_are_a_500_with_a_reference_and_no_detail(failing_list, error):
    response = failing_list(error)
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "secret detail" not in content
    assert "Traceback" not in content
    assert response["X-Request-ID"] in content


def test_errors_are_logged_with_the_request_id(failing_list):
    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    previous = console.setStream(io.StringIO())
    try:
        response = failing_list(ValueError("logged detail"))
        log = console.stream.getvalue()
    finally:
        console.setStream(previous)
    line = json.loads(log.splitlines()[0])
    assert (line["level"], line["logger"]) == ("ERROR", "django.request")
    assert line["message"] == f"Internal Server Error: {LIST_URL}"
    assert line["request_id"] == response["X-Request-ID"]
    assert "ValueError: logged detail" in line["traceback"]
