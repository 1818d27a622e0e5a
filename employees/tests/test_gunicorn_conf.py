import runpy

import pytest
from django.conf import settings


@pytest.fixture
def gunicorn_conf(monkeypatch):
    """gunicorn.conf.py's settings, read as gunicorn reads them, with the given environment."""

    def load(**environment):
        names = ("BIND", "WORKERS", "THREADS", "ACCESS_LOG", "REUSE_PORT")
        for name in [*(f"GUNICORN_{name}" for name in names), "LOG_FORMAT"]:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))

    return load


def test_gthread_workers_and_threads_come_from_the_environment(gunicorn_conf):
    conf = gunicorn_conf(GUNICORN_WORKERS="3", GUNICORN_THREADS="8")
    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 3, 8)
    assert conf["preload_app"] is True


def test_each_worker_listens_on_its_own_socket_unless_turned_off(gunicorn_conf):
    assert gunicorn_conf()["reuse_port"] is True
    assert gunicorn_conf(GUNICORN_REUSE_PORT="false")["reuse_port"] is False
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
