import pytest
from django.core.management import CommandError, call_command

from employees.models import Badge, Employee

pytestmark = pytest.mark.django_db


def seed(*args):
    call_command("seed_employees", *args, verbosity=0)


def snapshot():
    return [
        (str(e.pk), e.full_name, e.job_title, e.location, sorted(b.slug for b in e.badges.all()))
        for e in Employee.objects.with_badges().order_by("pk")
    ]


def test_the_same_seed_gives_the_same_employees():
    seed("--count", "40", "--seed", "7", "--clear")
    first = snapshot()
    seed("--count", "40", "--seed", "7", "--clear")
    assert snapshot() == first
    assert len(first) == 40


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
    employee = Employee.objects.with_badges().filter(badges__isnull=False).first()
    assert employee.search_text == employee.build_search_text()
    assert employee in Employee.objects.search(employee.full_name)


@pytest.mark.parametrize("count", ["0", "-5"])
def test_count_must_be_positive(count):
    with pytest.raises(CommandError, match="must be positive"):
        seed("--count", count)
    assert not Employee.objects.exists()
