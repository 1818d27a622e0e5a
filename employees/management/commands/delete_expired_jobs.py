from django.core.management.base import BaseCommand

from employees.jobs import delete_expired


class Command(BaseCommand):
    help = (
        "Delete the background jobs queued more than JOBS_KEPT_HOURS ago, with their files. Run it hourly "
        "(the worker container does: docker/worker.sh)."
    )

    def handle(self, *args, **options):
        deleted = delete_expired()
        self.stdout.write(f"{deleted} expired jobs deleted.")
