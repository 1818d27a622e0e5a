import pytest
from django.db import IntegrityError, connection, transaction

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
        assert list(Employee.objects.search("coffee gamer")) == [both]
        assert list(Employee.objects.search("coffee")) == [both]

    def test_every_word_must_match(self):
        ana = EmployeeFactory(full_name="Ana García", location="Madrid")
        EmployeeFactory(full_name="Ana Silva", location="Lisbon")
        assert list(Employee.objects.search("ana madrid")) == [ana]

    def test_blank_query_returns_everyone(self):
        EmployeeFactory.create_batch(3)
        assert Employee.objects.search("   ").count() == 3

    def test_ignores_accents_in_the_data_and_in_the_query(self):
        jose = EmployeeFactory(full_name="José García")
        EmployeeFactory(full_name="Joseph Ode")
        assert list(Employee.objects.search("jose garcia")) == [jose]
        assert list(Employee.objects.search("JOSÉ GARCÍA")) == [jose]

    def test_word_prefix_finds_the_title(self):
        engineer = EmployeeFactory(job_title="Senior Engineer")
        EmployeeFactory(job_title="Designer")
        assert list(Employee.objects.search("eng")) == [engineer]

    def test_names_starting_with_the_query_come_first(self):
        in_zaragoza = EmployeeFactory(full_name="Adam Smith", location="Zaragoza")
        zara = EmployeeFactory(full_name="Zara Quinn")
        assert list(Employee.objects.search("zara")) == [zara, in_zaragoza]

    @pytest.mark.parametrize("query", ["a", " b ", "\x00", "\x00a"])
    def test_queries_under_two_characters_match_nobody(self, query):
        EmployeeFactory(full_name="Ana")
        assert list(Employee.objects.search(query)) == []

    @pytest.mark.parametrize(
        "query",
        ["ana\x00", "a" * 1000, "ana " * 300, '"ana" OR *', "ana%", "_na", "\\", "NEAR(ana)", "ana'; --"],
    )
    def test_hostile_queries_do_not_fail(self, query):
        EmployeeFactory(full_name="Ana García")
        EmployeeFactory(full_name="Ben Ode")
        assert len(list(Employee.objects.search(query))) <= 1

    def test_a_word_under_three_characters_matches_where_a_word_begins(self):
        al = EmployeeFactory(full_name="Al Ode")
        designer = EmployeeFactory(full_name="Bea Ode", job_title="Senior UX Designer")
        EmployeeFactory(full_name="Cal Deluxe", job_title="Deluxe Designer")
        assert list(Employee.objects.search("al")) == [al]
        assert list(Employee.objects.search("ux")) == [designer]
        assert list(Employee.objects.search("ux designer")) == [designer]

    def test_like_wildcards_are_plain_characters(self):
        EmployeeFactory(full_name="Ana García")
        assert list(Employee.objects.search("a%a")) == []

    def test_works_inside_a_subquery(self):
        ana = EmployeeFactory(full_name="Ana García")
        EmployeeFactory(full_name="Ben Ode")
        matching = Employee.objects.search("ana").values("pk")
        assert list(Employee.objects.filter(pk__in=matching)) == [ana]

    def test_follows_badges_added_renamed_and_deleted(self, coffee):
        ana = EmployeeFactory(full_name="Ana")
        ana.badges.add(coffee)
        assert list(Employee.objects.search("coffee")) == [ana]
        coffee.name = "Tea Lover"
        coffee.save()
        assert list(Employee.objects.search("coffee")) == []
        assert list(Employee.objects.search("tea lover")) == [ana]
        coffee.delete()
        assert list(Employee.objects.search("tea")) == []

    def test_follows_badges_set_from_the_badge_side(self, coffee):
        ana = EmployeeFactory(full_name="Ana")
        coffee.employees.add(ana)
        assert list(Employee.objects.search("coffee")) == [ana]
        coffee.employees.clear()
        assert list(Employee.objects.search("coffee")) == []

    def test_first_found_reads_at_most_the_limit_of_the_matches(self):
        matches = {EmployeeFactory(full_name=f"Ana {n}").pk for n in range(5)}
        EmployeeFactory(full_name="Ben Ode")
        found = [row["pk"] for row in Employee.objects.first_found("ana", 3, "pk")]
        assert len(found) == 3
        assert set(found) <= matches
        assert {row["pk"] for row in Employee.objects.first_found("ana", 10, "pk")} == matches

    def test_follows_edits(self):
        ana = EmployeeFactory(full_name="Ana")
        ana.full_name = "Beatriz"
        ana.save(update_fields=["full_name"])
        assert list(Employee.objects.search("beatriz")) == [ana]
        assert list(Employee.objects.search("ana")) == []


def plan_without_seq_scan(queryset):
    """PostgreSQL's plan for ``queryset`` when it may not read the table whole, as for a test's few rows."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance is PostgreSQL's pg_trgm")
class TestSearchOnPostgreSQL:
    def test_tolerates_typos(self):
        john = EmployeeFactory(full_name="John Smith")
        EmployeeFactory(full_name="Ben Ode")
        assert list(Employee.objects.search("jonh smith")) == [john]

    def test_tolerates_a_typo_in_one_of_several_names(self):
        # Plain similarity with the whole name (0.25) missed a surname among four names.
        rodriguez = EmployeeFactory(full_name="Ana María Suárez Rodríguez")
        EmployeeFactory(full_name="Ben Ode")
        assert list(Employee.objects.search("rodrigez")) == [rodriguez]

    def test_ranks_fuzzy_matches_most_similar_first(self):
        rodrigo = EmployeeFactory(full_name="Ana Rodrigo")
        rodriguez = EmployeeFactory(full_name="Ana Rodríguez")
        assert list(Employee.objects.search("rodrigez")) == [rodriguez, rodrigo]

    def test_matches_inside_words(self):
        ana = EmployeeFactory(full_name="Ana García")
        assert list(Employee.objects.search("arcí")) == [ana]

    def test_ranks_name_prefix_then_exact_then_fuzzy(self):
        fuzzy = EmployeeFactory(full_name="Mario Abe")
        exact = EmployeeFactory(full_name="Bea Mariano")
        prefix = EmployeeFactory(full_name="María Zed")
        EmployeeFactory(full_name="Olga Ode")
        assert list(Employee.objects.search("maria")) == [prefix, exact, fuzzy]

    def test_first_found_reads_exact_matches_before_fuzzy_ones(self):
        exact = {EmployeeFactory(full_name=f"Maria {n}").pk for n in range(3)}
        EmployeeFactory(full_name="Mario Abe")
        assert {row["pk"] for row in Employee.objects.first_found("maria", 3, "pk")} == exact
        assert len(Employee.objects.first_found("maria", 4, "pk")) == 4

    def test_first_found_reads_names_starting_with_the_query_first(self):
        EmployeeFactory.create_batch(3, full_name="Bea Mariano")
        prefix = {EmployeeFactory(full_name=f"María {n}").pk for n in range(2)}
        assert {row["pk"] for row in Employee.objects.first_found("maria", 2, "pk")} == prefix
        plan = plan_without_seq_scan(Employee.objects.first_found("maria", 2, "pk"))
        assert "employee_name_prefix_idx" in plan

    def test_a_search_of_short_words_reads_them_from_the_trigram_index(self):
        EmployeeFactory.create_batch(3)
        plan = plan_without_seq_scan(Employee.objects.search("zz"))
        # A word inside other words ('%zz%') gives the index no trigram to look up: it would be read whole.
        assert "Index Cond: (search_folded ~~ '% zz%'::text)" in plan

    def test_uses_the_trigram_index(self):
        EmployeeFactory.create_batch(3)
        plan = plan_without_seq_scan(Employee.objects.search("garcía"))
        assert "employee_search_trgm_idx" in plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
class TestSearchOnSQLite:
    def test_migrations_create_the_fts5_index_and_its_triggers(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'employees_employee_fts%'")
            names = {row[0] for row in cursor.fetchall()}
        assert {
            "employees_employee_fts",
            "employees_employee_fts_insert",
            "employees_employee_fts_update",
            "employees_employee_fts_delete",
        } <= names

    def test_uses_the_fts5_index(self):
        plan = Employee.objects.search("garcía").explain()
        assert "employees_employee_fts VIRTUAL TABLE" in plan

    def test_deleted_employees_leave_the_index(self):
        ana = EmployeeFactory(full_name="Ana")
        ana.delete()
        EmployeeFactory(full_name="Anabel")
        assert [e.full_name for e in Employee.objects.search("ana")] == ["Anabel"]


def test_for_list_reads_only_the_shown_columns(coffee, django_assert_num_queries):
    EmployeeFactory(badges=[coffee])
    with django_assert_num_queries(2):
        employee = Employee.objects.for_list().get()
        assert [badge.name for badge in employee.badge_list] == ["Coffee Snob"]
    loaded = {field.attname for field in Employee._meta.concrete_fields} - employee.get_deferred_fields()
    assert loaded == {"id", "full_name", "job_title", "location", "photo_thumbnail"}


def test_with_badges_prefetches_in_one_query(coffee, gamer, django_assert_num_queries):
    EmployeeFactory.create_batch(5, badges=[coffee, gamer])
    with django_assert_num_queries(2):
        names = [[b.name for b in e.badges.all()] for e in Employee.objects.with_badges()]
    assert names == [["Coffee Snob", "Gamer"]] * 5


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


def test_headcount_by_location_and_by_badge():
    coffee, gamer = BadgeFactory(name="Coffee"), BadgeFactory(name="Gamer")
    BadgeFactory(name="Unused")
    EmployeeFactory(location="Paris", badges=[coffee, gamer])
    EmployeeFactory(location="Paris", badges=[coffee])
    EmployeeFactory(location="Berlin")
    assert list(Employee.objects.headcount_by_location()) == [
        {"location": "Berlin", "headcount": 1},
        {"location": "Paris", "headcount": 2},
    ]
    counts = {badge.name: badge.headcount for badge in Badge.objects.with_headcount()}
    assert counts == {"Coffee": 2, "Gamer": 1, "Unused": 0}


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
