import pytest
from django.db import IntegrityError, transaction

from employees.models import Badge, Employee

from .factories import BadgeFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def test_str_and_absolute_url():
    employee = EmployeeFactory(full_name="Ana García")
    assert str(employee) == "Ana García"
    assert employee.get_absolute_url() == f"/employees/{employee.pk}/"


def test_employees_are_ordered_by_name():
    EmployeeFactory(full_name="Zoë")
    EmployeeFactory(full_name="Ana")
    assert [e.full_name for e in Employee.objects.all()] == ["Ana", "Zoë"]


@pytest.mark.parametrize("field", ["full_name", "job_title", "location"])
@pytest.mark.parametrize("value", ["", "   "])
def test_database_rejects_blank_values(field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.create(**{"full_name": "A", "job_title": "B", "location": "C", field: value})
    assert not Employee.objects.exists()


@pytest.mark.parametrize("field", ["name", "slug"])
def test_database_rejects_blank_badge_fields(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        Badge.objects.create(**{"name": "N", "slug": "n", "icon": "star", field: ""})


def test_badge_natural_key_round_trips():
    badge = BadgeFactory(slug="gamer", name="Gamer")
    assert Badge.objects.get_by_natural_key(*badge.natural_key()) == badge


def test_badges_are_ordered_by_position_then_name():
    BadgeFactory(slug="b", name="B", position=2)
    BadgeFactory(slug="c", name="C", position=1)
    BadgeFactory(slug="a", name="A", position=2)
    assert [b.name for b in Badge.objects.all()] == ["C", "A", "B"]


class TestSearch:
    def test_matches_name_title_and_location_case_insensitively(self):
        ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
        EmployeeFactory(full_name="Ben Ode", job_title="Designer", location="London")
        assert list(Employee.objects.search("ana")) == [ana]
        assert list(Employee.objects.search("ENGINEER")) == [ana]
        assert list(Employee.objects.search("madr")) == [ana]

    def test_matches_badge_names_without_duplicates(self, coffee, gamer):
        both = EmployeeFactory(badges=[coffee, gamer])
        EmployeeFactory()
        assert list(Employee.objects.search("e")).count(both) == 1
        assert list(Employee.objects.search("coffee")) == [both]

    def test_every_word_must_match(self):
        ana = EmployeeFactory(full_name="Ana García", location="Madrid")
        EmployeeFactory(full_name="Ana Silva", location="Lisbon")
        assert list(Employee.objects.search("ana madrid")) == [ana]

    def test_blank_query_returns_everyone(self):
        EmployeeFactory.create_batch(3)
        assert Employee.objects.search("   ").count() == 3


def test_in_location_and_with_badge(coffee):
    ana = EmployeeFactory(location="Madrid", badges=[coffee])
    EmployeeFactory(location="Madrid")
    EmployeeFactory(location="Paris", badges=[coffee])
    assert list(Employee.objects.in_location("Madrid").with_badge(coffee)) == [ana]


def test_locations_are_distinct_and_sorted():
    for location in ["Paris", "Madrid", "Paris"]:
        EmployeeFactory(location=location)
    assert list(Employee.objects.locations()) == ["Madrid", "Paris"]


def test_with_badges_prefetches_in_one_query(coffee, gamer, django_assert_num_queries):
    EmployeeFactory.create_batch(5, badges=[coffee, gamer])
    with django_assert_num_queries(2):
        names = [[b.name for b in e.badges.all()] for e in Employee.objects.with_badges()]
    assert names == [["Coffee Snob", "Gamer"]] * 5


class TestVersion:
    def test_starts_at_one_and_goes_up_on_every_save(self):
        employee = EmployeeFactory()
        assert employee.version == 1
        employee.job_title = "Changed"
        employee.save()
        employee.refresh_from_db()
        assert employee.version == 2

    def test_saving_a_stale_copy_raises_and_changes_nothing(self):
        employee = EmployeeFactory(job_title="Original")
        first, second = Employee.objects.get(pk=employee.pk), Employee.objects.get(pk=employee.pk)
        first.job_title = "First"
        first.save()
        second.job_title = "Second"
        with pytest.raises(Employee.EditConflict):
            second.save()
        employee.refresh_from_db()
        assert (employee.job_title, employee.version) == ("First", 2)

    def test_a_deleted_employee_saved_again_is_inserted(self):
        employee = EmployeeFactory()
        copy = Employee.objects.get(pk=employee.pk)
        employee.delete()
        copy.save()
        assert Employee.objects.filter(pk=copy.pk).exists()


class TestHistory:
    def test_create_edit_and_delete_are_recorded(self, coffee):
        employee = EmployeeFactory(job_title="Engineer")
        employee.job_title = "Lead"
        employee.save()
        employee.badges.add(coffee)
        pk = employee.pk
        employee.delete()
        records = Employee.history.filter(id=pk).order_by("history_id")
        assert [record.history_type for record in records] == ["+", "~", "~", "-"]

    def test_recent_changes_name_each_changed_field_with_old_and_new_values(self, coffee, gamer):
        employee = EmployeeFactory(job_title="Engineer", badges=[coffee])
        employee.job_title = "Lead"
        employee.save()
        employee.badges.add(gamer)
        latest, title_change, *older = employee.recent_changes()
        assert latest.changes == [("badges", "Coffee Snob", "Coffee Snob, Gamer")]
        assert title_change.changes == [("job title", "Engineer", "Lead")]
        assert older[-1].changes == []
        assert older[-1].get_history_type_display() == "Created"
