"""Background jobs: the list page's exports and the admin's imports, run by a worker (docs/DEPLOYMENT.md).

A job is a ``Job`` row, which its owner follows on the Downloads page, and a task queued for it
(django-tasks: a table of this database that ``manage.py db_worker`` works through, or at once with
TASKS_EAGER). The task runs one attempt of the job: a retry raises ``Job.attempt``, and a run of an earlier
attempt (a worker thought dead that was only slow) finds it changed and writes nothing.
"""

import logging
import tempfile
from contextlib import contextmanager
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import F, Q
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import exports
from .filters import EmployeeFilter
from .models import Employee, Job
from .resources import CSV, EmployeeResource, ImportRefused

logger = logging.getLogger(__name__)

# Rows between two progress updates, each also a sign that the worker is alive.
PROGRESS_EVERY = 1000


class JobRefused(Exception):
    """A job that cannot be queued, retried or removed now, with the message to show."""


class JobFailed(Exception):
    """A job that cannot be done, with the reason its owner is shown."""


class Superseded(Exception):
    """The job was retried or removed while this run was at it: this run stops and writes nothing."""


def queue_export(user, kind, query, site_url):
    """Queue an export of the list page's employees for ``query`` (its query string) as ``kind``."""
    job = queue(Job(owner=user, kind=kind, query=query, site_url=site_url))
    delete_expired()  # now and then, without a scheduler
    return job


def queue_import(user, dataset, previewed_at):
    """Queue the import of ``dataset`` (tablib), previewed at ``previewed_at``, as ``user``."""
    source = ContentFile(dataset.export("csv").encode(), name="import.csv")
    return queue(Job(owner=user, kind=Job.Kind.IMPORT, source=source, previewed_at=previewed_at))


def queue(job):
    with transaction.atomic():
        refuse_over_the_limit(job.owner)
        job.save()
    run_job.enqueue(str(job.pk), job.attempt)
    return job


def refuse_over_the_limit(user):
    # One queuing at a time per user (the user's row is locked till the end of the transaction), so that two
    # clicks at once cannot both pass the count.
    get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
    if Job.objects.of(user).in_progress().count() >= settings.JOBS_PER_USER:
        message = _("You have %(limit)s jobs under way already: wait until one is done.")
        raise JobRefused(message % {"limit": settings.JOBS_PER_USER})


def retry(job):
    """Queue a failed or stalled job again, as a new attempt."""
    quiet_since = timezone.now() - timezone.timedelta(seconds=settings.JOBS_STALLED_AFTER)
    stalled = Q(status__in=[Job.Status.QUEUED, Job.Status.RUNNING], updated_at__lt=quiet_since)
    old_file = job.file.name
    with transaction.atomic():
        refuse_over_the_limit(job.owner)
        # One statement that re-checks the state: a run that finished meanwhile is not undone, nor run again.
        retried = Job.objects.filter(Q(status=Job.Status.FAILED) | stalled, pk=job.pk).update(
            status=Job.Status.QUEUED,
            attempt=F("attempt") + 1,
            rows_done=0,
            rows_total=None,
            file="",
            summary="",
            error="",
            finished_at=None,
            updated_at=timezone.now(),
        )
    if not retried:
        raise JobRefused(_("This job is not stalled nor failed: it cannot be retried."))
    if old_file:
        default_storage.delete(old_file)
    job.refresh_from_db()
    run_job.enqueue(str(job.pk), job.attempt)
    return job


def remove(job):
    """Delete a job and its files, unless it is under way (a stalled one may go)."""
    if job.is_in_progress:
        raise JobRefused(_("This job is under way: remove it once it is done."))
    job.delete()  # django-cleanup deletes its files once the deletion is committed


def delete_expired():
    """Delete the jobs, and their files, queued more than JOBS_KEPT_HOURS ago, and the queue's rows of that
    age. Returns how many jobs were deleted."""
    expired = list(Job.objects.expired())
    for job in expired:
        job.delete()
    DBTaskResult.objects.filter(enqueued_at__lt=Job.objects.kept_since()).delete()
    return len(expired)


@task()
def run_job(job_id, attempt):
    """Run ``attempt`` of the job ``job_id``, unless it was retried, removed or run already."""
    claimed = Job.objects.filter(pk=job_id, attempt=attempt, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, updated_at=timezone.now()
    )
    if not claimed:
        return
    job = Job.objects.select_related("owner").get(pk=job_id)
    try:
        if job.kind == Job.Kind.IMPORT:
            run_import(job)
        else:
            run_export(job)
    except Superseded:
        logger.info("Job %s attempt %s stopped: retried or removed meanwhile", job_id, attempt)
    except JobFailed as failure:
        fail(job, str(failure))
    except Exception as error:
        logger.exception("Job %s attempt %s failed", job_id, attempt)
        reason = _("It stopped on an unexpected error (%(error)s). Retry, or tell an administrator.")
        fail(job, reason % {"error": type(error).__name__})


def fail(job, reason):
    Job.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=Job.Status.FAILED, error=reason, finished_at=timezone.now(), updated_at=timezone.now()
    )


def report(job, rows_done, using=None):
    """Save the progress, or stop the run if the job was retried or removed meanwhile."""
    jobs = Job.objects.using(using) if using else Job.objects
    if not jobs.filter(pk=job.pk, attempt=job.attempt).update(rows_done=rows_done, updated_at=timezone.now()):
        raise Superseded


def counted(job, items):
    """``items``, with the job's progress saved every PROGRESS_EVERY of them."""
    done = 0
    for done, item in enumerate(items, start=1):
        yield item
        if done % PROGRESS_EVERY == 0:
            report(job, done)
    report(job, done)


# Exports


def owners_request(job):
    """The job's owner as the list page's filters see a request: their permissions decide what they get."""
    request = HttpRequest()
    request.user = job.owner
    return request


def run_export(job):
    people = Employee.objects.with_private_fields(job.owner)
    filterset = EmployeeFilter(QueryDict(job.query), people, request=owners_request(job))
    if not filterset.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in filterset.errors.items())
        raise JobFailed(_("These filters cannot be applied any more: %(errors)s") % {"errors": errors})
    employees = filterset.qs
    Job.objects.filter(pk=job.pk).update(rows_total=employees.count())
    with tempfile.TemporaryFile() as file:
        write_export(job, employees, file)
        file.seek(0)
        name = default_storage.save(job.file.field.generate_filename(job, job.filename), File(file))
    finished = Job.objects.filter(pk=job.pk, attempt=job.attempt).update(
        status=Job.Status.DONE, file=name, finished_at=timezone.now(), updated_at=timezone.now()
    )
    if not finished:
        default_storage.delete(name)


def write_export(job, employees, file):
    """The file the direct export would stream, written to ``file`` (binary)."""
    if job.kind == Job.Kind.XLSX:
        exports.write_xlsx(counted(job, exports.rows(employees)), file)
        return
    if job.kind == Job.Kind.CSV:
        lines = exports.csv_lines(employees)
        file.write(next(lines).encode())  # the header
    else:
        lines = exports.vcards(employees, lambda path: urljoin(job.site_url, path))
    for line in counted(job, lines):
        file.write(line.encode())


# Imports


def run_import(job):
    """Apply the whole file in one transaction with the job's end: all of it and "done", or nothing. A worker
    killed meanwhile leaves the job running, to be seen as stalled and retried, and not a row written."""
    with job.source.open("rb") as source:
        try:
            dataset = CSV(encoding="utf-8").create_dataset(source.read().decode())
        except ImportRefused as refusal:
            raise JobFailed(str(refusal)) from refusal
    Job.objects.filter(pk=job.pk).update(rows_total=dataset.height)
    resource = EmployeeResource()
    with progress_outside_the_transaction() as using, transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
            user=job.owner,
            previewed_at=job.previewed_at,
            progress=lambda rows_done: report(job, rows_done, using) if using else None,
        )
        if result.has_errors() or result.has_validation_errors():
            raise JobFailed(import_errors(result))
        words = {"new": _("new"), "update": _("updated"), "skip": _("unchanged"), "delete": _("deleted")}
        summary = ", ".join(
            f"{count} {words.get(kind, kind)}" for kind, count in result.totals.items() if count
        )
        finished = Job.objects.filter(pk=job.pk, attempt=job.attempt).update(
            status=Job.Status.DONE,
            rows_done=dataset.height,
            summary=summary,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not finished:
            raise Superseded  # and the import is rolled back


def import_errors(result):
    reasons = [f"{row.number}: {' '.join(row.error.messages)}" for row in result.invalid_rows]
    reasons += [f"{number}: {errors[0].error}" for number, errors in result.row_errors()]
    # Translators: between the rows of "Nothing was imported. Row 3: …; row 7: …".
    separator = _("; row ")
    return _("Nothing was imported. Row %(reasons)s") % {"reasons": separator.join(reasons)}


@contextmanager
def progress_outside_the_transaction():
    """The alias of a connection of its own, on which an import's progress is seen before the import commits.
    None on SQLite, which takes one writer at a time, and inside a transaction already (a job run at once in a
    transaction of its caller's), whose job row another connection may not see: progress shows at the end."""
    if connection.vendor == "sqlite" or connection.in_atomic_block:
        yield None
        return
    alias = "job-progress"
    connections[alias] = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
