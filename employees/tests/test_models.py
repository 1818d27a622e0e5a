"""The models and the employee QuerySet: constraints, ordering, natural keys and what each query reads."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from employees.models import Badge, Department, Employee, Location
from employees.search import FACET_COLUMNS, count_facets

from .factories import BadgeFactory, DepartmentFactory, EmployeeFactory, LocationFactory, SkillFactory

pytestmark = pytest.mark.django_db


def test_str_and_absolute_url():
    employee = EmployeeFactory(full_name="Ana García")
    assert str(employee) == "Ana García"
    assert employee.get_absolute_url() == f"/employees/{employee.pk}/"


def test_employees_are_ordered_by_name():
    EmployeeFactory(full_name="Zoë")
    EmployeeFactory(full_name="Ana")
    assert [e.full_name for e in Employee.objects.all()] == ["Ana", "Zoë"]


def test_names_titles_and_locations_sort_whatever_their_case_and_accents():
    """The database sorts them, with the indexes on these columns: "São Paulo" before "Stockholm"."""
    for name, title, location in [
        ("Zoë", "engineer", "Stockholm"),
        ("Álvaro", "Designer", "São Paulo"),
        ("bea", "Écrivain", "madrid"),
        ("Ana", "Analyst", "Paris"),
    ]:
        EmployeeFactory(full_name=name, job_title=title, location=location)
    people = Employee.objects.all()
    assert [e.full_name for e in people] == ["Álvaro", "Ana", "bea", "Zoë"]
    assert [e.job_title for e in people.order_by("job_title")] == [
        "Analyst",
        "Designer",
        "Écrivain",
        "engineer",
    ]
    assert [e.location_name for e in people.order_by("location_id")] == [
        "madrid",
        "Paris",
        "São Paulo",
        "Stockholm",
    ]
    assert list(Location.objects.values_list("name", flat=True)) == [
        "madrid",
        "Paris",
        "São Paulo",
        "Stockholm",
    ]


@pytest.mark.parametrize("field", ["full_name", "job_title"])
@pytest.mark.parametrize("value", ["", "   "])
def test_database_rejects_blank_values(field, value):
    location = LocationFactory(name="C")
    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.create(**{"full_name": "A", "job_title": "B", "location": location, field: value})
    assert not Employee.objects.exists()


@pytest.mark.parametrize("value", ["", "   "])
def test_database_rejects_a_blank_location_name(value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.bulk_create([Location(name=value)])  # as it is: save() would tidy the spaces


def test_database_rejects_a_location_name_another_has_in_any_case():
    LocationFactory(name="Madrid")
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.create(name="MADRID")


def test_database_rejects_a_work_email_another_employee_has_in_any_case():
    EmployeeFactory(work_email="ana.garcia@example.com")
    EmployeeFactory.create_batch(2, work_email="")  # any number of people may have none
    with pytest.raises(IntegrityError), transaction.atomic():
        EmployeeFactory(work_email="Ana.Garcia@Example.com")
    assert Employee.objects.count() == 3


def test_database_rejects_an_employee_as_their_own_manager():
    employee = EmployeeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Employee.objects.filter(pk=employee.pk).update(manager=F("pk"))


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


def test_for_list_reads_only_the_shown_columns(coffee, django_assert_num_queries):
    EmployeeFactory(badges=[coffee])
    with django_assert_num_queries(2):
        employee = Employee.objects.for_list().get()
        assert [badge.name for badge in employee.badge_list] == ["Coffee Snob"]
    loaded = {field.attname for field in Employee._meta.concrete_fields} - employee.get_deferred_fields()
    shown = {"id", "full_name", "job_title", "location_id", "photo_thumbnail", "left_on", "work_email"}
    assert loaded == shown | {"work_phone", "department_id", "manager_id"}


def test_for_detail_reads_the_department_badges_and_skills_in_three_queries(
    coffee, django_assert_num_queries
):
    EmployeeFactory(
        department=DepartmentFactory(name="Platform"), badges=[coffee], skills=[SkillFactory(name="Go")]
    )
    with django_assert_num_queries(3):
        employee = Employee.objects.for_detail().get()
        shown = (
            employee.department.name,
            [b.name for b in employee.badges.all()],
            [s.name for s in employee.skills.all()],
        )
    assert shown == ("Platform", ["Coffee Snob"], ["Go"])


def test_with_work_email_ignores_case():
    ana = EmployeeFactory(work_email="Ana.Garcia@example.com")
    EmployeeFactory(work_email="ben@example.com")
    assert list(Employee.objects.with_work_email("ANA.GARCIA@EXAMPLE.COM")) == [ana]


def test_facets_count_each_value_of_these_employees_in_two_queries(coffee, gamer, django_assert_num_queries):
    platform = DepartmentFactory(name="Platform", slug="platform")
    go = SkillFactory(name="Go", slug="go")
    EmployeeFactory(
        job_title="Engineer", location="Paris", department=platform, badges=[coffee, gamer], skills=[go]
    )
    EmployeeFactory(job_title="Engineer", location="Paris", badges=[coffee])
    EmployeeFactory(job_title="Designer", location="Berlin")
    with django_assert_num_queries(2):  # the people, then their skills and badges
        facets = count_facets(Employee.objects.values_list(*FACET_COLUMNS))
    # People without a department, skill or badge are counted under none of them.
    assert facets == {
        "location": [("Berlin", "Berlin", 1), ("Paris", "Paris", 2)],
        "title": [("Designer", "Designer", 1), ("Engineer", "Engineer", 2)],
        "department": [("platform", "Platform", 1)],
        "skill": [("go", "Go", 1)],
        "badge": [("coffee-snob", "Coffee Snob", 2), ("gamer", "Gamer", 1)],
    }
    berlin = Employee.objects.filter(location="Berlin").values_list(*FACET_COLUMNS)
    assert count_facets(berlin)["location"] == [("Berlin", "Berlin", 1)]


def test_distinct_values_lists_each_value_of_a_column_once_in_order():
    for location in ["Paris", "Berlin", "Paris", "Lisbon"]:
        EmployeeFactory(location=location)
    assert Employee.objects.distinct_values("location") == ["Berlin", "Lisbon", "Paris"]


def test_headcount_of_badges_and_departments_counts_their_people(coffee, gamer):
    BadgeFactory(name="Unused")
    platform = DepartmentFactory(name="Platform")
    DepartmentFactory(name="Empty")
    EmployeeFactory(badges=[coffee, gamer], department=platform)
    EmployeeFactory(badges=[coffee], department=platform)
    EmployeeFactory()
    assert {b.name: b.headcount for b in Badge.objects.with_headcount()} == {
        "Coffee Snob": 2,
        "Gamer": 1,
        "Unused": 0,
    }
    assert {d.name: d.headcount for d in Department.objects.with_headcount()} == {"Empty": 0, "Platform": 2}


@pytest.mark.parametrize(
    ("full_name", "initials"),
    [("Ana María García", "AG"), ("bob", "B"), ("Łukasz Żak", "ŁŻ"), ("فاطمة الزهراء", "فا")],
)
def test_initials_are_the_first_letters_of_the_first_and_last_names(full_name, initials):
    assert Employee(full_name=full_name).initials == initials


def test_avatar_colour_is_stable_for_an_employee():
    employee = EmployeeFactory()
    assert employee.avatar_color == Employee.objects.get().avatar_color
    assert employee.avatar_color in range(8)


def test_local_time_is_the_time_where_the_employee_works():
    assert Employee(time_zone="Asia/Tokyo").local_time().utcoffset() == timedelta(hours=9)
    assert Employee(time_zone="").local_time() is None
    assert Employee(time_zone="Mars/Olympus").local_time() is None
