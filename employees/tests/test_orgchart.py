"""The org chart, the department pages and the reporting lines on the detail page."""

import pytest
from django.urls import reverse

from employees.models import Department, Employee

from .factories import DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

ORG_CHART = reverse("employees:org-chart")


def team(department, size, manager=None):
    """A department of ``size`` people: a head reporting to ``manager``, the others in a tree of span 5."""
    head = EmployeeFactory(full_name="Head", department=department, manager=manager)
    people = [head]
    for n in range(1, size):
        people.append(
            EmployeeFactory(full_name=f"Person {n:04}", department=department, manager=people[(n - 1) // 5])
        )
    return people


@pytest.fixture
def engineering():
    return DepartmentFactory(name="Engineering", slug="engineering")


class TestOrgChart:
    def test_shows_a_department_as_nested_lists_with_collapsible_teams(self, reader_client, engineering):
        ceo = EmployeeFactory(full_name="Chief", job_title="CEO")
        people = team(engineering, 7, manager=ceo)
        content = reader_client.get(ORG_CHART, {"department": "engineering"}).content.decode()
        # The head's manager is outside the department: the head is the root of the department's chart.
        assert "Chief" not in content.split('<ul class="org-tree">')[1]
        head = content.index(f'href="{people[0].get_absolute_url()}"')
        assert content.index("<summary>5 direct reports</summary>") > head
        assert content.index(f'href="{people[6].get_absolute_url()}"') > content.index(
            "<summary>1 direct report</summary>"
        )
        assert "org-chart.js" in content

    def test_a_department_shows_the_people_of_the_departments_under_it(self, reader_client, engineering):
        backend = DepartmentFactory(name="Backend", slug="backend", parent=engineering)
        storage = DepartmentFactory(name="Storage", slug="storage", parent=backend)
        DepartmentFactory(name="Sales", slug="sales")
        head = EmployeeFactory(full_name="Head", department=engineering)
        lead = EmployeeFactory(full_name="Lead", department=backend, manager=head)
        EmployeeFactory(full_name="Keeper", department=storage, manager=lead)
        EmployeeFactory(full_name="Seller", department=Department.objects.get(slug="sales"), manager=head)
        response = reader_client.get(ORG_CHART, {"department": "engineering"})
        chart = response.content.decode().split('<ul class="org-tree">')[1]
        assert chart.index("Head") < chart.index("Lead") < chart.index("Keeper")
        assert "Seller" not in chart
        assert "3 people in this department and the departments under it." in response.content.decode()
        # Backend's chart: its people and Storage's, its manager's department above it left out.
        chart = reader_client.get(ORG_CHART, {"department": "backend"}).content.decode()
        assert "Head" not in chart.split('<ul class="org-tree">')[1]
        storage_page = reader_client.get(ORG_CHART, {"department": "storage"})
        assert storage_page.context["people"] == 1
        assert "1 person in this department." in storage_page.content.decode()

    def test_the_company_view_starts_at_the_top(self, reader_client, engineering):
        ceo = EmployeeFactory(full_name="Chief", job_title="Chief Executive Officer")
        team(engineering, 3, manager=ceo)
        content = reader_client.get(ORG_CHART).content.decode()
        chart = content.split('<ul class="org-tree">')[1]
        assert (
            chart.index("Chief Executive Officer")
            < chart.index(">Head</a>")
            < chart.index(">Person 0001</a>")
        )

    def test_the_company_view_is_limited(self, reader_client, settings, monkeypatch):
        from employees.views import OrgChartView

        monkeypatch.setattr(OrgChartView, "company_limit", 3)
        department = DepartmentFactory(slug="big")
        EmployeeFactory.create_batch(5, department=department)
        response = reader_client.get(ORG_CHART)
        assert response.context["people"] == 3
        assert "Only the first 3 people are shown." in response.content.decode()
        # A department is shown whole.
        assert reader_client.get(ORG_CHART, {"department": "big"}).context["people"] == 5

    @pytest.mark.parametrize("size", [5, 200])
    def test_queries_do_not_grow_with_the_tree(
        self, reader_client, engineering, size, django_assert_num_queries
    ):
        team(engineering, size)
        # The session, the user, the departments for the menu and the people: four, whatever the size.
        with django_assert_num_queries(4):
            response = reader_client.get(ORG_CHART, {"department": "engineering"})
        assert response.content.decode().count('class="org-node"') == size

    def test_a_loop_of_managers_still_shows_everyone_once(self, reader_client, engineering):
        first = EmployeeFactory(full_name="First", department=engineering)
        second = EmployeeFactory(full_name="Second", department=engineering, manager=first)
        Employee.objects.filter(pk=first.pk).update(manager=second)  # as bad data imported long ago might
        content = reader_client.get(ORG_CHART, {"department": "engineering"}).content.decode()
        assert content.count(first.get_absolute_url()) == 1
        assert content.count(second.get_absolute_url()) == 1

    def test_names_are_escaped(self, reader_client, engineering):
        EmployeeFactory(full_name="<script>alert(1)</script>", department=engineering)
        content = reader_client.get(ORG_CHART, {"department": "engineering"}).content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "&lt;script&gt;" in content

    def test_unknown_department_is_404(self, reader_client):
        assert reader_client.get(ORG_CHART, {"department": "nowhere"}).status_code == 404

    def test_needs_sign_in(self, client):
        assert client.get(ORG_CHART).status_code == 302


class TestDepartments:
    def test_index_shows_the_tree_with_headcounts_including_sub_departments(self, reader_client, engineering):
        platform = DepartmentFactory(name="Platform", slug="platform", parent=engineering)
        DepartmentFactory(name="Databases", slug="databases", parent=platform)
        EmployeeFactory.create_batch(2, department=engineering)
        EmployeeFactory.create_batch(3, department=platform)
        EmployeeFactory(department=platform.children.get())
        content = reader_client.get(reverse("employees:departments")).content.decode()
        assert 'Engineering</a> <span class="org-title">6 people</span>' in content
        assert 'Platform</a> <span class="org-title">4 people</span>' in content
        assert 'Databases</a> <span class="org-title">1 person</span>' in content

    def test_page_lists_its_people_and_sub_departments(
        self, reader_client, engineering, django_assert_max_num_queries
    ):
        platform = DepartmentFactory(name="Platform", slug="platform", parent=engineering)
        DepartmentFactory(name="Databases", slug="databases", parent=platform)
        EmployeeFactory(full_name="Ana", department=engineering)
        EmployeeFactory.create_batch(30, full_name="Ben", department=platform)
        with django_assert_max_num_queries(6):
            response = reader_client.get(engineering.get_absolute_url())
        content = response.content.decode()
        assert "Ana" in content
        assert "Ben" not in content
        assert 'href="/departments/platform/"' in content
        assert "30 people" in content
        assert (
            reader_client.get(platform.get_absolute_url(), {"page": 2}).context["employees"][4].full_name
            == "Ben"
        )

    def test_page_of_an_unknown_department_is_404(self, reader_client):
        assert reader_client.get(reverse("employees:department", args=["nowhere"])).status_code == 404


class TestDetailPage:
    def test_shows_the_reporting_line_direct_reports_department_and_skills(self, reader_client, engineering):
        from .factories import SkillFactory

        ceo = EmployeeFactory(full_name="Chief")
        head = EmployeeFactory(full_name="Head", manager=ceo)
        ana = EmployeeFactory(
            full_name="Ana", manager=head, department=engineering, skills=[SkillFactory(name="Go", slug="go")]
        )
        EmployeeFactory(full_name="Ben", manager=ana)
        content = reader_client.get(ana.get_absolute_url()).content.decode()
        line = content.split('class="reporting-line')[1]
        assert line.index("Head") < line.index("Chief")
        assert "Ben" in content.split('id="reports-heading"')[1]
        assert 'href="/departments/engineering/"' in content
        assert 'href="/?skill=go"' in content

    @pytest.mark.parametrize("depth", [2, 30])
    def test_queries_do_not_grow_with_the_reporting_line(
        self, reader_client, depth, django_assert_max_num_queries
    ):
        manager = None
        for n in range(depth):
            manager = EmployeeFactory(full_name=f"Level {n}", manager=manager)
        with django_assert_max_num_queries(7):
            response = reader_client.get(manager.get_absolute_url())
        assert len(response.context["reporting_line"]) == depth - 1
