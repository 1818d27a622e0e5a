import os
import socket
import struct
import subprocess
import sys
import threading
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
    result, seconds = wait_for_database("postgres://directory@127.0.0.1:five/directory")

    assert result.returncode == 1
    assert "DATABASE_URL is not a valid PostgreSQL URL" in result.stderr
    assert seconds < 5


def error_response(sqlstate, message):
    fields = b"SFATAL\0C" + sqlstate + b"\0M" + message + b"\0\0"
    return b"E" + struct.pack("!i", 4 + len(fields)) + fields


def test_waits_while_the_server_is_starting_up():
    """A server that answers "starting up" first, then asks for a password, as PostgreSQL does."""
    answers = [
        error_response(b"57P03", b"the database system is starting up"),
        b"R" + struct.pack("!ii", 8, 10),  # AuthenticationSASL: it takes connections
    ]
    startup_messages = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        for answer in answers:
            connection, _ = server.accept()
            with connection:
                startup_messages.append(connection.recv(4096))
                connection.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        result, seconds = wait_for_database(f"postgres://directory:secret@127.0.0.1:{port}/directory", "10")
    finally:
        server.close()

    assert result.returncode == 0, result.stderr
    assert "Waiting for the database: the database system is starting up" in result.stderr
    assert len(startup_messages) == 2
    # Protocol 3.0, the URL's user and database, and never the password.
    assert startup_messages[0][4:8] == struct.pack("!i", 196608)
    assert b"user\0directory\0database\0directory\0" in startup_messages[0]
    assert b"secret" not in startup_messages[0]
    assert 1 <= seconds < 5
