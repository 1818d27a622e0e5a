import subprocess
import sys

import pytest
from django.conf import settings


def run_settings(env):
    """Import the settings module in a fresh interpreter with exactly ``env``."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import directory_site.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'])",
        ],
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


def test_extra_csp_origins_are_added_to_self():
    directives = "s.CONTENT_SECURITY_POLICY['DIRECTIVES']"
    env = {"CSP_EXTRA_SCRIPT_SRC": "https://a.example,https://b.example"}
    assert (
        evaluate_settings(env, f"{directives}['script-src'][2:]")
        == "['https://a.example', 'https://b.example']"
    )
    assert evaluate_settings({}, f"{directives}['script-src'][2:]") == "[]"


def test_lockout_and_proxy_settings_come_from_the_environment():
    env = {"AXES_FAILURE_LIMIT": "3", "AXES_COOLOFF_MINUTES": "60", "TRUSTED_PROXY_COUNT": "2"}
    expression = "s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.TRUSTED_PROXY_COUNT"
    assert evaluate_settings(env, expression) == "3 3600.0 2"
    assert evaluate_settings({}, expression) == "5 900.0 0"
