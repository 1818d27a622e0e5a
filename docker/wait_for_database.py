"""Wait until the PostgreSQL server of DATABASE_URL accepts connections, for DATABASE_WAIT_TIMEOUT s at most.

The entrypoint runs it before every command. It uses psycopg alone, not Django: starting Django here would
almost double the time from container start to ready. With SQLite there is nothing to wait for.
"""

import os
import sys
import time

import psycopg


def main():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return 0
    timeout = float(os.environ.get("DATABASE_WAIT_TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=5).close()
        except psycopg.ProgrammingError as error:
            sys.stderr.write(f"DATABASE_URL is not a valid PostgreSQL URL: {error}\n")
            return 1
        except psycopg.OperationalError as error:
            if time.monotonic() >= deadline:
                sys.stderr.write(
                    f"The database did not accept connections within {timeout:g} seconds. Check DATABASE_URL "
                    f"and that the database server is running. Last error: {str(error).strip()}\n"
                )
                return 1
            sys.stderr.write(f"Waiting for the database: {str(error).strip()}\n")
            time.sleep(1)
        else:
            return 0


if __name__ == "__main__":
    sys.exit(main())
