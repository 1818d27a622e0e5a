"""The demo data in employees/fixtures/, loaded as `make run` loads it."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from employees import services
from employees.models import Badge, Department, Employee

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db

FIXTURES = ["badges", "departments", "skills", "sample_employees"]

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
        call_command("loaddata", *FIXTURES, verbosity=0)
    assert {b.name: b.icon for b in Badge.objects.all()} == CLASSIC_BADGES
    assert 25 <= Employee.objects.count() <= 40
    assert Employee.objects.values("location").distinct().count() >= 5
    assert Employee.objects.filter(badges__isnull=False).distinct().count() == Employee.objects.count()


def test_sample_employees_form_one_valid_hierarchy_with_departments_skills_and_contact_details():
    call_command("loaddata", *FIXTURES, verbosity=0)
    employees = list(Employee.objects.select_related("department").prefetch_related("skills"))
    tops = [employee for employee in employees if employee.manager_id is None]
    assert [employee.job_title for employee in tops] == ["Chief Executive Officer"]
    for employee in employees:
        employee.full_clean()  # valid emails, phones, time zones, and no loop of managers
        assert employee.department is not None
        assert employee.skills.all()
        assert employee.work_email
        assert employee.reporting_line()[-1:] in ([], tops)
    assert Department.objects.filter(parent__isnull=False).exists()
    assert {employee.mobile_visibility for employee in employees} == {"everyone", "managers", "editors"}


def test_sample_employees_carry_the_search_text_the_site_would_write():
    """loaddata saves rows as they are: the fixture holds the search text services.save_employee writes."""
    call_command("loaddata", *FIXTURES, verbosity=0)
    for employee in Employee.objects.for_detail():
        stored = (employee.search_text, employee.search_name, employee.badge_slugs, employee.skill_slugs)
        services.search_fields(employee, employee.badges.all(), employee.skills.all())
        computed = (employee.search_text, employee.search_name, employee.badge_slugs, employee.skill_slugs)
        assert stored == computed, employee.full_name
    assert [employee.full_name for employee in Employee.objects.search("ana garcia")] == ["Ana García"]


def test_loading_the_badges_again_refreshes_the_search_text_of_the_people_whose_badge_it_renames():
    call_command("loaddata", *FIXTURES, verbosity=0)
    coffee = Badge.objects.get(slug="coffee-snob")
    coffee.name = "Tea Lover"
    coffee.save()
    newcomer = EmployeeFactory(full_name="Zed Newcomer", badges=[coffee])
    call_command("loaddata", "badges", verbosity=0)  # as `make run` does each time: "Coffee Snob" again
    assert list(Employee.objects.search("zed coffee snob")) == [newcomer]
    assert not Employee.objects.search("tea lover").exists()


def test_loading_sample_data_records_no_change_in_the_history():
    call_command("loaddata", *FIXTURES, verbosity=0)
    assert Employee.objects.exists()
    assert not Employee.history.exists()


def test_an_editor_opens_each_sample_person_whose_history_is_empty(editor_client):
    call_command("loaddata", *FIXTURES, verbosity=0)
    for employee in Employee.objects.all():
        response = editor_client.get(employee.get_absolute_url())
        assert response.status_code == 200, employee.full_name
        assert list(response.context["changes"]) == []


def test_migrations_create_the_editors_group_with_employee_permissions():
    codenames = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    assert {"add_employee", "change_employee", "delete_employee"} <= codenames
