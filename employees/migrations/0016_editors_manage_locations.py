from importlib import import_module

from django.db import migrations

# The same steps as for departments and skills, for the location catalogue.
grants = import_module("employees.migrations.0008_editors_manage_departments_and_skills")
PERMISSIONS = [f"{action}_location" for action in ["view", "add", "change", "delete"]]


def grant_permissions(apps, schema_editor):
    grants.grant_permissions(apps, schema_editor, PERMISSIONS)


def revoke_permissions(apps, schema_editor):
    grants.revoke_permissions(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    """Editors keep the location catalogue, as they keep departments and skills."""

    dependencies = [("employees", "0015_locations")]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
