import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from employees.models import Badge, Department, Employee

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
        call_command("loaddata", "badges", "departments", "skills", "sample_employees", verbosity=0)
    assert {b.name: b.icon for b in Badge.objects.all()} == CLASSIC_BADGES
    assert 25 <= Employee.objects.count() <= 40
    assert Employee.objects.values("location").distinct().count() >= 5
    assert Employee.objects.filter(badges__isnull=False).distinct().count() == Employee.objects.count()


def test_sample_employees_form_one_valid_hierarchy_with_departments_skills_and_contact_details():
    call_command("loaddata", "badges", "departments", "skills", "sample_employees", verbosity=0)
    employees = list(Employee.objects.select_related("department").prefetch_related("skills"))
    tops = [employee for employee in employees if employee.manager_id is None]
    assert [employee.job_title for employee in tops] == ["Chief Executive Officer"]
    for employee in employees:
        employee.full_clean()  # valid emails, phones, time zones, and no loop of managers
        assert employee.department is not None
        assert employee.skills.all()
        assert employee.work_email
        assert employee.reporting_line()[-1:] in ([], tops)
        assert employee.department.name in employee.search_text
    assert Department.objects.filter(parent__isnull=False).exists()
    assert {employee.mobile_visibility for employee in employees} == {"everyone", "managers", "editors"}


def test_migrations_create_the_editors_group_with_employee_permissions():
    codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"add_employee", "change_employee", "delete_employee"} <= codenames
