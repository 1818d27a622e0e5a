import pytest
from django.http import QueryDict

from employees.filters import EmployeeFilter
from employees.models import Employee
from employees.pagination import EmployeePaginator

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory

pytestmark = pytest.mark.django_db


def employee_filter(query_string=""):
    return EmployeeFilter(QueryDict(query_string) or None, queryset=Employee.objects.all())


@pytest.fixture
def staff(coffee, gamer):
    platform = DepartmentFactory(name="Platform", slug="platform")
    design = DepartmentFactory(name="Design", slug="design")
    python = SkillFactory(name="Python", slug="python")
    spanish = SkillFactory(name="Spanish", slug="spanish")
    return [
        EmployeeFactory(
            full_name="Ana One",
            job_title="Engineer",
            location="Madrid",
            badges=[coffee],
            department=platform,
            skills=[python, spanish],
        ),
        EmployeeFactory(
            full_name="Ana Two",
            job_title="Engineer",
            location="Madrid",
            badges=[coffee, gamer],
            department=platform,
            skills=[python],
        ),
        EmployeeFactory(
            full_name="Ana Three", job_title="Designer", location="Paris", badges=[gamer], department=design
        ),
        EmployeeFactory(full_name="Ben Four", job_title="Engineer", location="Paris", skills=[spanish]),
    ]


def test_facets_count_everyone_per_location_title_badge_department_and_skill(staff):
    facets = employee_filter().facets
    assert facets == {
        "total": 4,
        "location": [("Madrid", 2), ("Paris", 2)],
        "title": [("Designer", 1), ("Engineer", 3)],
        "badge": {"coffee-snob": 2, "gamer": 2},
        "department": [("design", "Design", 1), ("platform", "Platform", 2)],
        "skill": [("python", "Python", 2), ("spanish", "Spanish", 2)],
    }


def test_department_and_skill_filters_combine_and_each_facet_ignores_its_own(staff):
    facets = employee_filter("department=platform&skill=spanish").facets
    assert facets["total"] == 1
    assert facets["department"] == [("platform", "Platform", 1)]
    assert facets["skill"] == [("python", "Python", 2), ("spanish", "Spanish", 1)]
    assert [e.full_name for e in employee_filter("skill=python").qs] == ["Ana One", "Ana Two"]


def test_unknown_department_or_skill_finds_nobody(staff):
    assert employee_filter("department=nowhere").facets["total"] == 0
    assert not employee_filter("skill=juggling").qs.exists()


def test_search_finds_department_and_skill_names(staff):
    assert {e.full_name for e in employee_filter("q=platform").qs} == {"Ana One", "Ana Two"}
    assert {e.full_name for e in employee_filter("q=spanish").qs} == {"Ana One", "Ben Four"}


def test_facets_count_the_current_search(staff):
    facets = employee_filter("q=ana").facets
    assert facets["total"] == 3
    assert facets["location"] == [("Madrid", 2), ("Paris", 1)]
    assert facets["badge"] == {"coffee-snob": 2, "gamer": 2}


def test_a_facet_ignores_its_own_filter_so_other_values_stay_selectable(staff):
    facets = employee_filter("location=Madrid&badge=gamer").facets
    assert facets["total"] == 1
    assert facets["location"] == [("Madrid", 1), ("Paris", 1)]
    assert facets["title"] == [("Engineer", 1)]
    assert facets["badge"] == {"coffee-snob": 2, "gamer": 1}


def test_facets_take_one_query_and_are_cached_until_an_employee_changes(staff, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert employee_filter("q=ana").facets["total"] == 3
    with django_assert_num_queries(0):
        assert employee_filter("q=ana").facets["total"] == 3
    EmployeeFactory(full_name="Ana Five")
    assert employee_filter("q=ana").facets["total"] == 4


def test_invalid_filters_count_nothing(staff, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert employee_filter("q=a").facets["total"] == 0


def test_title_filter_combines_with_search_and_location(staff):
    assert [e.full_name for e in employee_filter("q=ana&title=Engineer&location=Madrid").qs] == [
        "Ana One",
        "Ana Two",
    ]


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("q=a", "at least 2 characters"),
        ("q=" + "a" * 1000, "at most 200 characters"),
        ("q=a%00b", "Null characters are not allowed"),
        ("badge=nope", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(staff, query_string, message):
    employees = employee_filter(query_string)
    assert not employees.is_valid()
    assert message in str(employees.errors)


def test_descending_sort_breaks_ties_in_the_same_direction(staff):
    names = [e.full_name for e in employee_filter("sort=-title").qs]
    assert names == ["Ben Four", "Ana Two", "Ana One", "Ana Three"]


def test_badge_facets_list_every_badge_in_catalogue_order(staff, coffee, gamer):
    coffee.position = 2
    coffee.save()
    assert employee_filter("location=Paris").badge_facets() == [
        ("gamer", "Gamer", 1),
        ("coffee-snob", "Coffee Snob", 0),
    ]


@pytest.mark.parametrize(
    "filters",
    [
        "",
        "&location=Madrid",
        "&badge=gamer",
        "&title=Engineer&badge=coffee-snob",
        "&department=platform",
        "&skill=spanish",
        "&department=design&skill=python",
    ],
)
def test_a_search_counts_its_facets_as_the_directory_does(staff, filters):
    """A search's matches are counted from one set, the rest of the directory from the table: same rules."""
    EmployeeFactory(full_name="Bea Five", job_title="Engineer", location="Madrid")
    searched = employee_filter(f"q=ana{filters}").facets
    # "Ana" is every employee but Ben and Bea: the same counts, taken without a search over those.
    Employee.objects.exclude(full_name__startswith="Ana").delete()
    assert searched == employee_filter(filters.lstrip("&")).facets


def test_a_search_matching_more_than_the_limit_counts_only_the_first_found(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 2
    employees = employee_filter("q=ana")
    assert employees.more_than_limit
    assert employees.facets_sampled
    assert employees.facets["total"] == 2
    assert sum(count for _location, count in employees.facets["location"]) == 2
    assert sum(count for _title, count in employees.facets["title"]) == 2
    assert sum(count for _slug, _name, count in employees.facets["department"]) == 2


def test_a_search_within_the_limit_counts_every_match_exactly(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 3
    employees = employee_filter("q=ana")
    assert not employees.more_than_limit
    assert not employees.facets_sampled
    assert employees.facets["total"] == 3
    assert employees.facets["location"] == [("Madrid", 2), ("Paris", 1)]
    assert employees.facets["badge"] == {"coffee-snob": 2, "gamer": 2}
    assert [e.full_name for e in employees.first_found(employees.qs)] == ["Ana One", "Ana Three", "Ana Two"]


def test_a_filtered_search_reads_the_filtered_matches_not_a_filtered_sample(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 2
    # Five more people called Ana, all in Madrid: the first two found without the filter may all be in Madrid.
    EmployeeFactory.create_batch(5, full_name="Ana Other", job_title="Engineer", location="Madrid")
    employees = employee_filter("q=ana&location=Paris")
    assert not employees.more_than_limit
    assert employees.facets_sampled
    assert employees.facets["total"] == 1
    assert [e.full_name for e in employees.first_found(employees.qs)] == ["Ana Three"]
    # The location facet ignores its own filter: it counts the first two found by the search alone.
    assert sum(count for _location, count in employees.facets["location"]) == 2
    assert employees.facets["title"] == [("Designer", 1)]


def test_a_capped_search_pages_through_the_matches_it_counted(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 2
    employees = employee_filter("q=ana")
    rows = list(employees.first_found(employees.qs))
    assert len(rows) == 2
    # Ranked as the search ranks them.
    assert rows == list(Employee.objects.search("ana").filter(pk__in=[row.pk for row in rows]))


@pytest.mark.parametrize("query", ["mari", "maria", "madrid"])
def test_a_search_pages_its_matches_in_the_order_it_ranks_them(query):
    """The facets' query ranks the matches it reads; a page then reads its own rows only, in that order."""
    for name, location in [
        ("Bea Mariano", "Madrid"),
        ("María Zed", "Madrid"),
        ("Mario Abe", "Paris"),  # fuzzy matches of "maria" on PostgreSQL, the second the more similar
        ("Zed Mari", "Paris"),
        ("Maria Zed", "Madrid"),  # the same name as another: the id breaks the tie
        ("Ana Maria", "Madrid"),
        ("Olga Ode", "Madrid"),
    ]:
        EmployeeFactory(full_name=name, location=location)
    employees = employee_filter(f"q={query}")
    ranked = list(Employee.objects.search(query))
    assert len(ranked) >= 3
    assert list(employees.first_found(employees.qs)) == ranked
    paginator = EmployeePaginator(employees.first_found(employees.qs), 2, count=employees.facets["total"])
    assert [row for number in paginator.page_range for row in paginator.page(number)] == ranked


def test_a_sorted_search_pages_its_matches_in_the_chosen_order(staff):
    employees = employee_filter("q=ana&sort=-title")
    assert [e.full_name for e in employees.first_found(employees.qs)] == ["Ana Two", "Ana One", "Ana Three"]
