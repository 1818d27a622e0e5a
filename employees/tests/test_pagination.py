import pytest
from django.core.paginator import EmptyPage, Paginator

from employees.models import Employee
from employees.pagination import EmployeePaginator

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven():
    return EmployeeFactory.create_batch(7)


@pytest.mark.parametrize("queryset", [Employee.objects.all(), Employee.objects.order_by("-job_title", "-id")])
def test_every_page_matches_plain_offset_pagination(seven, queryset):
    plain = Paginator(queryset, 2)
    paginator = EmployeePaginator(queryset, 2, count=7)
    assert paginator.num_pages == 4
    for number in plain.page_range:
        assert list(paginator.page(number)) == list(plain.page(number))


def test_search_results_paginate_backwards_in_rank_order():
    for name in ["Zara Quinn", "Zara Abe", "Adam Smith", "Bea Ode"]:
        EmployeeFactory(full_name=name, location="Zaragoza" if name[0] in "AB" else "Lima")
    results = Employee.objects.search("zara")
    assert [e.full_name for e in EmployeePaginator(results, 3, count=4).page(2)] == ["Bea Ode"]
    assert [e.full_name for e in EmployeePaginator(results, 3, count=4).page(1)] == [
        "Zara Abe",
        "Zara Quinn",
        "Adam Smith",
    ]


def test_the_last_page_reads_from_the_end_without_an_offset(seven, django_assert_num_queries):
    paginator = EmployeePaginator(Employee.objects.all(), 2, count=7)
    with django_assert_num_queries(1) as captured:
        assert len(paginator.page(4)) == 1
    assert "OFFSET" not in captured.captured_queries[0]["sql"]
    assert " DESC" in captured.captured_queries[0]["sql"]


@pytest.mark.parametrize("number", [0, 5])
def test_pages_outside_the_range_are_refused(seven, number):
    with pytest.raises(EmptyPage):
        EmployeePaginator(Employee.objects.all(), 2, count=7).page(number)


def test_an_empty_result_has_one_empty_page_and_costs_no_query(django_assert_num_queries):
    paginator = EmployeePaginator(Employee.objects.all(), 2, count=0)
    with django_assert_num_queries(0):
        assert list(paginator.page(1)) == []


def test_a_late_page_reads_its_rows_only_when_they_are_used(seven, django_assert_num_queries):
    expected = list(Employee.objects.all()[4:6])
    paginator = EmployeePaginator(Employee.objects.all(), 2, count=7)
    with django_assert_num_queries(0):
        page = paginator.page(3)
    with django_assert_num_queries(1):
        assert list(page) == expected
