from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    f"{action}_{model}" for model in ["department", "skill"] for action in ["view", "add", "change", "delete"]
]


def grant_permissions(apps, schema_editor, codenames=PERMISSIONS):
    # On a fresh database the permissions of models added since 0001 do not exist until every migration has
    # run; create them now, as 0002 does, so that the group gets them.
    app_config = apps.get_app_config("employees")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="employees", codename__in=codenames)
    )


def revoke_permissions(apps, schema_editor, codenames=PERMISSIONS):
    Permission = apps.get_model("auth", "Permission")
    editors = apps.get_model("auth", "Group").objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="employees", codename__in=codenames)
        )


class Migration(migrations.Migration):
    """Editors also maintain departments and skills (they type new skills on the employee form)."""

    dependencies = [("employees", "0007_profiles")]

    operations = [migrations.RunPython(grant_permissions, revoke_permissions)]
