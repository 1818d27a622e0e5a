"""Wait until the PostgreSQL server of DATABASE_URL accepts connections, for DATABASE_WAIT_TIMEOUT s at most.

The entrypoint runs it before every command, so it is kept light: the standard library only, neither Django
nor psycopg (importing psycopg alone takes longer than the whole wait). It asks what pg_isready asks: it sends
the server a startup message and reads its first answer. Any answer means the server takes connections, except
the error "the database system is starting up" (SQLSTATE 57P03) or no answer at all. Whether the password and
the database name are right is the app's first connection's business, with psycopg's own messages.
With SQLite there is nothing to wait for.
"""

import os
import socket
import struct
import sys
import time
from urllib.parse import unquote, urlsplit

PROTOCOL_3_0 = 196608
CANNOT_CONNECT_NOW = b"C57P03\0"


def server_takes_connections(host, port, user, database):
    params = f"user\0{user}\0database\0{database}\0\0".encode()
    if host.startswith("/"):
        connection = socket.socket(socket.AF_UNIX)
        connection.settimeout(5)
        connection.connect(f"{host}/.s.PGSQL.{port}")
    else:
        connection = socket.create_connection((host, port), timeout=5)
    with connection:
        connection.sendall(struct.pack("!ii", 8 + len(params), PROTOCOL_3_0) + params)
        answer = connection.recv(4096)
    if not answer:
        raise ConnectionError("the server closed the connection without an answer")
    if answer.startswith(b"E") and CANNOT_CONNECT_NOW in answer:
        raise ConnectionError("the database system is starting up")


def main():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 0
    try:
        parts = urlsplit(url)
        host, port = unquote(parts.hostname or "localhost"), parts.port or 5432
    except ValueError as error:
        sys.stderr.write(f"DATABASE_URL is not a valid PostgreSQL URL: {error}\n")
        return 1
    user = unquote(parts.username or "")
    database = unquote(parts.path.lstrip("/")) or user
    timeout = float(os.environ.get("DATABASE_WAIT_TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    while True:
        try:
            server_takes_connections(host, port, user, database)
        except OSError as error:
            if time.monotonic() >= deadline:
                sys.stderr.write(
                    f"The database did not accept connections within {timeout:g} seconds. Check DATABASE_URL "
                    f"and that the database server is running. Last error: {error}\n"
                )
                return 1
            sys.stderr.write(f"Waiting for the database: {error}\n")
            time.sleep(1)
        else:
            return 0


if __name__ == "__main__":
    sys.exit(main())
