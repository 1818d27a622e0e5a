"""The triggers that keep SQLite's FTS5 search index (migration 0005) in step with employees_employee.

SQLite cannot alter most columns in place: Django rebuilds the table instead (a new table, the rows copied, the
old one dropped), which drops these triggers and gives the rows new rowids, the key the index is built on. A
migration after which that happens ends with ``restore_after_table_rebuild``. (Migration modules whose names start
with an underscore are not migrations.)
"""

TRIGGERS = [
    """
    CREATE TRIGGER employees_employee_fts_insert AFTER INSERT ON employees_employee BEGIN
        INSERT INTO employees_employee_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
    END
    """,
    """
    CREATE TRIGGER employees_employee_fts_delete AFTER DELETE ON employees_employee BEGIN
        INSERT INTO employees_employee_fts (employees_employee_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    END
    """,
    """
    CREATE TRIGGER employees_employee_fts_update AFTER UPDATE ON employees_employee BEGIN
        INSERT INTO employees_employee_fts (employees_employee_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
        INSERT INTO employees_employee_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
    END
    """,
]
DROP_TRIGGERS = [
    "DROP TRIGGER IF EXISTS employees_employee_fts_insert",
    "DROP TRIGGER IF EXISTS employees_employee_fts_delete",
    "DROP TRIGGER IF EXISTS employees_employee_fts_update",
]
REBUILD = "INSERT INTO employees_employee_fts (employees_employee_fts) VALUES ('rebuild')"


def restore_after_table_rebuild(apps, schema_editor):
    """Recreate the triggers and re-index every row under its new rowid (SQLite only)."""
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*DROP_TRIGGERS, *TRIGGERS, REBUILD]:
            schema_editor.execute(statement)
