import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.management import call_command


@pytest.mark.django_db
def test_returns_at_once_when_the_database_answers():
    started = time.monotonic()
    call_command("wait_for_database", "--timeout", "5")
    assert time.monotonic() - started < 2


@pytest.mark.slow
def test_gives_up_with_a_clear_message_when_the_database_never_answers():
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "wait_for_database", "--timeout", "2"],
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x" * 50,
            # Nothing listens on port 9 (discard): every attempt is refused.
            "DATABASE_URL": "postgres://directory@127.0.0.1:9/directory",
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "The database did not accept connections within 2 seconds" in result.stderr
    assert "Waiting for the database" in result.stderr
    assert 2 <= time.monotonic() - started < 10
