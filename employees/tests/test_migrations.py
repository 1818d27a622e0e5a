import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from employees.models import Employee

BEFORE_PROFILES = [("employees", "0006_editors_manage_badges")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes("employees")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_existing_employees_stay_searchable_across_the_profiles_migration():
    """On SQLite the migration rebuilds the table: new rowids, and the search index must follow them."""
    old_apps = migrate(BEFORE_PROFILES)
    OldEmployee = old_apps.get_model("employees", "Employee")
    for name in ["Gone Early", "Ada Lovelace", "Grace Hopper"]:
        OldEmployee.objects.create(
            full_name=name, job_title="Engineer", location="London", search_text=f"{name} Engineer London"
        )
    # A gap in the rowids, so that copying the rows into a rebuilt table renumbers them.
    OldEmployee.objects.filter(full_name="Gone Early").delete()

    migrate(latest())
    assert [e.full_name for e in Employee.objects.search("grace")] == ["Grace Hopper"]
    hopper = Employee.objects.get(full_name="Grace Hopper")
    assert (hopper.work_email, hopper.mobile_visibility, hopper.manager) == ("", "managers", None)

    # Back and forth again: the reversed migration must leave a searchable table too.
    migrate(BEFORE_PROFILES)
    OldEmployee.objects.create(
        full_name="Alan Turing", job_title="Engineer", location="Wilmslow", search_text="Alan Turing"
    )
    migrate(latest())
    assert [e.full_name for e in Employee.objects.search("turing")] == ["Alan Turing"]
    assert [e.full_name for e in Employee.objects.search("lovelace")] == ["Ada Lovelace"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the folding function is PostgreSQL's")
def test_search_folding_is_lower_case_without_accents_as_unaccent_gives():
    texts = ["José Núñez", "ÆRØ Straße", "Đorđe Łukasz", "İSTANBUL", "½ ﬁne", "", None]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT employees_search_fold(t), lower(public.unaccent('public.unaccent'::regdictionary, t))"
            " FROM unnest(%s::text[]) AS t",
            [texts],
        )
        folded = cursor.fetchall()
    assert [mine for mine, _ in folded] == [theirs for _, theirs in folded]
    assert folded[0][0] == "jose nunez"
