import io
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from employees import exports, jobs, services
from employees.models import Employee, Job, Visibility

from .factories import BadgeFactory, EmployeeFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

JOBS = reverse("employees:jobs")
EXPORT = reverse("employees:export")


@pytest.fixture
def queued(settings, monkeypatch):
    """Jobs go to the database queue, as in production, and run when ``work()`` plays the worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_EAGER = False
    # The worker closes a connection inside a transaction, as the test's is, between two tasks.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def work():
    """What `manage.py db_worker --batch` does: run every queued task, then stop."""
    db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def export(client, kind, **filters):
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    return client.post(f"{EXPORT}?{query}", {"kind": kind})


def download(client, job):
    response = client.get(reverse("employees:job-download", args=[job.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def age(job, **delta):
    """As if ``job`` was queued, and last moved, ``delta`` ago."""
    moment = timezone.now() - timedelta(**delta)
    Job.objects.filter(pk=job.pk).update(created_at=moment, updated_at=moment)


# Queuing and the Downloads page


def test_an_export_is_queued_for_the_worker_and_listed_on_downloads(queued, reader_client, reader):
    EmployeeFactory(full_name="Ana García", location="Madrid")
    response = export(reader_client, "csv", location="Madrid", page=2)
    assert response.status_code == 302
    assert response["Location"] == JOBS
    job = Job.objects.get()
    assert (job.owner, job.kind, job.status, job.query) == (reader, "csv", "queued", "location=Madrid")
    assert DBTaskResult.objects.get().args_kwargs == {"args": [str(job.pk), 1], "kwargs": {}}
    page = reader_client.get(JOBS).content.decode()
    assert "CSV export" in page
    assert "Queued" in page
    assert "data-refresh-while-running" in page
    assert "Jobs run at once" not in page


def test_downloads_says_jobs_run_at_once_in_development(settings, reader_client):
    settings.TASKS_EAGER = True
    EmployeeFactory()
    export(reader_client, "vcard")
    page = reader_client.get(JOBS).content.decode()
    assert "Jobs run at once in this development setup" in page
    assert "Download employees.vcf" in page
    assert "data-refresh-while-running" not in page


def test_a_user_has_at_most_three_jobs_under_way(queued, settings, reader_client, reader):
    assert settings.JOBS_PER_USER == 3
    for _ in range(3):
        export(reader_client, "csv")
    response = export(reader_client, "vcard", location="Madrid")
    assert response["Location"] == f"{reverse('employees:list')}?location=Madrid"
    assert Job.objects.count() == 3
    page = reader_client.get(response["Location"]).content.decode()
    assert "You have 3 jobs under way already: wait until one is done." in page
    # Another user is not held back by them, and a finished job no longer counts.
    other = UserFactory()
    jobs.queue_export(other, "csv", "", "http://testserver/")
    work()
    assert export(reader_client, "vcard")["Location"] == JOBS
    assert Job.objects.of(reader).count() == 4


def test_a_stalled_job_does_not_count_against_the_limit(queued, reader_client, reader):
    for _ in range(3):
        export(reader_client, "csv")
    age(Job.objects.first(), hours=1)
    assert export(reader_client, "csv")["Location"] == JOBS
    assert Job.objects.of(reader).count() == 4


def test_an_unknown_kind_of_export_is_refused(reader_client):
    assert export(reader_client, "pdf").status_code == 400
    assert not Job.objects.exists()


def test_an_export_with_bad_filters_goes_back_to_the_list_page_to_explain(queued, reader_client):
    response = export(reader_client, "csv", badge="no-such-badge")
    assert response["Location"] == f"{reverse('employees:list')}?badge=no-such-badge"
    assert not Job.objects.exists()


def test_jobs_need_sign_in(client):
    assert client.get(JOBS)["Location"].startswith(reverse("login"))
    assert client.post(EXPORT, {"kind": "csv"})["Location"].startswith(reverse("login"))


# The file


@pytest.mark.parametrize(
    ("kind", "direct"), [("csv", "employees:export-csv"), ("vcard", "employees:export-vcard")]
)
def test_the_file_is_the_same_bytes_as_the_direct_export(queued, reader_client, coffee, kind, direct):
    EmployeeFactory(full_name="Ana García", job_title="=1+1", location="Madrid", badges=[coffee])
    EmployeeFactory(full_name="Zoë Ångström", location="Madrid", work_email="zoe@example.com")
    EmployeeFactory(full_name="Ben Ode", location="Paris")
    export(reader_client, kind, location="Madrid", sort="-name")
    work()
    job = Job.objects.get()
    assert job.status == "done"
    response = reader_client.get(reverse(direct), {"location": "Madrid", "sort": "-name"})
    assert download(reader_client, job) == b"".join(response.streaming_content)
    assert (job.rows_done, job.rows_total) == (2, 2)


def test_the_excel_file_holds_the_csv_rows(queued, reader_client, reader, coffee):
    EmployeeFactory(full_name="Ana García", job_title="=HYPERLINK(1)", badges=[coffee])
    EmployeeFactory(full_name="Ben\x07 Ode")
    export(reader_client, "xlsx")
    work()
    job = Job.objects.get()
    response = reader_client.get(reverse("employees:job-download", args=[job.pk]))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="employees.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    expected = [list(row) for row in exports.rows(Employee.objects.with_private_fields(reader))]
    assert cells[0] == exports.COLUMNS
    assert [[cell or "" for cell in row] for row in cells[1:]] == [
        [cell.replace("\x07", "") for cell in row] for row in expected
    ]
    assert cells[1][2] == "'=HYPERLINK(1)"  # text, never a formula


def test_progress_is_saved_every_so_many_rows_not_every_row(queued, reader_client, monkeypatch):
    EmployeeFactory.create_batch(5)
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    saved = []
    report = jobs.report
    monkeypatch.setattr(
        jobs, "report", lambda job, rows_done, using=None: saved.append(rows_done) or report(job, rows_done)
    )
    export(reader_client, "csv")
    work()
    assert saved == [2, 4, 5]
    job = Job.objects.get()
    assert (job.rows_done, job.rows_total, job.percent_done) == (5, 5, 100)


def test_only_the_owner_downloads_the_file(queued, reader_client, reader, client):
    EmployeeFactory()
    export(reader_client, "csv")
    work()
    job = Job.objects.get()
    url = reverse("employees:job-download", args=[job.pk])
    other = UserFactory()
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(reverse("employees:job-retry", args=[job.pk])).status_code == 404
    assert client.post(reverse("employees:job-remove", args=[job.pk])).status_code == 404
    assert "employees.csv" not in client.get(JOBS).content.decode()
    # Nor through the media files every signed-in user may read, by the file's own name.
    assert job.file.name.startswith("jobs/")
    assert client.get(f"/media/{job.file.name}").status_code == 404
    assert client.get(f"/media/photos/../{job.file.name}").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_readers_export_has_no_hidden_mobiles_nor_leavers(queued, reader_client, editor):
    EmployeeFactory(full_name="Pat Private", mobile="+34600111222", mobile_visibility=Visibility.EDITORS)
    EmployeeFactory(full_name="Ola Open", mobile="+34600333444", mobile_visibility=Visibility.EVERYONE)
    leaver = EmployeeFactory(full_name="Lee Left")
    services.mark_as_left(leaver, user=editor, on=timezone.localdate(), version=leaver.version)
    export(reader_client, "csv")
    export(reader_client, "csv", status="left")  # the filter is not a reader's: it is left out
    export(reader_client, "vcard")
    work()
    for job in Job.objects.all():
        content = download(reader_client, job).decode()
        assert "Ola Open" in content
        assert "600333444" in content
        assert "Pat Private" in content
        assert "600111222" not in content
        assert "Lee Left" not in content


def test_the_filters_are_applied_as_the_owner_is_when_the_job_runs(queued, client, editor):
    leaver = EmployeeFactory(full_name="Lee Left")
    services.mark_as_left(leaver, user=editor, on=timezone.localdate(), version=leaver.version)
    client.force_login(editor)
    export(client, "csv", status="left")
    export(client, "csv", status="left")
    work()
    assert "Lee Left" in download(client, Job.objects.last()).decode()
    # An editor no longer by the time the worker runs the job gets what a reader gets.
    retried = Job.objects.first()
    editor.groups.remove(Group.objects.get(name="Editors"))
    Job.objects.filter(pk=retried.pk).update(status="failed")
    client.force_login(type(editor).objects.get(pk=editor.pk))
    client.post(reverse("employees:job-retry", args=[retried.pk]))
    work()
    assert "Lee Left" not in download(client, Job.objects.get(pk=retried.pk)).decode()


# Failure, retry, stalls, expiry


def test_a_failed_job_says_why_and_is_retried(queued, reader_client):
    badge = BadgeFactory(slug="gamer", name="Gamer")
    EmployeeFactory(full_name="Ana García", badges=[badge])
    export(reader_client, "csv", badge="gamer")
    badge.delete()  # before the worker gets to it
    work()
    job = Job.objects.get()
    assert job.status == "failed"
    page = reader_client.get(JOBS).content.decode()
    assert "These filters cannot be applied any more: badge: Select a valid choice." in page
    assert "Retry" in page

    gamer = BadgeFactory(slug="gamer", name="Gamer")
    Employee.objects.get().badges.add(gamer)
    assert reader_client.post(reverse("employees:job-retry", args=[job.pk]))["Location"] == JOBS
    job.refresh_from_db()
    assert (job.status, job.attempt, job.error) == ("queued", 2, "")
    work()
    assert "Ana García" in download(reader_client, job).decode()


def test_an_unexpected_error_is_logged_and_named_without_its_details(
    queued, reader_client, monkeypatch, caplog
):
    EmployeeFactory()

    def broken(employees):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(exports, "csv_lines", broken)
    export(reader_client, "csv")
    work()
    job = Job.objects.get()
    assert job.status == "failed"
    assert job.error == "It stopped on an unexpected error (RuntimeError). Retry, or tell an administrator."
    assert "secret internals" in caplog.text


def test_a_job_under_way_is_neither_retried_nor_removed(queued, reader_client):
    export(reader_client, "csv")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status="running")
    page = reader_client.post(reverse("employees:job-retry", args=[job.pk]), follow=True).content.decode()
    assert "This job is not stalled nor failed: it cannot be retried." in page
    page = reader_client.post(reverse("employees:job-remove", args=[job.pk]), follow=True).content.decode()
    assert "This job is under way: remove it once it is done." in page
    assert Job.objects.get().attempt == 1


def test_a_job_whose_worker_stopped_is_shown_stalled_and_retried(queued, settings, reader_client):
    EmployeeFactory(full_name="Ana García")
    export(reader_client, "csv")
    job = Job.objects.get()
    # The worker claimed it, wrote some rows and was killed: nothing moves any more.
    Job.objects.filter(pk=job.pk).update(status="running", rows_done=1, rows_total=3)
    DBTaskResult.objects.update(status="RUNNING")
    age(job, seconds=settings.JOBS_STALLED_AFTER + 1)
    page = reader_client.get(JOBS).content.decode()
    assert "Stalled: its worker stopped." in page
    assert "data-refresh-while-running" not in page
    reader_client.post(reverse("employees:job-retry", args=[job.pk]))
    work()
    job.refresh_from_db()
    assert (job.status, job.attempt, job.rows_done, job.rows_total) == ("done", 2, 1, 1)
    assert "Ana García" in download(reader_client, job).decode()


def test_a_run_of_an_earlier_attempt_writes_nothing(queued, reader_client):
    EmployeeFactory()
    export(reader_client, "csv")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(attempt=2)  # retried while the first run waited
    jobs.run_job.call(str(job.pk), 1)
    job.refresh_from_db()
    assert (job.status, job.file.name) == ("queued", "")


def test_expired_jobs_are_deleted_with_their_files(queued, reader_client, django_capture_on_commit_callbacks):
    EmployeeFactory()
    export(reader_client, "csv")
    export(reader_client, "csv")
    work()
    old, recent = Job.objects.order_by("created_at")
    age(old, hours=25)
    assert reader_client.get(reverse("employees:job-download", args=[old.pk])).status_code == 404
    assert default_storage.exists(old.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("delete_expired_jobs", stdout=io.StringIO())
    assert list(Job.objects.all()) == [recent]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(recent.file.name)


def test_queuing_an_export_deletes_the_expired_jobs(queued, reader_client):
    export(reader_client, "csv")
    age(Job.objects.get(), days=2)
    export(reader_client, "csv")
    assert Job.objects.count() == 1


def test_a_removed_job_takes_its_file_along(queued, reader_client, django_capture_on_commit_callbacks):
    EmployeeFactory()
    export(reader_client, "csv")
    work()
    job = Job.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        reader_client.post(reverse("employees:job-remove", args=[job.pk]))
    assert not Job.objects.exists()
    assert not default_storage.exists(job.file.name)


# Imports


IMPORT = reverse("admin:employees_employee_import")
PROCESS_IMPORT = reverse("admin:employees_employee_process_import")


def queue_import(admin_client, content):
    preview = admin_client.post(IMPORT, {"format": "0", "import_file": io.BytesIO(content)})
    return admin_client.post(PROCESS_IMPORT, preview.context["confirm_form"].initial)


def people_file(count):
    return "\n".join(
        ["full_name,job_title,location", *(f"Person {n},Title,Madrid" for n in range(count))]
    ).encode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_is_a_job_applied_whole_by_the_worker(queued, admin_client, admin_user, monkeypatch):
    saved = []
    report = jobs.report
    monkeypatch.setattr(
        jobs,
        "report",
        lambda job, rows_done, using=None: saved.append(rows_done) or report(job, rows_done, using),
    )
    response = queue_import(admin_client, people_file(120))
    assert response["Location"] == JOBS
    assert not Employee.objects.exists()
    job = Job.objects.get()
    assert (job.kind, job.owner, job.status) == ("import", admin_user, "queued")
    work()
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.rows_total, job.summary) == ("done", 120, 120, "120 new")
    assert Employee.objects.count() == 120
    assert Employee.history.filter(history_user=admin_user).count() == 120
    assert "120 new" in admin_client.get(JOBS).content.decode()
    # Seen while the import ran, on a connection of its own; SQLite has one writer at a time.
    assert saved == ([] if connection.vendor == "sqlite" else [50, 100])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_import_applies_no_row_and_the_retry_applies_each_once(
    queued, settings, admin_client, monkeypatch
):
    queue_import(admin_client, people_file(120))
    save_employee = services.save_employee
    saved = []

    def killed_at_the_hundredth_row(employee, **kwargs):
        if len(saved) == 100:
            raise SystemExit("killed")  # what the worker's process gets, not an error the job handles
        saved.append(employee.full_name)
        return save_employee(employee, **kwargs)

    monkeypatch.setattr(services, "save_employee", killed_at_the_hundredth_row)
    with pytest.raises(SystemExit):
        jobs.run_job.call(*DBTaskResult.objects.get().args_kwargs["args"])
    job = Job.objects.get()
    assert len(saved) == 100
    assert not Employee.objects.exists()
    assert job.status == "running"
    monkeypatch.setattr(services, "save_employee", save_employee)

    age(job, seconds=settings.JOBS_STALLED_AFTER + 1)
    admin_client.post(reverse("employees:job-retry", args=[job.pk]))
    work()
    assert Job.objects.get().status == "done"
    assert sorted(Employee.objects.values_list("full_name", flat=True)) == sorted(
        f"Person {n}" for n in range(120)
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_with_a_row_changed_since_the_preview_fails_whole_and_says_why(
    queued, admin_client, editor
):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer")
    content = (
        f"id,full_name,job_title,location\n{ana.pk},Ana García,Architect,{ana.location_name}\n,Ben,B,Paris\n"
    )
    queue_import(admin_client, content.encode())
    ana.job_title = "Principal Engineer"
    services.save_employee(ana, user=editor, version=ana.version)
    work()
    job = Job.objects.get()
    assert job.status == "failed"
    assert "Ana García was changed by someone else after the preview" in job.error
    assert list(Employee.objects.values_list("full_name", "job_title")) == [
        ("Ana García", "Principal Engineer")
    ]
