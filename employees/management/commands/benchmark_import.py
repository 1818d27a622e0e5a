import csv
import io
import time

import tablib
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from employees.exports import csv_lines
from employees.models import Badge, Employee
from employees.resources import EmployeeResource


class Command(BaseCommand):
    help = (
        "Time the admin's CSV import of N new employees: the preview (dry run), the confirmed import, and "
        "the re-import of their export. Everything is rolled back at the end: the database is left as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=10_000)

    def handle(self, *args, rows, **options):
        with transaction.atomic():
            badges = [
                Badge.objects.get_or_create(
                    slug=f"benchmark-{n}", defaults={"name": f"Benchmark {n}", "icon": "star"}
                )[0]
                for n in range(4)
            ]
            content = self.new_employees_csv(rows, badges)
            timings = [
                ("preview (dry run) of new rows", self.time_import(content, dry_run=True)),
                ("confirmed import of new rows", self.time_import(content, dry_run=False)),
            ]
            exported = "".join(
                csv_lines(Employee.objects.filter(job_title__startswith="Benchmark").with_badges())
            )
            timings.append(("re-import of their export", self.time_import(exported, dry_run=False)))
            transaction.set_rollback(True)

        # Wall-clock time is what a person waits; this process's CPU time varies less on a busy machine.
        self.stdout.write(f"database: {connection.vendor}, rows: {rows}\n")
        self.stdout.write(f"| {'step':<30} | {'wall s':>6} | {'CPU s':>6} | {'rows/s':>6} | result")
        self.stdout.write(f"|{'-' * 32}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 12}")
        for step, (seconds, cpu_seconds, totals) in timings:
            result = ", ".join(f"{count} {kind}" for kind, count in totals.items() if count)
            self.stdout.write(
                f"| {step:<30} | {seconds:>6.1f} | {cpu_seconds:>6.1f} | {rows / seconds:>6.0f} | {result}"
            )

    @staticmethod
    def new_employees_csv(rows, badges):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "full_name", "job_title", "location", "badges"])
        for n in range(rows):
            # Half the rows name their badges by slug, half by name, as people write them by hand.
            chosen = badges[: n % 3]
            names = ", ".join(badge.slug if n % 2 else badge.name for badge in chosen)
            writer.writerow(["", f"Person {n}", f"Benchmark title {n % 50}", f"City {n % 20}", names])
        return buffer.getvalue()

    @staticmethod
    def time_import(content, dry_run):
        dataset = tablib.Dataset().load(content.removeprefix("\ufeff"), format="csv")
        started, cpu_started = time.perf_counter(), time.process_time()
        result = EmployeeResource().import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        if result.has_errors() or result.has_validation_errors():
            raise RuntimeError("The benchmark's own data did not import cleanly.")
        return seconds, cpu_seconds, result.totals
