import json
import subprocess
import sys

import pytest
from django.conf import settings


def run_settings(env, code="print(s.DEBUG, s.DATABASES['default']['ENGINE'])"):
    """Import the settings module as ``s`` in a fresh interpreter with exactly ``env``, then run ``code``."""
    return subprocess.run(  # noqa: S603 (this interpreter, running the test's own code)
        [sys.executable, "-c", f"import directory_site.settings as s; {code}"],
        env={"PATH": "/usr/bin:/bin", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error():
    result = run_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_defaults_off_and_database_to_sqlite():
    result = run_settings({"SECRET_KEY": "x" * 50})
    assert result.stdout.split() == ["False", "django.db.backends.sqlite3"]


def test_debug_mode_runs_without_a_secret_key():
    result = run_settings({"DEBUG": "true"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        ("postgres://u@db:5432/directory", "django.db.backends.postgresql"),
        ("sqlite:////tmp/x.db", "django.db.backends.sqlite3"),
    ],
)
def test_database_url_picks_the_engine(url, engine):
    result = run_settings({"SECRET_KEY": "x" * 50, "DATABASE_URL": url})
    assert result.stdout.split()[1] == engine


def test_postgresql_waits_five_seconds_for_a_connection_and_statements_have_no_limit_outside_gunicorn():
    env = {"DEBUG": "true", "DATABASE_URL": "postgres://u@db:5432/directory"}
    result = run_settings(env, "import json; print(json.dumps(s.DATABASES['default']['OPTIONS']))")
    options = json.loads(result.stdout)
    assert options["connect_timeout"] == 5
    assert options["options"] == "-c max_parallel_workers_per_gather=0 -c statement_timeout=0s"


@pytest.mark.parametrize(("value", "disabled"), [(None, False), ("true", True)])
def test_server_side_cursors_can_be_turned_off_for_pgbouncer(value, disabled):
    env = {"DEBUG": "true", "DATABASE_URL": "postgres://u@db:5432/directory"}
    env |= {"DISABLE_SERVER_SIDE_CURSORS": value} if value else {}
    result = run_settings(env, "print(s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS'])")
    assert result.stdout.strip() == str(disabled)


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        (None, "django.core.cache.backends.filebased.FileBasedCache"),
        ("redis://cache:6379/0", "django_redis.cache.RedisCache"),
    ],
)
def test_cache_url_picks_a_cache_the_image_can_use(url, backend):
    # Several containers need a cache they share: redis:// must name a backend whose client is installed.
    env = {"SECRET_KEY": "x" * 50, **({"CACHE_URL": url} if url else {})}
    code = (
        "import importlib; b = s.CACHES['default']['BACKEND'];"
        " getattr(importlib.import_module(b.rpartition('.')[0]), b.rpartition('.')[2]);"
        " importlib.import_module('redis') if 'redis' in b else None; print(b)"
    )
    result = run_settings(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [backend]


def log_one_warning(env):
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import logging, django; django.setup(); "
            "logging.getLogger('directory_site').warning('disk %s full', 'C')",
        ],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "directory_site.settings", **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_logs_are_json_lines_on_stdout_by_default():
    line = json.loads(log_one_warning({"SECRET_KEY": "x" * 50}))
    assert line["message"] == "disk C full"
    assert (line["level"], line["logger"], line["request_id"]) == ("WARNING", "directory_site", None)


def test_logs_are_plain_text_in_debug_mode():
    assert "WARNING directory_site [None] disk C full" in log_one_warning({"DEBUG": "true"})


def evaluate_settings(env, expression):
    """``expression`` evaluated on the settings module ``s``, imported fresh with exactly ``env``."""
    result = subprocess.run(  # noqa: S603 (this interpreter, running the test's own expression)
        [sys.executable, "-c", f"import directory_site.settings as s; print({expression})"],
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x" * 50, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def media_settings(env):
    """Where photos go with ``env``: storage backend, whether the site serves them, folder, endpoint."""
    expression = (
        "s.STORAGES['default']['BACKEND'], s.SERVE_MEDIA, s.MEDIA_ROOT, "
        "getattr(s, 'AWS_S3_ENDPOINT_URL', '-')"
    )
    return evaluate_settings(env, expression).split()


def test_photos_are_stored_in_media_and_served_by_the_site_by_default():
    assert media_settings({"MEDIA_ROOT": ""}) == [
        "django.core.files.storage.FileSystemStorage",
        "True",
        str(settings.BASE_DIR / "media"),
        "-",
    ]


def test_a_bucket_name_switches_photos_to_s3_storage():
    env = {"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ENDPOINT_URL": "", "MEDIA_ROOT": "/srv/media"}
    assert media_settings(env) == ["storages.backends.s3.S3Storage", "False", "/srv/media", "None"]


def test_extra_csp_origins_are_added_to_self():
    directives = "s.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    env = {"CSP_EXTRA_SCRIPT_SRC": "https://a.example,https://b.example"}
    assert (
        evaluate_settings(env, f"{directives}['script-src'][2:]")
        == "['https://a.example', 'https://b.example']"
    )
    assert evaluate_settings({}, f"{directives}['script-src'][2:]") == "[]"


def test_lockout_and_proxy_settings_come_from_the_environment():
    env = {"AXES_FAILURE_LIMIT": "3", "AXES_COOLOFF_MINUTES": "60", "AXES_IPWARE_PROXY_COUNT": "1"}
    expression = (
        "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_IPWARE_PROXY_COUNT,"
        " s.AXES_IPWARE_META_PRECEDENCE_ORDER"
    )
    assert evaluate_settings(env, expression) == "3 3600.0 1 ['HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR']"
    # Without proxies in front, X-Forwarded-For is the client's to write: only the connection's address.
    assert evaluate_settings({}, expression) == "5 900.0 None ['REMOTE_ADDR']"
