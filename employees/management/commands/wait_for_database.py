import time

from django.core.management.base import BaseCommand, CommandError
from django.db import OperationalError, connection


class Command(BaseCommand):
    help = "Wait until the database accepts connections, for at most --timeout seconds."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60, help="seconds to wait (default 60)")

    def handle(self, *args, timeout, **options):
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as error:
                if time.monotonic() >= deadline:
                    raise CommandError(
                        f"The database did not accept connections within {timeout:g} seconds. "
                        f"Check DATABASE_URL and that the database server is running. Last error: {error}"
                    ) from error
                self.stderr.write(f"Waiting for the database: {error}".strip())
                time.sleep(1)
            else:
                connection.close()
                return
