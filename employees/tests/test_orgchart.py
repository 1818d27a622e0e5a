"""The org chart, the department pages and the reporting lines on the detail page."""

import datetime

import pytest
from django.urls import reverse

from employees.models import Department, Employee
from employees.views import OrgChartView

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory

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
        assert response.context["people"] == 3
        # Backend's chart: its people and Storage's, its manager's department above it left out.
        chart = reader_client.get(ORG_CHART, {"department": "backend"}).content.decode()
        assert "Head" not in chart.split('<ul class="org-tree">')[1]
        assert reader_client.get(ORG_CHART, {"department": "storage"}).context["people"] == 1

    def test_the_headcount_says_whether_it_includes_departments_under_it(self, reader_client, engineering):
        backend = DepartmentFactory(name="Backend", slug="backend", parent=engineering)
        head = EmployeeFactory(full_name="Head", department=engineering)
        EmployeeFactory.create_batch(2, department=backend, manager=head)
        content = reader_client.get(ORG_CHART, {"department": "engineering"}).content.decode()
        assert "3 people in this department and the departments under it." in content
        content = reader_client.get(ORG_CHART, {"department": "backend"}).content.decode()
        assert "2 people in this department." in content

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

    def test_the_company_view_is_limited(self, reader_client, monkeypatch):
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
        self, reader_client, engineering, size, django_assert_max_num_queries
    ):
        team(engineering, size)
        # The user, their employee record and their two sets of permissions (for the menu), the departments
        # and the people: six, whatever the size.
        with django_assert_max_num_queries(7):
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


def chain(length, **kwargs):
    """``length`` people, "Level 0" at the top, each reporting to the one before."""
    people, manager = [], None
    for n in range(length):
        manager = EmployeeFactory(full_name=f"Level {n}", manager=manager, **kwargs)
        people.append(manager)
    return people


def more_link(employee, count):
    return f'<a class="org-more" href="{ORG_CHART}?root={employee.pk}">+{count} more<span class="sr-only">'


class TestOrgChartBoxes:
    def test_each_person_is_a_box_with_photo_or_initials_name_and_title(self, reader_client, engineering):
        ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", department=engineering)
        ben = EmployeeFactory(full_name="Ben Okafor", job_title="Designer", department=engineering)
        Employee.objects.filter(pk=ben.pk).update(photo_thumbnail="photos/ben.webp")
        content = reader_client.get(ORG_CHART, {"department": "engineering"}).content.decode()
        assert (
            f'<span class="org-node" id="employee-{ana.pk}"><span class="avatar avatar-md avatar-color-'
            in content
        )
        assert 'aria-hidden="true">AG</span>' in content
        assert '<img class="avatar avatar-md" src="/media/photos/ben.webp" alt=""' in content
        assert f'href="{ana.get_absolute_url()}" dir="auto">Ana García</a>' in content
        assert '<span class="org-title" dir="auto">Designer</span>' in content

    def test_a_persons_chart_starts_at_them_and_shows_three_levels_below(self, reader_client):
        people = chain(6)
        response = reader_client.get(ORG_CHART, {"root": people[1].pk})
        chart = response.content.decode().split('<ul class="org-tree">')[1]
        assert response.context["people"] == 4
        assert chart.index(">Level 1</a>") < chart.index(">Level 2</a>") < chart.index(">Level 4</a>")
        assert ">Level 0</a>" not in chart
        assert ">Level 5</a>" not in chart
        # Where the chart is cut, a link opens the chart of the team below.
        assert more_link(people[4], 1) in chart
        content = response.content.decode()
        assert "Org chart: Level 1" in content
        assert f'href="{ORG_CHART}?root={people[0].pk}#employee-{people[1].pk}"' in content
        assert "Up to Level 0" in content
        assert ">Level 5</a>" in reader_client.get(ORG_CHART, {"root": people[4].pk}).content.decode()

    def test_the_company_view_says_how_many_more_where_it_is_cut(self, reader_client, monkeypatch):
        people = chain(4)
        chart = reader_client.get(ORG_CHART).content.decode()
        assert ">Level 2</a>" in chart
        assert more_link(people[2], 1) in chart
        # Cut by the limit too: the boss shows the reports left out.
        monkeypatch.setattr(OrgChartView, "company_limit", 3)
        boss = EmployeeFactory(full_name="Boss")
        EmployeeFactory.create_batch(5, manager=boss)
        Employee.objects.filter(pk=people[0].pk).update(manager=boss)
        chart = reader_client.get(ORG_CHART).content.decode()
        assert more_link(boss, 4) in chart

    def test_leavers_are_neither_shown_nor_counted(self, reader_client):
        head, _ = chain(2)
        leaver = EmployeeFactory(full_name="Gone", manager=head)
        Employee.objects.filter(pk=leaver.pk).update(left_on=datetime.date(2024, 1, 31))
        EmployeeFactory(full_name="Under gone", manager=leaver)
        chart = reader_client.get(ORG_CHART, {"root": head.pk}).content.decode()
        assert ">Gone</a>" not in chart
        assert "Under gone" not in chart
        assert "org-more" not in chart
        assert reader_client.get(ORG_CHART, {"root": leaver.pk}).status_code == 404

    @pytest.mark.parametrize("root", ["not-an-id", "00000000-0000-0000-0000-000000000000"])
    def test_an_unknown_root_is_404(self, reader_client, root):
        assert reader_client.get(ORG_CHART, {"root": root}).status_code == 404

    # A team of 150 in a tree of span 5 is four levels deep: all of it shows.
    @pytest.mark.parametrize("size", [5, 150])
    def test_a_persons_chart_queries_do_not_grow_with_the_team(
        self, reader_client, engineering, size, django_assert_max_num_queries
    ):
        head = team(engineering, size)[0]
        # Four for the user and the menu, the departments, the person and their manager, the chart.
        with django_assert_max_num_queries(7):
            response = reader_client.get(ORG_CHART, {"root": head.pk})
        assert response.content.decode().count('class="org-node"') == size


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
        # Four for the user and the menu, the departments, the count, the page of people and their badges.
        with django_assert_max_num_queries(9):
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
        # Four for the user and the menu; the employee, their badges, skills, reporting line and reports.
        with django_assert_max_num_queries(10):
            response = reader_client.get(manager.get_absolute_url())
        assert len(response.context["reporting_line"]) == depth - 1

    def test_links_to_the_org_chart_rooted_at_the_person(self, reader_client, editor_client):
        ana = EmployeeFactory(full_name="Ana")
        link = f'href="{ORG_CHART}?root={ana.pk}#employee-{ana.pk}"'
        content = reader_client.get(ana.get_absolute_url()).content.decode()
        assert link in content
        assert "Show in org chart" in content
        Employee.objects.filter(pk=ana.pk).update(left_on=datetime.date(2024, 1, 31))
        assert link not in editor_client.get(ana.get_absolute_url()).content.decode()
