"""The backup and restore procedures of docs/DEPLOYMENT.md, run for real: every row of every model survives.

The models are listed from the app registry, so tables added later (change history, for one) are covered
without touching these tests.
"""

import os
import re
import shutil
import subprocess

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.management import call_command
from django.db import connection

from employees.models import Employee

from .factories import EditorFactory, EmployeeFactory

# Left out of dumpdata: what `migrate` recreates (content types, permissions), and sessions.
DUMPDATA_EXCLUDES = ["contenttypes", "auth.permission", "sessions"]
on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="pg_dump and pg_restore back up PostgreSQL only; this run is on SQLite",
)


def every_model():
    return apps.get_models(include_auto_created=True)


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in every_model()}


@pytest.fixture
def directory_data(editor):
    """The sample data, an editor, and an admin log entry: rows in every kind of table a backup must keep."""
    call_command("loaddata", "badges", "departments", "skills", "sample_employees", verbosity=0)
    EmployeeFactory.create_batch(3)
    EditorFactory(username="second-editor")
    employee = Employee.objects.first()
    LogEntry.objects.log_actions(editor.pk, [employee], ADDITION, single_object=True)
    return row_counts()


def dumpdata(path):
    call_command(
        "dumpdata",
        natural_foreign=True,
        natural_primary=True,
        exclude=DUMPDATA_EXCLUDES,
        output=str(path),
        verbosity=0,
    )
    return path.read_bytes()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dumpdata_and_loaddata_into_an_empty_database_restore_every_row(directory_data, tmp_path):
    backup = dumpdata(tmp_path / "directory.json")

    call_command("flush", interactive=False, verbosity=0)
    assert Employee.objects.count() == 0
    call_command("loaddata", str(tmp_path / "directory.json"), verbosity=0)

    assert row_counts() == directory_data
    assert directory_data["employees.Employee"] == 35
    assert directory_data["employees.Employee_badges"] > 0
    # Nothing changed on the way: a backup of the restored database is the same file.
    assert dumpdata(tmp_path / "again.json") == whole_milliseconds_dropped(backup)


def whole_milliseconds_dropped(backup):
    """dumpdata writes 13:33:27.000412 as "13:33:27.000Z", read back as 13:33:27 and written "13:33:27Z"."""
    return re.sub(rb'(T\d\d:\d\d:\d\d)\.000(Z|[+-]\d\d:\d\d)"', rb'\1\2"', backup)


def libpq_options(name):
    database = connection.settings_dict
    return {
        "dbname": name,
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
    }


def libpq_environment():
    options = libpq_options("")
    names = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD"}
    return {
        **os.environ,
        **{names[key]: str(value) for key, value in options.items() if key in names and value},
    }


def table_counts(database_name):
    with psycopg.connect(**libpq_options(database_name)) as restored, restored.cursor() as cursor:
        counts = {}
        for model in every_model():
            cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 (names from models)
            counts[model._meta.label] = cursor.fetchone()[0]
        return counts


def run(tool, *arguments):
    path = shutil.which(tool)
    assert path, f"{tool} is not installed (Debian package postgresql-client)"
    subprocess.run([path, *arguments], env=libpq_environment(), check=True)  # noqa: S603 (names from settings)


@pytest.mark.slow
@on_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pg_dump_and_pg_restore_into_a_new_database_keep_every_row(directory_data, tmp_path):
    source = connection.settings_dict["NAME"]
    copy = f"{source}_restore"
    backup = tmp_path / "directory.dump"

    run("pg_dump", "--format=custom", f"--file={backup}", source)
    run("dropdb", "--if-exists", copy)
    run("createdb", copy)
    try:
        run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={copy}", str(backup))
        assert table_counts(copy) == directory_data
    finally:
        run("dropdb", "--if-exists", copy)
