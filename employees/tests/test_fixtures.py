import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from employees.models import Badge, Employee

pytestmark = pytest.mark.django_db

CLASSIC_BADGES = {
    "Mac User": "apple",
    "Windows User": "windows",
    "Linux User": "linux",
    "Digital Content Star": "video-camera",
    "Employee of the Month": "trophy",
    "Photographer": "camera",
    "Frequent Flier": "plane",
    "Paperclip Aficionado": "paperclip",
    "Coffee Snob": "coffee",
    "Gamer": "gamepad",
    "Bugfixer": "bug",
    "Seattle Fan": "umbrella",
}


def test_fixtures_load_into_an_empty_database_and_again_without_duplicates():
    for _ in range(2):
        call_command("loaddata", "badges", "sample_employees", verbosity=0)
    assert {b.name: b.icon for b in Badge.objects.all()} == CLASSIC_BADGES
    assert 25 <= Employee.objects.count() <= 40
    assert Employee.objects.values("location").distinct().count() >= 5
    assert Employee.objects.filter(badges__isnull=False).distinct().count() == Employee.objects.count()


def test_migrations_create_the_editors_group_with_employee_permissions():
    codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"add_employee", "change_employee", "delete_employee"} <= codenames
