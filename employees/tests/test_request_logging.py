import json
import logging
import re
from datetime import datetime

import pytest
from django.urls import path
from pythonjsonlogger.json import JsonFormatter

from directory_site.request_logging import JSON_FORMATTER, RequestIdFilter
from directory_site.urls import urlpatterns as site_urlpatterns


def broken_view(request):
    raise ZeroDivisionError("the view failed")


urlpatterns = [*site_urlpatterns, path("broken", broken_view)]


def json_formatted(record):
    """``record`` as the production handler writes it: request id added, then formatted as JSON."""
    options = {key: value for key, value in JSON_FORMATTER.items() if key not in {"()", "format"}}
    formatter = JsonFormatter(JSON_FORMATTER["format"], **options)
    RequestIdFilter().filter(record)
    return json.loads(formatter.format(record))


def request_lines(caplog):
    return [record for record in caplog.records if record.name == "directory_site.requests"]


def test_each_request_logs_one_line_with_method_path_status_duration_and_user(reader_client, reader, caplog):
    caplog.set_level(logging.INFO, logger="directory_site.requests")
    reader_client.get("/", {"q": "ana"})

    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status, line.user_id) == ("GET", "/", 200, reader.pk)
    assert line.duration_ms >= 0
    assert re.fullmatch(r"[0-9a-f]{32}", line.request_id)


def test_anonymous_request_logs_no_user(client, caplog):
    caplog.set_level(logging.INFO, logger="directory_site.requests")
    client.get("/")

    (line,) = request_lines(caplog)
    assert (line.status, line.user_id) == (302, None)


@pytest.mark.django_db
def test_health_check_line_does_not_load_the_user_from_the_session(reader_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = reader_client.get("/healthz")
    assert response.status_code == 200


def test_load_balancer_request_id_is_kept_and_returned(client, caplog):
    caplog.set_level(logging.INFO, logger="directory_site.requests")
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})

    assert response["X-Request-ID"] == "lb-7f3a.42"
    assert request_lines(caplog)[0].request_id == "lb-7f3a.42"


def test_request_id_is_generated_when_the_load_balancer_sends_none(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize("bad_id", ["two words", 'quote"s', "x" * 129, "<script>", "é"])
def test_malformed_request_id_is_replaced_by_a_generated_one(client, bad_id):
    response = client.get("/healthz", headers={"X-Request-ID": bad_id})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_request_line_is_one_json_object(client, caplog):
    caplog.set_level(logging.INFO, logger="directory_site.requests")
    client.get("/healthz", headers={"X-Request-ID": "abc"})

    line = json_formatted(request_lines(caplog)[0])
    assert line["logger"] == "directory_site.requests"
    assert line["level"] == "INFO"
    assert line["message"] == "GET /healthz 200"
    assert datetime.fromisoformat(line["time"]).tzinfo is not None
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert line["request_id"] == "abc"
    assert isinstance(line["duration_ms"], float)
    assert "user_id" in line


@pytest.mark.urls(__name__)
def test_error_is_logged_with_its_traceback_and_the_request_id(client, caplog):
    client.raise_request_exception = False
    response = client.get("/broken", headers={"X-Request-ID": "err-1"})

    assert response.status_code == 500
    assert response["X-Request-ID"] == "err-1"
    (error,) = [record for record in caplog.records if record.name == "django.request"]
    line = json_formatted(error)
    assert line["level"] == "ERROR"
    assert line["request_id"] == "err-1"
    assert "ZeroDivisionError: the view failed" in line["traceback"]
    assert request_lines(caplog)[0].status == 500


def test_log_records_outside_a_request_have_a_null_request_id():
    record = logging.LogRecord("directory_site", logging.INFO, __file__, 1, "startup", None, None)
    assert json_formatted(record)["request_id"] is None


def test_an_error_status_is_logged_once_at_its_level_with_the_request_id(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/no-such-page/", headers={"X-Request-ID": "lb-404"})

    (line,) = [
        record for record in caplog.records if record.name in {"directory_site.requests", "django.request"}
    ]
    assert (line.name, line.levelname, line.status, line.request_id) == (
        "directory_site.requests",
        "WARNING",
        404,
        "lb-404",
    )
