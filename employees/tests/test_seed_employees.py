from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Count

from employees import services
from employees.models import Badge, Department, Employee, Skill

pytestmark = pytest.mark.django_db


def seed(*args):
    call_command("seed_employees", *args, verbosity=0)


def snapshot():
    return [
        (str(e.pk), e.full_name, e.job_title, e.location_name, sorted(b.slug for b in e.badges.all()))
        for e in Employee.objects.prefetch_related("badges").order_by("pk")
    ]


def test_the_same_seed_gives_the_same_employees():
    seed("--count", "40", "--seed", "7", "--clear")
    first = snapshot()
    seed("--count", "40", "--seed", "7", "--clear")
    assert snapshot() == first
    assert len(first) == 40


def test_the_same_seed_gives_the_same_employees_whatever_the_batch_size():
    seed("--count", "90", "--seed", "7", "--clear", "--batch-size", "90")
    first = snapshot()
    seed("--count", "90", "--seed", "7", "--clear", "--batch-size", "17")
    assert snapshot() == first


def test_another_seed_gives_other_employees():
    seed("--count", "40", "--seed", "7")
    first = snapshot()
    seed("--count", "40", "--seed", "8", "--clear")
    assert snapshot() != first


def test_clear_starts_over_and_without_it_employees_are_added():
    seed("--count", "30", "--clear", "--seed", "1")
    seed("--count", "30", "--clear", "--seed", "2")
    assert Employee.objects.count() == 30
    seed("--count", "30", "--seed", "3")
    assert Employee.objects.count() == 60


def test_employees_are_realistic_and_searchable():
    seed("--count", "300", "--seed", "5", "--batch-size", "70")
    assert Badge.objects.count() == 12
    assert Employee.objects.values("location").distinct().count() > 20
    assert Employee.objects.values("job_title").distinct().count() > 50
    assert Employee.objects.filter(badges__isnull=False).distinct().count() > 100
    assert any(not name.isascii() for name in Employee.objects.values_list("full_name", flat=True))
    employee = Employee.objects.filter(badges__isnull=False).first()
    assert_searchable(employee)


@pytest.mark.parametrize("count", ["0", "-5"])
def test_count_must_be_positive(count):
    with pytest.raises(CommandError, match="must be positive"):
        seed("--count", count)
    assert not Employee.objects.exists()


def assert_searchable(employee):
    """The employee's search text is what the site writes, so the search finds them by name and by skill."""
    written = Employee.objects.get(pk=employee.pk)
    services.search_fields(written, written.badges.all(), written.skills.all())
    assert sorted(employee.search_text.split()) == sorted(written.search_text.split())
    assert employee.search_name == written.search_name
    assert employee in Employee.objects.search(employee.full_name)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_large_load_into_a_new_database_works_twice_without_clear():
    """A load of its own (no caller's transaction), as the README's commands run it on a new database."""
    seed("--count", "10000", "--seed", "3")
    seed("--count", "10000", "--seed", "4")
    assert Employee.objects.count() == 20_000
    assert Employee.objects.search("engineer").exists()
    assert_links_are_unique()


def assert_links_are_unique():
    Links = Employee.badges.through
    link = Links.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Links.objects.create(employee_id=link.employee_id, badge_id=link.badge_id)


def test_employees_have_departments_a_hierarchy_skills_and_contact_details():
    seed("--count", "400", "--seed", "9", "--batch-size", "90")

    assert Department.objects.count() >= 30
    assert Skill.objects.count() >= 150
    employees = list(Employee.objects.select_related("department").prefetch_related("badges", "skills"))
    tops = [employee for employee in employees if employee.manager_id is None]
    assert [employee.job_title for employee in tops] == ["Chief Executive Officer"]
    spans = (
        Employee.objects.filter(reports__isnull=False)
        .annotate(n=Count("reports"))
        .values_list("n", flat=True)
    )
    assert max(spans) <= 40  # the CEO and department heads have heads under them too; teams have 5 to 10
    for employee in employees[:60]:
        employee.full_clean(
            validate_constraints=False
        )  # valid phones, emails, time zones; no loop of managers
        line = employee.reporting_line()
        assert line[-1:] == tops[:1] or employee == tops[0]
        assert employee.department is not None
        assert_searchable(employee)
    assert Employee.objects.filter(skills__isnull=False).distinct().count() > 250
    employee = next(e for e in employees if e.skills.all())
    assert employee in Employee.objects.search(employee.skills.all()[0].name)


def test_work_emails_are_unique():
    seed("--count", "500", "--seed", "4")
    seed("--count", "500", "--seed", "5")
    emails = [email.lower() for email in Employee.objects.values_list("work_email", flat=True)]
    assert all(emails)
    assert len(set(emails)) == 1000


def test_everyone_reports_up_a_line_of_existing_managers_to_a_chief_executive():
    seed("--count", "700", "--seed", "6", "--clear", "--batch-size", "64")
    managers = dict(Employee.objects.values_list("pk", "manager_id"))
    tops = [pk for pk, manager in managers.items() if manager is None]
    assert len(tops) == 1
    for pk in managers:
        line = [pk]
        while managers[line[-1]] is not None:
            assert managers[line[-1]] in managers  # the manager exists
            line.append(managers[line[-1]])
            assert len(line) <= len(set(line)) < 20  # no loop, and not absurdly deep
        assert line[-1] == tops[0]
    spans = Counter(manager for manager in managers.values() if manager is not None)
    assert max(spans.values()) <= 40
    assert len(spans) > 700 // 10  # managers with teams, not one boss for all
