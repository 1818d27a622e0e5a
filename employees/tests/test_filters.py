import pytest
from django.http import QueryDict
from django.urls import reverse

from employees.filters import EmployeeFilter
from employees.models import Employee

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory

pytestmark = pytest.mark.django_db


def employee_filter(query_string=""):
    return EmployeeFilter(QueryDict(query_string) or None, queryset=Employee.objects.all())


def names(employee_filter):
    return [employee.full_name for employee in employee_filter.results[:100]]


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


def test_without_filters_everyone_is_listed_by_name(staff):
    employees = employee_filter()
    assert names(employees) == ["Ana One", "Ana Three", "Ana Two", "Ben Four"]
    assert employees.results.count() == 4
    assert not employees.results.more


def test_facets_count_everyone_per_location_title_department_skill_and_badge(staff):
    assert employee_filter().facets == {
        "location": [("Madrid", "Madrid", 2), ("Paris", "Paris", 2)],
        "title": [("Designer", "Designer", 1), ("Engineer", "Engineer", 3)],
        "department": [("design", "Design", 1), ("platform", "Platform", 2)],
        "skill": [("python", "Python", 2), ("spanish", "Spanish", 2)],
        "badge": [("coffee-snob", "Coffee Snob", 2), ("gamer", "Gamer", 2)],
    }


def test_facets_count_the_current_search(staff):
    facets = employee_filter("q=ana").facets
    assert facets["location"] == [("Madrid", "Madrid", 2), ("Paris", "Paris", 1)]
    assert facets["title"] == [("Designer", "Designer", 1), ("Engineer", "Engineer", 2)]
    assert facets["badge"] == [("coffee-snob", "Coffee Snob", 2), ("gamer", "Gamer", 2)]
    assert facets["skill"] == [("python", "Python", 2), ("spanish", "Spanish", 1)]


def test_facets_count_the_filtered_results_and_leave_out_what_none_of_them_has(staff):
    assert employee_filter("location=Paris&title=Engineer").facets == {
        "location": [("Paris", "Paris", 1)],
        "title": [("Engineer", "Engineer", 1)],
        "department": [],
        "skill": [("spanish", "Spanish", 1)],
        "badge": [],
    }


def test_a_badge_filter_counts_every_badge_of_the_people_it_finds(staff):
    facets = employee_filter("badge=gamer").facets
    assert facets["badge"] == [("coffee-snob", "Coffee Snob", 1), ("gamer", "Gamer", 2)]


def test_a_skill_filter_counts_every_skill_of_the_people_it_finds(staff):
    facets = employee_filter("skill=spanish").facets
    assert facets["skill"] == [("python", "Python", 1), ("spanish", "Spanish", 2)]


def test_department_and_skill_filters_combine(staff):
    assert names(employee_filter("department=platform&skill=spanish")) == ["Ana One"]
    assert names(employee_filter("skill=python")) == ["Ana One", "Ana Two"]


def test_title_filter_combines_with_search_and_location(staff):
    assert names(employee_filter("q=ana&title=Engineer&location=Madrid")) == ["Ana One", "Ana Two"]


def test_search_finds_department_and_skill_names(staff):
    assert names(employee_filter("q=platform")) == ["Ana One", "Ana Two"]
    assert names(employee_filter("q=spanish")) == ["Ana One", "Ben Four"]


def test_a_search_lists_name_matches_first_then_the_others_by_name(staff):
    EmployeeFactory(full_name="Cleo Five", location="Anaheim")
    assert names(employee_filter("q=ana")) == ["Ana One", "Ana Three", "Ana Two", "Cleo Five"]


def test_a_sorted_search_lists_its_matches_in_the_chosen_order(staff):
    assert names(employee_filter("q=ana&sort=-title")) == ["Ana Two", "Ana One", "Ana Three"]


def test_descending_sort_breaks_ties_in_the_same_direction(staff):
    assert names(employee_filter("sort=-title")) == ["Ben Four", "Ana Two", "Ana One", "Ana Three"]


@pytest.mark.parametrize("query_string", ["department=nowhere", "skill=juggling", "badge=nope"])
def test_an_unknown_department_skill_or_badge_finds_nobody(staff, query_string):
    employees = employee_filter(query_string)
    assert not employees.is_valid()
    assert names(employees) == []


@pytest.mark.parametrize(
    ("query_string", "message"),
    [
        ("q=a", "at least 2 characters"),
        ("q=" + "a" * 1000, "at most 200 characters"),
        ("q=a%00b", "Null characters are not allowed"),
        ("badge=nope", "Select a valid choice"),
        ("sort=salary", "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_clear_message(staff, query_string, message):
    employees = employee_filter(query_string)
    assert not employees.is_valid()
    assert message in str(employees.errors)


def test_invalid_filters_list_and_count_nothing_without_a_query(staff, django_assert_num_queries):
    employees = employee_filter("q=a")
    with django_assert_num_queries(0):
        assert employees.results.count() == 0
        assert employees.facets == {
            facet: [] for facet in ["location", "title", "department", "skill", "badge"]
        }


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
    """A search's matches are counted by the same rules as the whole directory."""
    EmployeeFactory(full_name="Bea Five", job_title="Engineer", location="Madrid")
    searched = employee_filter(f"q=ana{filters}").facets
    # "Ana" is every employee but Ben and Bea: the same counts, taken without a search over those.
    Employee.objects.exclude(full_name__startswith="Ana").delete()
    assert searched == employee_filter(filters.lstrip("&")).facets


def test_a_search_matching_more_than_the_limit_lists_those_found_first_and_offers_every_choice_uncounted(
    staff, settings
):
    settings.SEARCH_MATCH_LIMIT = 2
    employees = employee_filter("q=ana")
    assert employees.results.more
    assert employees.results.count() == 2
    # Two of the three found, in name order.
    listed = names(employees)
    assert len(listed) == 2
    assert listed == sorted(listed)
    assert set(listed) < {"Ana One", "Ana Two", "Ana Three"}
    assert employees.facets == {
        # Job titles, which are many, come with their counts once the list is narrowed.
        "location": [("Madrid", "Madrid", None), ("Paris", "Paris", None)],
        "department": [("design", "Design", None), ("platform", "Platform", None)],
        "skill": [("python", "Python", None), ("spanish", "Spanish", None)],
        "badge": [("coffee-snob", "Coffee Snob", None), ("gamer", "Gamer", None)],
    }


def test_a_search_within_the_limit_counts_every_match_exactly(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 3
    employees = employee_filter("q=ana")
    assert not employees.results.more
    assert employees.results.count() == 3
    assert employees.facets["location"] == [("Madrid", "Madrid", 2), ("Paris", "Paris", 1)]


def test_a_filtered_search_is_limited_after_filtering(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 2
    # Five more people called Ana, all in Madrid: the first two found without the filter are not in Paris.
    EmployeeFactory.create_batch(5, full_name="Ana Other", job_title="Engineer", location="Madrid")
    employees = employee_filter("q=ana&location=Paris")
    assert not employees.results.more
    assert names(employees) == ["Ana Three"]
    assert employees.facets["location"] == [("Paris", "Paris", 1)]
    assert employees.facets["title"] == [("Designer", "Designer", 1)]


def test_a_list_of_everyone_beyond_the_limit_is_capped_too(staff, settings):
    settings.SEARCH_MATCH_LIMIT = 3
    employees = employee_filter("sort=name")
    assert employees.results.more
    assert names(employees) == ["Ana One", "Ana Three", "Ana Two"]


def test_menus_name_each_filter_with_its_choices_and_the_value_chosen(staff):
    menus = employee_filter("q=ana&location=Paris").menus
    assert menus == [
        ("location", "Location", [("Paris", "Paris", 1)], "Paris"),
        ("title", "Job title", [("Designer", "Designer", 1)], ""),
        ("department", "Department", [("design", "Design", 1)], ""),
        ("skill", "Skill", [], ""),
        ("badge", "Badge", [("gamer", "Gamer", 1)], ""),
    ]


def test_a_manager_filter_lists_their_direct_reports_on_the_list_page(reader_client):
    boss = EmployeeFactory(full_name="Boss")
    lead = EmployeeFactory(full_name="Lead", manager=boss)
    EmployeeFactory(full_name="Ana", manager=lead)
    EmployeeFactory(full_name="Ben", manager=boss)
    assert names(employee_filter(f"manager={boss.pk}")) == ["Ben", "Lead"]
    page = reader_client.get(reverse("employees:list"), {"manager": str(boss.pk)})
    assert [employee.full_name for employee in page.context["employees"]] == ["Ben", "Lead"]
    invalid = reader_client.get(reverse("employees:list"), {"manager": "nobody"})
    assert "Manager: Enter a valid UUID." in invalid.content.decode()
