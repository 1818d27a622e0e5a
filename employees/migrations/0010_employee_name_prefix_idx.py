"""PostgreSQL: a B-tree over the folded name in byte order (text_pattern_ops), so that the names starting with a
search are a range of it. A search that matches more people than the list reads takes those names first."""

from django.db import migrations


def run_on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("employees", "0009_search_fold_in_plpgsql")]

    operations = [
        migrations.RunPython(
            run_on_postgresql(
                "CREATE INDEX employee_name_prefix_idx ON employees_employee (name_folded text_pattern_ops)"
            ),
            run_on_postgresql("DROP INDEX IF EXISTS employee_name_prefix_idx"),
        ),
    ]
