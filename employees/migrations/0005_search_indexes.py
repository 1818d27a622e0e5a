"""Search: one text column per employee and the index each database searches it with.

PostgreSQL: the unaccent and pg_trgm extensions, an IMMUTABLE folding function (unaccent itself is only STABLE,
so it cannot appear in an index or a generated column), the folded search text and folded name as generated
columns (folded once per write, not once per row searched) and GIN trigram indexes on both.
SQLite: an FTS5 index over the same column, kept in step by triggers.
"""

from django.db import migrations, models

from . import _sqlite_fts as sqlite_fts

POSTGRESQL_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION employees_search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
    """,
    "ALTER TABLE employees_employee"
    " ADD COLUMN search_folded text GENERATED ALWAYS AS (employees_search_fold(search_text)) STORED,"
    " ADD COLUMN name_folded text GENERATED ALWAYS AS (employees_search_fold(full_name)) STORED",
    "CREATE INDEX employee_search_trgm_idx ON employees_employee USING gin (search_folded gin_trgm_ops)",
    "CREATE INDEX employee_name_trgm_idx ON employees_employee USING gin (name_folded gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = [
    "ALTER TABLE employees_employee DROP COLUMN IF EXISTS search_folded, DROP COLUMN IF EXISTS name_folded",
    "DROP FUNCTION IF EXISTS employees_search_fold(text)",
]

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE employees_employee_fts USING fts5("
    " search_text, content='employees_employee', tokenize='unicode61 remove_diacritics 2')",
    *sqlite_fts.TRIGGERS,
    sqlite_fts.REBUILD,
]
SQLITE_BACKWARD = [*sqlite_fts.DROP_TRIGGERS, "DROP TABLE IF EXISTS employees_employee_fts"]


def fill_search_text(apps, schema_editor):
    Employee = apps.get_model("employees", "Employee")
    batch = []
    # In chunks, so that a large directory is not loaded into memory at once.
    for employee in Employee.objects.prefetch_related("badges").iterator(chunk_size=2000):
        badge_names = [badge.name for badge in employee.badges.all()]
        employee.search_text = " ".join([employee.full_name, employee.job_title, employee.location, *badge_names])
        batch.append(employee)
        if len(batch) == 2000:
            Employee.objects.bulk_update(batch, ["search_text"])
            batch = []
    Employee.objects.bulk_update(batch, ["search_text"])


def run_for_vendor(statements):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("employees", "0004_version_and_history")]

    operations = [
        migrations.AddField(
            model_name="employee",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search text"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(
            run_for_vendor({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            run_for_vendor({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
