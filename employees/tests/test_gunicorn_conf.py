import os
import runpy

import pytest
from django.conf import settings


@pytest.fixture
def gunicorn_conf(monkeypatch):
    """gunicorn.conf.py's settings, read as gunicorn reads them, with the given environment."""

    def load(**environment):
        names = ("BIND", "WORKERS", "THREADS", "ACCESS_LOG", "REUSE_PORT", "TIMEOUT")
        for name in [*(f"GUNICORN_{name}" for name in names), "LOG_FORMAT", "DATABASE_STATEMENT_TIMEOUT"]:
            monkeypatch.setenv(name, "")  # so that it is restored after the test, whatever the file sets
            monkeypatch.delenv(name)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))

    return load


def test_gthread_workers_and_threads_come_from_the_environment(gunicorn_conf):
    conf = gunicorn_conf(GUNICORN_WORKERS="3", GUNICORN_THREADS="8")
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 3, 8)
    assert conf["preload_app"] is True
    assert gunicorn_conf()["threads"] == 16  # a thread free for /healthz while slow requests run (drill 3)


def test_no_statement_of_a_request_outlives_gunicorns_timeout(gunicorn_conf):
    gunicorn_conf(GUNICORN_TIMEOUT="45")
    assert os.environ["DATABASE_STATEMENT_TIMEOUT"] == "45"
    gunicorn_conf(DATABASE_STATEMENT_TIMEOUT="10")
    assert os.environ["DATABASE_STATEMENT_TIMEOUT"] == "10"


def test_workers_share_one_socket_unless_each_is_given_its_own(gunicorn_conf):
    assert gunicorn_conf()["reuse_port"] is False
    assert gunicorn_conf(GUNICORN_REUSE_PORT="true")["reuse_port"] is True
    # A Unix socket's path is bound once: each worker would remove the socket of the one before it.
    assert gunicorn_conf(GUNICORN_BIND="unix:/run/directory.sock")["reuse_port"] is False


def test_gunicorn_logs_json_to_stdout_without_an_access_log_by_default(gunicorn_conf):
    logging = gunicorn_conf()["logconfig_dict"]
    assert logging["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    assert logging["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert logging["loggers"]["gunicorn.error"]["handlers"] == ["console"]
    assert logging["loggers"]["gunicorn.access"]["handlers"] == []


def test_gunicorn_access_log_can_be_turned_on_in_the_same_format(gunicorn_conf):
    logging = gunicorn_conf(GUNICORN_ACCESS_LOG="true")["logconfig_dict"]
    assert logging["loggers"]["gunicorn.access"]["handlers"] == ["console"]


def test_plain_log_format_leaves_gunicorn_its_own_format(gunicorn_conf):
    assert "logconfig_dict" not in gunicorn_conf(LOG_FORMAT="plain")
