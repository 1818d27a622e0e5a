import os
import subprocess
import sys
import time

import pytest
from django.conf import settings


def wait_for_database(database_url, timeout="60"):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "docker/wait_for_database.py"],
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": database_url, "DATABASE_WAIT_TIMEOUT": timeout},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    return result, time.monotonic() - started


def test_returns_at_once_when_the_database_answers():
    # `make test` sets DATABASE_URL: SQLite on one run, the test server's PostgreSQL on the other.
    result, seconds = wait_for_database(os.environ.get("DATABASE_URL", "sqlite:///db.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert seconds < 5


@pytest.mark.slow
def test_gives_up_with_a_clear_message_when_the_database_never_answers():
    # Nothing listens on port 9 (discard): every attempt is refused.
    result, seconds = wait_for_database("postgres://directory@127.0.0.1:9/directory", timeout="2")

    assert result.returncode == 1
    assert "Waiting for the database" in result.stderr
    assert "The database did not accept connections within 2 seconds" in result.stderr
    assert 2 <= seconds < 10


def test_a_malformed_url_is_a_clear_error_at_once():
    result, seconds = wait_for_database("postgres://directory@127.0.0.1/directory?colour=blue")

    assert result.returncode == 1
    assert "DATABASE_URL is not a valid PostgreSQL URL" in result.stderr
    assert seconds < 5
