"""Migrations applied to a directory with people in it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from employees import services
from employees.models import Employee, Location

from .factories import UserFactory

BEFORE_LEAN_SEARCH = [("employees", "0010_employee_name_prefix_idx")]
OLD_KEY = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"


def migrate(targets):
    """Migrate the test database to ``targets``; return the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes("employees")


@pytest.fixture
def migrate_to():
    """``migrate``, then back to the latest migration whatever the test did, for the tests after it."""
    yield migrate
    migrate(latest())


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrading_fills_the_search_text_of_the_people_already_there(migrate_to):
    old_apps = migrate_to(BEFORE_LEAN_SEARCH)
    OldEmployee = old_apps.get_model("employees", "Employee")
    platform = old_apps.get_model("employees", "Department").objects.create(
        name="Plataforma", slug="plataforma"
    )
    coffee = old_apps.get_model("employees", "Badge").objects.create(name="Coffee Snob", slug="coffee")
    go = old_apps.get_model("employees", "Skill").objects.create(name="Go", slug="go")
    jose = OldEmployee.objects.create(
        full_name="José Núñez",
        job_title="Ingeniero",
        location="Málaga",
        department=platform,
        search_text="José Núñez Ingeniero Málaga",
    )
    jose.badges.add(coffee)
    jose.skills.add(go)
    OldEmployee.objects.create(
        full_name="Ada Lovelace", job_title="Engineer", location="London", manager=jose
    )

    migrate_to(latest())
    for employee in Employee.objects.for_detail():
        stored = (employee.search_text, employee.search_name)
        services.search_fields(employee, employee.badges.all(), employee.skills.all())
        assert stored == (employee.search_text, employee.search_name)
    assert Employee.objects.get(full_name="José Núñez").search_name == "jose nunez"
    assert [e.full_name for e in Employee.objects.search("jose plataforma coffee go")] == ["José Núñez"]
    assert [e.full_name for e in Employee.objects.search("lovelace")] == ["Ada Lovelace"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrading_keeps_every_api_token_working_and_drops_the_plain_text_ones(migrate_to):
    migrate_to([("employees", "0011_lean_search")])
    user = UserFactory()
    with connection.cursor() as cursor:  # Django REST framework's table, as the site had it
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id int)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, CURRENT_TIMESTAMP, %s)", [OLD_KEY, user.pk])
    migrate_to(latest())
    assert "authtoken_token" not in connection.introspection.table_names()
    api = APIClient()
    assert api.get("/api/v1/employees/", headers={"Authorization": f"Token {OLD_KEY}"}).status_code == 200
    assert (
        api.get("/api/v1/employees/", headers={"Authorization": f"Token {OLD_KEY[:-1]}0"}).status_code == 401
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_upgrading_makes_one_location_of_the_spellings_that_differ_in_case_or_spacing(migrate_to):
    old_apps = migrate_to([("employees", "0014_background_jobs")])
    OldEmployee = old_apps.get_model("employees", "Employee")
    for name, location in [("Ana", "Madrid"), ("Ben", "madrid "), ("Cai", "Madrid"), ("Dee", "São Paulo")]:
        OldEmployee.objects.create(full_name=name, job_title="Engineer", location=location)

    migrate_to(latest())
    assert list(Location.objects.values_list("name", flat=True)) == ["Madrid", "São Paulo"]
    people = dict(Employee.objects.values_list("full_name", "location"))
    assert people == {"Ana": "Madrid", "Ben": "Madrid", "Cai": "Madrid", "Dee": "São Paulo"}
