"""Search on Django's own terms (employees/search.py): the folded search text and name written in Python; on
PostgreSQL, generated tsvector columns of them with full-text GIN indexes, and a trigram index on the name, all
declared in Employee.Meta.indexes. Drops what it replaces: the generated folded columns, their indexes and
folding function on PostgreSQL, the FTS5 index and its triggers on SQLite. Managers can no longer be deleted
from under their reports (services.delete_employee moves the reports first).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
import django.db.models.deletion
import employees.models
import employees.search
from django.conf import settings
from django.db import migrations, models

from employees.search import fold

from . import _sqlite_fts as sqlite_fts

DROP_OLD_SEARCH = {
    "postgresql": [
        "DROP INDEX IF EXISTS employee_name_prefix_idx",
        "ALTER TABLE employees_employee DROP COLUMN IF EXISTS search_folded, DROP COLUMN IF EXISTS name_folded",
        "DROP FUNCTION IF EXISTS employees_search_fold(text)",
    ],
    "sqlite": [
        "DROP TRIGGER IF EXISTS employees_employee_fts_insert",
        "DROP TRIGGER IF EXISTS employees_employee_fts_delete",
        "DROP TRIGGER IF EXISTS employees_employee_fts_update",
        "DROP TABLE IF EXISTS employees_employee_fts",
    ],
}


# Going back: what migrations 0005, 0009 and 0010 built, for the code before this one.
RESTORE_OLD_SEARCH = {
    "postgresql": [
        """
        CREATE OR REPLACE FUNCTION employees_search_fold(text) RETURNS text
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
        AS $$ BEGIN RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1)); END $$
        """,
        "ALTER TABLE employees_employee"
        " ADD COLUMN search_folded text GENERATED ALWAYS AS (employees_search_fold(search_text)) STORED,"
        " ADD COLUMN name_folded text GENERATED ALWAYS AS (employees_search_fold(full_name)) STORED",
        "CREATE INDEX employee_search_trgm_idx ON employees_employee USING gin (search_folded gin_trgm_ops)",
        "CREATE INDEX employee_name_trgm_idx ON employees_employee USING gin (name_folded gin_trgm_ops)",
        "CREATE INDEX employee_name_prefix_idx ON employees_employee (name_folded text_pattern_ops)",
    ],
    "sqlite": [
        "CREATE VIRTUAL TABLE employees_employee_fts USING fts5("
        " search_text, content='employees_employee', tokenize='unicode61 remove_diacritics 2')",
        *sqlite_fts.TRIGGERS,
        sqlite_fts.REBUILD,
    ],
}


def drop_old_search(apps, schema_editor):
    for statement in DROP_OLD_SEARCH.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def restore_old_search(apps, schema_editor):
    for statement in RESTORE_OLD_SEARCH.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


FIELDS = ["search_name", "search_text", "badge_slugs", "skill_slugs"]


def fill_search_fields(apps, schema_editor):
    """What services.search_fields writes, for the employees there are."""
    Employee = apps.get_model("employees", "Employee")
    employees = Employee.objects.select_related("department").prefetch_related("badges", "skills")
    batch = []
    for employee in employees.iterator(chunk_size=2000):
        tags = [tag.name for tag in [*employee.badges.all(), *employee.skills.all()]]
        department = [employee.department.name] if employee.department_id else []
        words = [employee.full_name, employee.job_title, employee.location, *department, *tags]
        employee.search_name, employee.search_text = fold(employee.full_name), fold(" ".join(words))
        employee.badge_slugs = sorted(badge.slug for badge in employee.badges.all())
        employee.skill_slugs = sorted(skill.slug for skill in employee.skills.all())
        batch.append(employee)
        if len(batch) == 2000:
            Employee.objects.bulk_update(batch, FIELDS)
            batch = []
    Employee.objects.bulk_update(batch, FIELDS)


class Migration(migrations.Migration):

    dependencies = [
        ('employees', '0010_employee_name_prefix_idx'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_old_search, restore_old_search),
        migrations.AddField(
            model_name='employee',
            name='badge_slugs',
            field=models.JSONField(default=list, editable=False, verbose_name='badge slugs'),
        ),
        migrations.AddField(
            model_name='employee',
            name='skill_slugs',
            field=models.JSONField(default=list, editable=False, verbose_name='skill slugs'),
        ),
        migrations.AddField(
            model_name='employee',
            name='search_name',
            field=models.CharField(blank=True, default='', editable=False, max_length=200, verbose_name='search name'),
        ),
        migrations.AddField(
            model_name='employee',
            name='search_vector',
            field=models.GeneratedField(db_persist=True, expression=employees.search.Vector('search_text'), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AlterField(
            model_name='employee',
            name='manager',
            field=models.ForeignKey(blank=True, help_text='The person this employee reports to; empty for nobody.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='employees.employee', verbose_name='manager'),
        ),
        migrations.AlterField(
            model_name='historicalemployee',
            name='manager',
            field=models.ForeignKey(blank=True, db_constraint=False, help_text='The person this employee reports to; empty for nobody.', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='employees.employee', verbose_name='manager'),
        ),
        migrations.AddField(
            model_name='employee',
            name='name_vector',
            field=models.GeneratedField(db_persist=True, expression=employees.search.Vector('search_name'), output_field=django.contrib.postgres.search.SearchVectorField()),
        ),
        migrations.AddIndex(
            model_name='employee',
            index=employees.models.PostgreSQLGinIndex(fields=['search_vector'], name='employee_search_vector_idx'),
        ),
        migrations.AddIndex(
            model_name='employee',
            index=employees.models.PostgreSQLGinIndex(fields=['name_vector'], name='employee_name_vector_idx'),
        ),
        migrations.AddIndex(
            model_name='employee',
            index=employees.models.PostgreSQLGinIndex(django.contrib.postgres.indexes.OpClass('search_name', name='gin_trgm_ops'), name='employee_search_name_trgm_idx'),
        ),
        # Last: DDL after these updates would wait on their deferred foreign key checks.
        migrations.RunPython(fill_search_fields, migrations.RunPython.noop),
    ]
