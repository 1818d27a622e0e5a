from django.db import migrations

BADGE_PERMISSIONS = ["add_badge", "change_badge", "delete_badge"]


def grant_badge_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="employees", codename__in=BADGE_PERMISSIONS)
    )


def revoke_badge_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    editors = apps.get_model("auth", "Group").objects.filter(name="Editors").first()
    if editors:
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="employees", codename__in=BADGE_PERMISSIONS)
        )


class Migration(migrations.Migration):
    """Editors also maintain the badge catalogue (through the API; the admin stays for staff)."""

    dependencies = [("employees", "0005_search_indexes")]

    operations = [migrations.RunPython(grant_badge_permissions, revoke_badge_permissions)]
