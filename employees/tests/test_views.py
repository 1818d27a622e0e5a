import base64
import errno
import re
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localdate, localtime
from PIL import Image

from employees.forms import EmployeeForm
from employees.models import Employee, Visibility
from employees.views import last_months

from .factories import (
    DepartmentFactory,
    EditorFactory,
    EmployeeFactory,
    LocationFactory,
    SkillFactory,
    UserFactory,
    image_bytes,
    photo_upload,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

LIST_URL = reverse("employees:list")
CREATE_URL = reverse("employees:create")
# A list page: the session, the user, their permissions (two) and employee record for the navigation; the
# badge, skill or department filtered by; the ids of the people found, their rows for the menus and the names
# of their departments, skills and badges; the page's rows and their badges.
LIST_QUERIES = 11
VALID = {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid"}


def login_redirect(url):
    return f"{reverse('login')}?next={url}"


@pytest.fixture
def employee(coffee):
    return EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid", badges=[coffee])


class TestAnonymous:
    @pytest.mark.parametrize("name", ["list", "create"])
    def test_pages_redirect_to_login(self, client, name):
        url = reverse(f"employees:{name}")
        assert Client().get(url).url == login_redirect(url)

    @pytest.mark.parametrize("name", ["detail", "update", "delete"])
    def test_employee_pages_redirect_to_login(self, client, employee, name):
        url = reverse(f"employees:{name}", args=[employee.pk])
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == login_redirect(url)

    def test_post_delete_changes_nothing(self, client, employee):
        client.post(reverse("employees:delete", args=[employee.pk]))
        assert Employee.objects.filter(pk=employee.pk).exists()


class TestList:
    def test_shows_name_title_location_and_labelled_badges(self, reader_client, employee):
        response = reader_client.get(LIST_URL)
        assert response.status_code == 200
        content = response.content.decode()
        for text in [
            "Ana García",
            "Engineer",
            "Madrid",
            'class="fa fa-coffee"',
            '<span class="sr-only">Coffee Snob</span>',
        ]:
            assert text in content
        assert employee.get_absolute_url() in content

    def test_reader_sees_no_add_button(self, reader_client, employee):
        assert CREATE_URL not in reader_client.get(LIST_URL).content.decode()

    def test_editor_sees_add_button(self, editor_client, employee):
        assert CREATE_URL in editor_client.get(LIST_URL).content.decode()

    def test_search_by_name_title_location_and_badge(self, reader_client, employee, gamer):
        other = EmployeeFactory(full_name="Ben Ode", job_title="Designer", location="London", badges=[gamer])
        for query in ["garcía", "ENGINEER", "madrid", "coffee"]:
            employees = list(reader_client.get(LIST_URL, {"q": query}).context["employees"])
            assert employees == [employee], query
        assert list(reader_client.get(LIST_URL, {"q": "gamer"}).context["employees"]) == [other]

    def test_search_by_department_and_skill(self, reader_client, employee):
        platform = DepartmentFactory(name="Platform", slug="platform")
        ben = EmployeeFactory(full_name="Ben Ode", department=platform, skills=[SkillFactory(name="Welsh")])
        for query in ["platform", "welsh"]:
            assert list(reader_client.get(LIST_URL, {"q": query}).context["employees"]) == [ben], query

    def test_a_search_lists_name_matches_first_then_the_others_by_name(self, reader_client):
        in_zaragoza = EmployeeFactory(full_name="Adam Smith", location="Zaragoza")
        zara_team = EmployeeFactory(full_name="Bea Ode", job_title="Zara buyer")
        zara = EmployeeFactory(full_name="Zara Quinn")
        response = reader_client.get(LIST_URL, {"q": "zara"})
        assert list(response.context["employees"]) == [zara, in_zaragoza, zara_team]

    def test_a_misspelt_name_is_found_on_postgresql(self, reader_client):
        john = EmployeeFactory(full_name="John Smith")
        EmployeeFactory(full_name="Ben Ode")
        response = reader_client.get(LIST_URL, {"q": "jonh smith"})
        assert list(response.context["employees"]) == ([john] if connection.vendor == "postgresql" else [])

    def test_location_and_badge_filters_combine_with_search(self, reader_client, coffee, gamer):
        match = EmployeeFactory(full_name="Ana One", location="Madrid", badges=[coffee])
        EmployeeFactory(full_name="Ana Two", location="Madrid", badges=[gamer])
        EmployeeFactory(full_name="Ana Three", location="Paris", badges=[coffee])
        EmployeeFactory(full_name="Ben", location="Madrid", badges=[coffee])
        response = reader_client.get(LIST_URL, {"q": "ana", "location": "Madrid", "badge": "coffee-snob"})
        assert list(response.context["employees"]) == [match]

    def test_title_filter(self, reader_client):
        engineer = EmployeeFactory(job_title="Engineer")
        EmployeeFactory(job_title="Designer")
        assert list(reader_client.get(LIST_URL, {"title": "Engineer"}).context["employees"]) == [engineer]

    def test_unknown_filter_value_shows_a_message_and_no_rows(self, reader_client, employee):
        response = reader_client.get(LIST_URL, {"badge": "no-such-badge"})
        assert response.status_code == 200
        assert list(response.context["employees"]) == []
        assert "These filters could not be applied" in response.content.decode()

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("name", ["Ana", "Ben", "Cleo"]),
            ("-name", ["Cleo", "Ben", "Ana"]),
            ("title", ["Ben", "Cleo", "Ana"]),
            ("-location", ["Ana", "Cleo", "Ben"]),
        ],
    )
    def test_sortable_columns(self, reader_client, sort, expected):
        EmployeeFactory(full_name="Ana", job_title="Zookeeper", location="Zurich")
        EmployeeFactory(full_name="Ben", job_title="Accountant", location="Athens")
        EmployeeFactory(full_name="Cleo", job_title="Baker", location="Madrid")
        response = reader_client.get(LIST_URL, {"sort": sort})
        assert [e.full_name for e in response.context["employees"]] == expected

    def test_a_sorted_search_keeps_the_chosen_order(self, reader_client):
        EmployeeFactory(full_name="Ana Zed", job_title="Baker")
        EmployeeFactory(full_name="Ben Ode", location="Anaheim", job_title="Zookeeper")
        EmployeeFactory(full_name="Ana Abe", job_title="Accountant")
        response = reader_client.get(LIST_URL, {"q": "ana", "sort": "-title"})
        assert [e.full_name for e in response.context["employees"]] == ["Ben Ode", "Ana Zed", "Ana Abe"]

    def test_paginates_25_a_page_keeping_the_query(self, reader_client):
        EmployeeFactory.create_batch(30, location="Madrid")
        EmployeeFactory(location="Paris")
        response = reader_client.get(LIST_URL, {"location": "Madrid"})
        assert len(response.context["employees"]) == 25
        assert "?location=Madrid&amp;page=2" in response.content.decode()
        second = reader_client.get(LIST_URL, {"location": "Madrid", "page": 2})
        assert len(second.context["employees"]) == 5

    def test_the_pages_of_a_search_show_every_match_once_name_matches_first(self, reader_client):
        names = [EmployeeFactory(full_name=f"Ana {n:02}").pk for n in range(20)]
        others = [EmployeeFactory(full_name=f"Ben {n:02}", location="Anaheim").pk for n in range(20)]
        pages = [reader_client.get(LIST_URL, {"q": "ana", "page": page}) for page in (1, 2)]
        shown = [e.pk for page in pages for e in page.context["employees"]]
        assert shown == names + others

    @pytest.mark.parametrize("page", ["0", "-1", "abc", "3", str(10**20)])
    def test_bad_page_numbers_give_404(self, reader_client, page):
        EmployeeFactory.create_batch(3)
        assert reader_client.get(LIST_URL, {"page": page}).status_code == 404

    def test_last_page_keyword(self, reader_client):
        EmployeeFactory.create_batch(26)
        assert len(reader_client.get(LIST_URL, {"page": "last"}).context["employees"]) == 1

    def test_empty_directory_says_what_to_do(self, editor_client):
        content = editor_client.get(LIST_URL).content.decode()
        assert "The directory is empty." in content
        assert "Add the first employee" in content

    def test_no_match_says_how_to_widen_the_search(self, reader_client, employee):
        content = reader_client.get(LIST_URL, {"q": "nobody-by-this-name"}).content.decode()
        assert "No employees match these filters." in content

    def test_user_data_is_escaped(self, reader_client):
        EmployeeFactory(full_name='<script>alert("x")</script>', location='" onmouseover="alert(1)')
        content = reader_client.get(LIST_URL).content.decode()
        assert '<script>alert("x")</script>' not in content
        assert "&lt;script&gt;" in content
        assert '" onmouseover="alert(1)' not in content

    def test_search_query_is_escaped_when_shown_back(self, reader_client):
        content = reader_client.get(LIST_URL, {"q": '"><script>alert(1)</script>'}).content.decode()
        assert "<script>alert(1)</script>" not in content

    @pytest.mark.parametrize(
        "query", ["a & b | !c:*", "ana:*", "'ana'", '"ana"', "ana <-> garcía", "100%", "__", "\\", "(ana"]
    )
    def test_a_search_with_operators_or_wildcards_still_answers(self, reader_client, employee, query):
        response = reader_client.get(LIST_URL, {"q": query})
        assert response.status_code == 200
        assert len(response.context["employees"]) <= 1

    def test_highlights_the_matched_words(self, reader_client, employee):
        content = reader_client.get(LIST_URL, {"q": "garcia madr"}).content.decode()
        assert "Ana <mark>García</mark>" in content
        assert "<mark>Madr</mark>id" in content

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("a", "Ensure this value has at least 2 characters (it has 1)."),
            ("a" * 1000, "Ensure this value has at most 200 characters (it has 1000)."),
            ("ana\x00", "Null characters are not allowed."),
        ],
    )
    def test_bad_queries_get_a_message_and_no_rows(self, reader_client, employee, query, message):
        response = reader_client.get(LIST_URL, {"q": query})
        assert response.status_code == 200
        assert list(response.context["employees"]) == []
        assert message in response.content.decode()

    def test_an_edit_shows_in_the_list_and_its_search_at_once(self, editor_client, employee):
        assert "Ana García" in editor_client.get(LIST_URL).content.decode()
        url = reverse("employees:update", args=[employee.pk])
        editor_client.post(url, {**VALID, "full_name": "Beatriz Ode", "version": employee.version})
        content = editor_client.get(LIST_URL).content.decode()
        assert "Beatriz Ode" in content
        assert "Ana García" not in content
        assert list(editor_client.get(LIST_URL, {"q": "beatriz"}).context["employees"]) == [employee]
        assert list(editor_client.get(LIST_URL, {"q": "garcia"}).context["employees"]) == []

    @pytest.mark.parametrize("count", [5, 60])
    @pytest.mark.parametrize(
        "params", [{}, {"q": "ana"}, {"q": "ana", "sort": "-name"}, {"badge": "gamer", "page": "last"}]
    )
    def test_query_count_does_not_grow_with_the_directory(
        self, reader_client, coffee, gamer, count, params, django_assert_max_num_queries
    ):
        EmployeeFactory.create_batch(count, full_name="Ana", badges=[coffee, gamer])
        with django_assert_max_num_queries(LIST_QUERIES):
            response = reader_client.get(LIST_URL, params)
        assert len(response.context["employees"]) == (min(count, 25) if "page" not in params else count % 25)
        assert response.context["paginator"].count == count

    def test_shows_counts_per_location_title_department_skill_and_badge(self, reader_client, coffee):
        platform = DepartmentFactory(name="Platform", slug="platform")
        python = SkillFactory(name="Python", slug="python")
        EmployeeFactory(
            full_name="Ana",
            job_title="Engineer",
            location="Madrid",
            department=platform,
            badges=[coffee],
            skills=[python],
        )
        EmployeeFactory(full_name="Ben", job_title="Engineer", location="Madrid", department=platform)
        EmployeeFactory(full_name="Cleo", job_title="Designer", location="Paris")
        content = reader_client.get(LIST_URL).content.decode()
        for option in [
            '<option value="Madrid">Madrid (2)</option>',
            '<option value="Paris">Paris (1)</option>',
            '<option value="Engineer">Engineer (2)</option>',
            '<option value="platform">Platform (2)</option>',
            '<option value="python">Python (1)</option>',
            '<option value="coffee-snob">Coffee Snob (1)</option>',
        ]:
            assert option in content
        assert "3 employees" in content

    def test_counts_follow_the_search_and_filters(self, reader_client, coffee):
        EmployeeFactory(full_name="Ana", job_title="Engineer", location="Madrid", badges=[coffee])
        EmployeeFactory(full_name="Ana Two", job_title="Designer", location="Paris")
        EmployeeFactory(full_name="Ben", job_title="Engineer", location="Madrid")
        content = reader_client.get(LIST_URL, {"q": "ana"}).content.decode()
        assert '<option value="Madrid">Madrid (1)</option>' in content
        assert '<option value="Engineer">Engineer (1)</option>' in content
        assert "2 employees" in content
        content = reader_client.get(LIST_URL, {"location": "Paris"}).content.decode()
        assert '<option value="Paris" selected>Paris (1)</option>' in content
        assert '<option value="Designer">Designer (1)</option>' in content
        assert "Engineer" not in content
        assert "1 employee" in content

    def test_a_badge_filter_still_counts_the_other_badges_of_its_people(self, reader_client, coffee, gamer):
        EmployeeFactory(full_name="Ana", badges=[coffee, gamer])
        EmployeeFactory(full_name="Ben", badges=[gamer])
        content = reader_client.get(LIST_URL, {"badge": "gamer"}).content.decode()
        assert '<option value="gamer" selected>Gamer (2)</option>' in content
        assert '<option value="coffee-snob">Coffee Snob (1)</option>' in content

    def test_a_search_matching_more_than_the_limit_says_so(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(5, full_name="Ana <i>García</i>", location="Madrid")
        response = reader_client.get(LIST_URL, {"q": "ana <i>"})
        content = response.content.decode()
        assert len(response.context["employees"]) == 3
        assert "3+ employees" in content
        assert (
            "More than 3 people match “ana &lt;i&gt;”: the first 3 are listed. Add a word or a filter to "
            "narrow the search." in content
        )
        assert "“ana <i>”" not in content
        # Too many to count: the menus offer every location, uncounted.
        assert '<option value="Madrid">Madrid</option>' in content
        assert "These lists are counted once a search or a filter narrows the list to 3 people or fewer." in (
            content
        )

    def test_a_directory_larger_than_the_limit_lists_the_first_and_says_so(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        for name in ["Ana", "Ben", "Cleo", "Dan", "Eve"]:
            EmployeeFactory(full_name=name)
        response = reader_client.get(LIST_URL, {"sort": "-name"})
        content = response.content.decode()
        assert [e.full_name for e in response.context["employees"]] == ["Eve", "Dan", "Cleo"]
        assert "3+ employees" in content
        assert "More than 3 people match: the first 3 in this order are listed." in content

    def test_a_filtered_search_counts_only_its_own_matches(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(5, full_name="Ana", location="Madrid")
        paris = EmployeeFactory(full_name="Ana", location="Paris")
        response = reader_client.get(LIST_URL, {"q": "ana", "location": "Paris"})
        content = response.content.decode()
        assert list(response.context["employees"]) == [paris]
        assert "1 employee" in content
        assert "More than" not in content
        assert '<option value="Paris" selected>Paris (1)</option>' in content

    def test_a_search_within_the_limit_shows_the_exact_count(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(3, full_name="Ana", location="Madrid")
        content = reader_client.get(LIST_URL, {"q": "ana"}).content.decode()
        assert "3 employees" in content
        assert "More than" not in content
        assert '<option value="Madrid">Madrid (3)</option>' in content

    def test_a_capped_search_pages_up_to_the_limit_and_no_further(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 30
        EmployeeFactory.create_batch(40, full_name="Ana")
        first = reader_client.get(LIST_URL, {"q": "ana"})
        assert first.context["paginator"].num_pages == 2
        last = reader_client.get(LIST_URL, {"q": "ana", "page": "last"})
        assert last.context["page_obj"].number == 2
        assert len(last.context["employees"]) == 5
        # The pages show the same 30 people, each once.
        shown = {e.pk for e in first.context["employees"]} | {e.pk for e in last.context["employees"]}
        assert len(shown) == 30
        assert reader_client.get(LIST_URL, {"q": "ana", "page": 3}).status_code == 404

    @pytest.mark.parametrize("count", [11, 60])
    def test_a_search_beyond_the_limit_costs_as_many_queries_however_many_match(
        self, reader_client, coffee, count, settings, django_assert_max_num_queries
    ):
        settings.SEARCH_MATCH_LIMIT = 10
        EmployeeFactory.create_batch(count, full_name="Ana", badges=[coffee])
        # The menus list every location and catalogue instead of counting the rows found.
        with django_assert_max_num_queries(LIST_QUERIES):
            response = reader_client.get(LIST_URL, {"q": "ana"})
        assert response.context["paginator"].count == 10


class TestListSearchFiltersAndContacts:
    """One search box (the top bar's), one Add button, filters as chips, and one click to reach a person."""

    @staticmethod
    def top_bar(content):
        return content[content.index("<nav") : content.index("</nav>")]

    def test_one_search_box_and_one_add_button(self, editor_client, employee):
        content = editor_client.get(LIST_URL).content.decode()
        assert content.count('name="q"') == 1
        assert 'id="nav-search" name="q"' in content
        assert content.count(f'href="{CREATE_URL}"') == 1
        assert CREATE_URL not in self.top_bar(content)

    def test_a_search_from_the_top_bar_keeps_the_lists_filters_and_order(self, reader_client, employee):
        content = reader_client.get(LIST_URL, {"q": "ana", "location": "Madrid", "sort": "-name"}).content
        top_bar = self.top_bar(content.decode())
        assert '<input type="hidden" name="location" value="Madrid">' in top_bar
        assert '<input type="hidden" name="sort" value="-name">' in top_bar
        assert 'type="hidden" name="q"' not in top_bar

    def test_the_filters_keep_the_search_the_manager_and_the_order(self, reader_client, employee):
        manager = EmployeeFactory()
        params = {"q": "ana", "manager": str(manager.pk), "sort": "-name"}
        form = (
            reader_client.get(LIST_URL, params)
            .content.decode()
            .split('class="card card-body mb-3 filter-form"')[1]
        )
        for name, value in params.items():
            assert f'<input type="hidden" name="{name}" value="{value}">' in form

    @pytest.mark.parametrize(
        ("params", "target"),
        [
            ({"q": "", "location": "Madrid", "title": "", "badge": ""}, f"{LIST_URL}?location=Madrid"),
            ({"q": "", "location": "", "sort": "name"}, f"{LIST_URL}?sort=name"),
            ({"q": "", "location": ""}, LIST_URL),
        ],
    )
    def test_empty_parameters_redirect_to_the_short_address(self, reader_client, params, target):
        response = reader_client.get(LIST_URL, params)
        assert response.status_code == 302
        assert response.url == target

    def test_each_applied_filter_is_a_chip_that_removes_it(self, editor_client, employee):
        department = DepartmentFactory(name="Engineering", slug="engineering")
        manager = EmployeeFactory(full_name="Mia Manager")
        params = {
            "q": "ana",
            "location": "Madrid",
            "badge": "coffee-snob",
            "department": "engineering",
            "manager": str(manager.pk),
            "status": "left",
            "sort": "name",
            "page": "1",
        }
        content = editor_client.get(LIST_URL, params).content.decode()
        chips = content[
            content.index('class="list-inline filter-chips') : content.index(
                "</ul>", content.index("filter-chips")
            )
        ]
        assert department.name in chips
        for label, value, without in [
            ("Search", "ana", "q"),
            ("Location", "Madrid", "location"),
            ("Badge", "Coffee Snob", "badge"),
            ("Department", "Engineering", "department"),
            ("Manager", "Mia Manager", "manager"),
            ("Status", "Left the company", "status"),
        ]:
            rest = "&amp;".join(
                f"{name}={value}" for name, value in params.items() if name not in (without, "page")
            )
            assert f'<a class="filter-chip" href="{LIST_URL}?{rest}">' in chips, label
            assert f'{label}: <span dir="auto">{value}</span>' in chips
        assert f'<a href="{LIST_URL}?sort=name">Clear all</a>' in chips

    def test_no_chips_without_filters(self, reader_client, employee):
        content = reader_client.get(LIST_URL, {"sort": "name"}).content.decode()
        assert "filter-chip" not in content
        assert "Clear all" not in content

    def test_rows_link_work_email_phone_and_manager_and_name_the_department(self, reader_client):
        boss = EmployeeFactory(full_name="Zoe Boss")
        EmployeeFactory(
            full_name="Ana García",
            department=DepartmentFactory(name="Engineering"),
            work_email="ana@example.com",
            work_phone="+34911234567",
            manager=boss,
        )
        EmployeeFactory(full_name="Ben Okafor")
        content = reader_client.get(LIST_URL).content.decode()
        for header in ["Department", "Manager", "Email", "Phone"]:
            assert f'<th scope="col">{header}</th>' in content
        assert '<td dir="auto">Engineering</td>' in content
        assert f'<td dir="auto"><a href="{boss.get_absolute_url()}">Zoe Boss</a></td>' in content
        assert '<a class="contact-link" href="mailto:ana@example.com">ana@example.com</a>' in content
        assert '<a class="contact-link" href="tel:+34911234567">+34 911 23 45 67</a>' in content
        assert content.count("mailto:") == 1

    @pytest.mark.parametrize("count", [5, 60])
    def test_departments_and_contacts_cost_no_query_per_row(
        self, reader_client, count, django_assert_max_num_queries
    ):
        departments = DepartmentFactory.create_batch(3)
        boss = EmployeeFactory(work_email="boss@example.com")
        for n in range(count):
            EmployeeFactory(
                department=departments[n % 3],
                work_email=f"person{n}@example.com",
                work_phone="+34911234567",
                manager=boss,
            )
        with django_assert_max_num_queries(LIST_QUERIES):
            response = reader_client.get(LIST_URL)
        assert response.content.decode().count("mailto:") == min(count + 1, 25)


class TestListLayout:
    LAYOUT_URL = reverse("employees:list-layout")

    def test_cards_chosen_stay_chosen_in_the_session_until_the_table_is(self, reader_client):
        EmployeeFactory(full_name="Ana García", job_title="Engineer", work_email="ana@example.com")
        assert 'class="table table-hover employee-table"' in reader_client.get(LIST_URL).content.decode()
        response = reader_client.post(self.LAYOUT_URL, {"layout": "cards", "next": f"{LIST_URL}?q=ana"})
        assert response.status_code == 302
        assert response["Location"] == f"{LIST_URL}?q=ana"
        for url in [LIST_URL, f"{LIST_URL}?q=ana"]:
            content = reader_client.get(url).content.decode()
            assert '<ul class="list-unstyled row employee-cards">' in content
            assert "employee-table" not in content
            assert '<a class="contact-link" href="mailto:ana@example.com">ana@example.com</a>' in content
            assert 'value="cards" aria-pressed="true"' in content
        reader_client.post(self.LAYOUT_URL, {"layout": "table", "next": LIST_URL})
        assert "employee-cards" not in reader_client.get(LIST_URL).content.decode()

    @pytest.mark.parametrize("next_url", ["https://evil.example.com/", "//evil.example.com/", ""])
    def test_it_goes_back_only_to_this_site(self, reader_client, next_url):
        response = reader_client.post(self.LAYOUT_URL, {"layout": "cards", "next": next_url})
        assert response["Location"] == LIST_URL

    def test_an_unknown_layout_changes_nothing(self, reader_client):
        reader_client.post(self.LAYOUT_URL, {"layout": "<script>", "next": LIST_URL})
        assert "list_layout" not in reader_client.session

    def test_only_a_signed_in_post_chooses(self, reader_client):
        anonymous = Client().post(self.LAYOUT_URL, {"layout": "cards"})
        assert anonymous["Location"] == login_redirect(self.LAYOUT_URL)
        assert reader_client.get(self.LAYOUT_URL).status_code == 405


class TestDetail:
    def test_shows_the_employee(self, reader_client, employee):
        response = reader_client.get(employee.get_absolute_url())
        assert response.status_code == 200
        assert "Ana García" in response.content.decode()
        assert "Coffee Snob" in response.content.decode()

    def test_reader_sees_no_edit_or_delete(self, reader_client, employee):
        content = reader_client.get(employee.get_absolute_url()).content.decode()
        assert reverse("employees:update", args=[employee.pk]) not in content
        assert reverse("employees:delete", args=[employee.pk]) not in content

    def test_editor_sees_edit_and_delete(self, editor_client, employee):
        content = editor_client.get(employee.get_absolute_url()).content.decode()
        assert reverse("employees:update", args=[employee.pk]) in content
        assert reverse("employees:delete", args=[employee.pk]) in content

    def test_unknown_id_is_404(self, reader_client):
        response = reader_client.get(reverse("employees:detail", args=[uuid.uuid4()]))
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()

    @pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "%00", "' OR 1=1 --"])
    def test_malformed_id_is_404(self, reader_client, bad_id):
        assert reader_client.get(f"/employees/{bad_id}/").status_code == 404


class TestContactDetails:
    @pytest.fixture
    def ana(self):
        return EmployeeFactory(
            full_name="Ana García",
            pronouns="she/her",
            work_email="ana@example.com",
            work_phone="+34911234567",
            mobile="+34612345678",
            mobile_visibility="everyone",
            office="Tower B, desk 12",
            time_zone="Asia/Kolkata",
        )

    def test_detail_links_email_and_phones_and_shows_office_and_pronouns(self, reader_client, ana):
        content = reader_client.get(ana.get_absolute_url()).content.decode()
        assert '<a class="contact-link" href="mailto:ana@example.com">ana@example.com</a>' in content
        assert '<a class="contact-link" href="tel:+34911234567">+34 911 23 45 67</a>' in content
        assert '<a class="contact-link" href="tel:+34612345678">+34 612 34 56 78</a>' in content
        assert "Tower B, desk 12" in content
        assert re.search(r'<span dir="auto">Ana García</span> <small[^>]*>\(she/her\)</small></h1>', content)

    def test_detail_shows_the_local_time_in_the_persons_time_zone(self, reader_client, ana):
        content = reader_client.get(ana.get_absolute_url()).content.decode()
        assert "Asia/Kolkata" in content
        assert re.search(r'local time <time datetime="[0-9-]+T[0-9:.]+\+05:30">\d\d:\d\d</time>', content)

    def test_detail_leaves_out_what_is_not_set(self, reader_client):
        content = reader_client.get(EmployeeFactory().get_absolute_url()).content.decode()
        for label in ["Work email", "Work phone", "Mobile", "Office or desk", "Time zone", "Start date"]:
            assert f">{label}</dt>" not in content

    def test_editor_saves_contact_details_from_the_edit_form(self, editor_client, ana):
        data = {
            **VALID,
            "work_email": "ana.garcia@EXAMPLE.com",
            "work_phone": "+34 911 00 00 00",
            "mobile": "",
            "mobile_visibility": "editors",
            "office": "Room 4",
            "time_zone": "Europe/Madrid",
            "pronouns": "she/her",
            "start_date": "2021-09-01",
            "start_date_visibility": "everyone",
            "version": ana.version,
        }
        response = editor_client.post(reverse("employees:update", args=[ana.pk]), data)
        assert response.status_code == 302
        ana.refresh_from_db()
        assert (ana.work_email, str(ana.work_phone), ana.mobile) == (
            "ana.garcia@example.com",
            "+34911000000",
            "",
        )
        assert (ana.time_zone, str(ana.start_date), ana.start_date_visibility) == (
            "Europe/Madrid",
            "2021-09-01",
            "everyone",
        )


class TestCreate:
    def test_reader_is_forbidden_and_nothing_is_created(self, reader_client):
        assert reader_client.get(CREATE_URL).status_code == 403
        assert reader_client.post(CREATE_URL, VALID).status_code == 403
        assert not Employee.objects.exists()

    def test_editor_creates_and_is_redirected_with_a_message(self, editor_client, coffee):
        response = editor_client.post(CREATE_URL, {**VALID, "badges": [coffee.pk]}, follow=True)
        employee = Employee.objects.get()
        assert response.redirect_chain == [(employee.get_absolute_url(), 302)]
        assert "Ana García was added." in response.content.decode()
        assert list(employee.badges.all()) == [coffee]

    def test_form_shows_badge_checkboxes_with_icons(self, editor_client, coffee):
        content = editor_client.get(CREATE_URL).content.decode()
        assert 'type="checkbox"' in content
        assert 'class="fa fa-coffee"' in content

    def test_invalid_post_shows_errors_next_to_fields_and_in_a_summary(self, editor_client):
        response = editor_client.post(CREATE_URL, {**VALID, "full_name": "   "})
        assert response.status_code == 200
        content = response.content.decode()
        assert 'id="error-summary"' in content
        assert 'href="#id_full_name"' in content
        assert "invalid-feedback" in content
        assert not Employee.objects.exists()

    def test_post_without_csrf_token_is_refused(self, editor):
        client = Client(enforce_csrf_checks=True)
        client.force_login(editor)
        assert client.post(CREATE_URL, VALID).status_code == 403
        assert not Employee.objects.exists()


class TestUpdate:
    def test_reader_is_forbidden(self, reader_client, employee):
        url = reverse("employees:update", args=[employee.pk])
        assert reader_client.post(url, {**VALID, "full_name": "Changed"}).status_code == 403
        employee.refresh_from_db()
        assert employee.full_name == "Ana García"

    def test_editor_updates(self, editor_client, employee):
        url = reverse("employees:update", args=[employee.pk])
        assert editor_client.get(url).status_code == 200
        response = editor_client.post(
            url, {**VALID, "job_title": "Staff Engineer", "version": employee.version}, follow=True
        )
        employee.refresh_from_db()
        assert employee.job_title == "Staff Engineer"
        assert list(employee.badges.all()) == []
        assert "Ana García was updated." in response.content.decode()

    def test_unknown_id_is_404(self, editor_client):
        assert editor_client.get(reverse("employees:update", args=[uuid.uuid4()])).status_code == 404

    def test_the_form_is_in_sections_of_two_columns_with_every_field(self, editor_client, employee):
        content = editor_client.get(reverse("employees:update", args=[employee.pk])).content.decode()
        legends = re.findall(r"<legend[^>]*>\s*(.*?)\s*</legend>", content)
        assert legends == ["Work", "Contact", "Profile"]
        work, contact, profile = content.split("<legend")[1:]
        assert 'name="full_name"' in work
        assert 'name="start_date_visibility"' in work
        assert 'name="mobile"' in contact
        assert 'name="time_zone"' in contact
        assert 'name="photo"' in profile
        assert 'name="badges"' in profile
        assert 'type="hidden" name="version"' in content
        assert content.count('class="col-lg-6"') == 17


class TestDelete:
    def test_get_asks_for_confirmation_and_changes_nothing(self, editor_client, employee):
        response = editor_client.get(reverse("employees:delete", args=[employee.pk]))
        assert response.status_code == 200
        assert "Delete Ana García?" in response.content.decode()
        assert Employee.objects.filter(pk=employee.pk).exists()

    def test_post_deletes_with_a_message(self, editor_client, employee):
        response = editor_client.post(reverse("employees:delete", args=[employee.pk]), follow=True)
        assert response.redirect_chain == [(LIST_URL, 302)]
        assert "Ana García was deleted." in response.content.decode()
        assert not Employee.objects.exists()

    def test_reader_is_forbidden(self, reader_client, employee):
        assert reader_client.post(reverse("employees:delete", args=[employee.pk])).status_code == 403
        assert Employee.objects.filter(pk=employee.pk).exists()

    def test_user_with_only_delete_permission_can_delete(self, client, employee):
        user = UserFactory()
        user.user_permissions.add(Permission.objects.get(codename="delete_employee"))
        client.force_login(user)
        client.post(reverse("employees:delete", args=[employee.pk]))
        assert not Employee.objects.exists()

    def test_post_without_csrf_token_is_refused(self, editor, employee):
        client = Client(enforce_csrf_checks=True)
        client.force_login(editor)
        assert client.post(reverse("employees:delete", args=[employee.pk])).status_code == 403
        assert Employee.objects.filter(pk=employee.pk).exists()

    def test_deleting_a_manager_moves_their_reports_to_the_manager_above(self, editor_client):
        boss = EmployeeFactory(full_name="Bea Boss")
        manager = EmployeeFactory(full_name="Max Manager", manager=boss)
        reports = [EmployeeFactory(full_name=name, manager=manager) for name in ["Ana Report", "Ben Report"]]
        url = reverse("employees:delete", args=[manager.pk])
        content = editor_client.get(url).content.decode()
        assert "2 people report to <bdi>Max Manager</bdi>:" in content
        assert all(report.get_absolute_url() in content for report in reports)
        assert "They will report to <bdi>Bea Boss</bdi> instead." in content
        assert editor_client.post(url).status_code == 302
        assert not Employee.objects.filter(pk=manager.pk).exists()
        assert list(Employee.objects.filter(manager=boss)) == reports
        history = editor_client.get(reports[0].get_absolute_url()).content.decode()
        assert "Changed by editor" in history
        assert re.search(r"Manager: “[^”]*” → “Bea Boss”", history)

    def test_deleting_someone_at_the_top_leaves_their_reports_reporting_to_nobody(self, editor_client):
        top = EmployeeFactory(full_name="Bea Boss")
        report = EmployeeFactory(full_name="Ana Report", manager=top)
        url = reverse("employees:delete", args=[top.pk])
        content = editor_client.get(url).content.decode()
        assert "One person reports to <bdi>Bea Boss</bdi>:" in content
        assert "They will report to nobody instead." in content
        editor_client.post(url)
        report.refresh_from_db()
        assert report.manager is None

    def test_deleting_someone_without_reports_mentions_none(self, editor_client, employee):
        content = editor_client.get(reverse("employees:delete", args=[employee.pk])).content.decode()
        assert "report to" not in content


class TestAuth:
    def test_login_page_renders_a_form(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert 'name="username"' in response.content.decode()

    def test_login_then_logout(self, client, reader):
        response = client.post(
            reverse("login"), {"username": "reader", "password": "correct horse battery staple"}
        )
        assert response.url == LIST_URL
        assert client.get(LIST_URL).status_code == 200
        client.post(reverse("logout"))
        assert client.get(LIST_URL).status_code == 302

    def test_wrong_password_shows_an_error(self, client, reader):
        response = client.post(reverse("login"), {"username": "reader", "password": "wrong"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    def test_logout_requires_post(self, reader_client):
        assert reader_client.get(reverse("logout")).status_code == 405

    def test_staff_see_the_admin_link(self, admin_client, reader_client):
        assert reverse("admin:index") in admin_client.get(LIST_URL).content.decode()
        assert reverse("admin:index") not in reader_client.get(LIST_URL).content.decode()

    def test_the_lockout_page_leads_back_to_the_sign_in_page(self, client, reader):
        for _ in range(5):
            response = client.post(reverse("login"), {"username": "reader", "password": "wrong"})
        assert response.status_code == 429
        assert f'href="{reverse("login")}"' in response.content.decode()

    def test_the_api_docs_page_leads_back_to_the_directory_with_a_dark_scheme(self, reader_client):
        content = reader_client.get(reverse("api-docs")).content.decode()
        assert f'<a href="{LIST_URL}">' in content
        assert "/static/css/api-docs.css" in content
        assert "<style>" not in content


class TestNavigation:
    """Each user sees their own navigation, as their account is now."""

    MY_PROFILE = reverse("employees:my-profile")
    ADMIN = reverse("admin:index")

    @staticmethod
    def signed_in(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    @staticmethod
    def user_menu(client, path=LIST_URL):
        content = client.get(path).content.decode()
        return content[content.index('<ul class="navbar-nav">') : content.index("</nav>")]

    def test_each_user_sees_their_own_name_and_links(self, reader, editor):
        editor.is_staff = True
        editor.save()
        EmployeeFactory(user=editor)
        reader_client, editor_client = self.signed_in(reader), self.signed_in(editor)
        for _ in range(2):
            reader_menu, editor_menu = self.user_menu(reader_client), self.user_menu(editor_client)
            assert ">reader<" in reader_menu
            assert "editor" not in reader_menu
            assert self.MY_PROFILE not in reader_menu
            assert self.ADMIN not in reader_menu
            assert ">editor<" in editor_menu
            assert "reader" not in editor_menu
            assert all(url in editor_menu for url in [self.MY_PROFILE, self.ADMIN])
            assert CREATE_URL not in reader_client.get(LIST_URL).content.decode()
            assert CREATE_URL in editor_client.get(LIST_URL).content.decode()

    def test_each_browser_signs_out_with_its_own_csrf_token(self, reader, editor):
        laptop, phone, editors_laptop = self.signed_in(reader), self.signed_in(reader), self.signed_in(editor)
        for client in [laptop, phone, editors_laptop]:
            content = client.get(LIST_URL).content.decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
            assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
            assert client.get(LIST_URL).status_code == 302

    def test_a_granted_permission_shows_at_once(self, reader):
        client = self.signed_in(reader)
        assert CREATE_URL not in client.get(LIST_URL).content.decode()
        reader.user_permissions.add(Permission.objects.get(codename="add_employee"))
        assert CREATE_URL in client.get(LIST_URL).content.decode()

    def test_a_new_user_name_shows_at_once(self, reader):
        client = self.signed_in(reader)
        assert ">reader<" in self.user_menu(client)
        reader.username = "renamed"
        reader.save()
        menu = self.user_menu(client)
        assert ">renamed<" in menu
        assert ">reader<" not in menu

    def test_staff_status_shows_at_once(self, reader):
        client = self.signed_in(reader)
        assert self.ADMIN not in self.user_menu(client)
        reader.is_staff = True
        reader.save()
        assert self.ADMIN in self.user_menu(client)

    def test_a_linked_employee_record_shows_my_profile_at_once(self, reader):
        client = self.signed_in(reader)
        assert self.MY_PROFILE not in self.user_menu(client)
        pat = EmployeeFactory(user=reader)
        assert self.MY_PROFILE in self.user_menu(client)
        pat.delete()
        assert self.MY_PROFILE not in self.user_menu(client)

    def test_the_search_box_shows_this_pages_search(self, reader_client):
        for query in ["ana", "ben"]:
            content = reader_client.get(LIST_URL, {"q": query}).content.decode()
            assert f'id="nav-search" name="q" value="{query}"' in content

    def test_signed_out_visitors_get_no_user_menu(self, reader_client):
        reader_client.get(LIST_URL)
        reader_client.post(reverse("logout"))
        content = reader_client.get(reverse("login")).content.decode()
        assert 'id="user-menu"' not in content
        assert ">reader<" not in content


class TestHealth:
    def test_healthz_is_open_and_does_not_touch_the_database(self, client, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = client.get("/healthz")
        assert response.status_code == 200

    def test_readyz_checks_the_database(self, client):
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "cache": "ok"}

    def test_readyz_is_503_when_the_database_fails(self, client, monkeypatch):
        def broken_check(alias):
            raise DatabaseError("connection refused")

        monkeypatch.setattr("employees.views.database_answers", broken_check)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"

    def test_readyz_is_503_within_two_seconds_when_the_database_hangs(self, client, monkeypatch):
        released = threading.Event()
        monkeypatch.setattr("employees.views.database_answers", lambda alias: released.wait())  # frozen
        started = time.monotonic()
        try:
            response = client.get("/readyz")
            again = client.get("/readyz")  # the first check still hangs: this one waits behind it
        finally:
            released.set()
        assert (response.status_code, again.status_code) == (503, 503)
        assert time.monotonic() - started < 5


class TestErrorPages:
    def test_500_page_renders_without_a_database(self, client, monkeypatch, settings):
        from django.template import loader

        html = loader.get_template("500.html").render({})
        assert "Something went wrong" in html

    def test_403_page_extends_the_base(self, reader_client):
        content = reader_client.get(CREATE_URL).content.decode()
        assert "Not allowed" in content
        assert "Employee Directory" in content


class TestPhotos:
    def test_editor_uploads_a_photo_and_the_detail_page_shows_it(self, editor_client):
        response = editor_client.post(CREATE_URL, {**VALID, "photo": photo_upload()}, follow=True)
        employee = Employee.objects.get()
        content = response.content.decode()
        assert f'src="{employee.photo.url}"' in content
        assert 'alt="Photo of Ana García"' in content

    def test_an_invalid_photo_re_renders_the_form_and_creates_nothing(self, editor_client):
        upload = SimpleUploadedFile("cat.jpg", b"GIF89a not really a photo")
        response = editor_client.post(CREATE_URL, {**VALID, "photo": upload})
        assert response.status_code == 200
        content = response.content.decode()
        assert 'href="#id_photo"' in content
        assert "Upload a valid image." in content
        assert not Employee.objects.exists()

    def test_a_photo_chosen_on_a_form_that_failed_is_kept_and_saved_with_the_next_try(
        self, editor_client, settings
    ):
        failed = editor_client.post(CREATE_URL, {**VALID, "full_name": "", "photo": photo_upload()})
        assert failed.status_code == 200
        assert "The photo you chose is kept" in failed.content.decode()
        kept = failed.context["form"]["kept_photo"].value()
        assert kept
        assert not Employee.objects.exists()
        assert not list(Path(settings.MEDIA_ROOT).rglob("*.webp"))  # nothing is stored before the save

        saved = editor_client.post(CREATE_URL, {**VALID, "kept_photo": kept})
        assert saved.status_code == 302
        employee = Employee.objects.get()
        assert employee.photo.name.endswith(".webp")
        assert employee.photo_thumbnail.name.endswith(".webp")
        assert Image.open(employee.photo_thumbnail).size == (96, 96)

    def test_a_kept_photo_that_was_tampered_with_is_refused_and_saves_nothing(self, editor_client):
        failed = editor_client.post(CREATE_URL, {**VALID, "full_name": "", "photo": photo_upload()})
        kept = failed.context["form"]["kept_photo"].value()
        forged = base64.b64encode(image_bytes("PNG")).decode() + kept[kept.index(":") :]
        response = editor_client.post(CREATE_URL, {**VALID, "kept_photo": forged})
        assert response.status_code == 200
        assert "The photo chosen before could not be kept" in response.content.decode()
        assert not Employee.objects.exists()

    def test_a_full_disk_is_a_message_on_the_form_with_the_edits_kept_and_no_file_left(
        self, editor_client, employee, settings, monkeypatch
    ):
        saves = []

        def save_then_fill_the_disk(storage, name, content):
            if saves:
                raise OSError(errno.ENOSPC, "No space left on device")
            saves.append(name)
            return original_save(storage, name, content)

        original_save = FileSystemStorage._save
        monkeypatch.setattr(
            FileSystemStorage, "_save", save_then_fill_the_disk
        )  # the photo, not its thumbnail
        url = reverse("employees:update", kwargs={"pk": employee.pk})
        form = {**VALID, "job_title": "Architect", "version": employee.version, "photo": photo_upload()}
        response = editor_client.post(url, form)
        assert response.status_code == 200
        page = response.content.decode()
        assert "The photo could not be stored, so nothing was saved." in page
        assert 'value="Architect"' in page  # the other edits are still in the form
        employee.refresh_from_db()
        assert employee.job_title != "Architect"
        assert not employee.photo
        assert len(saves) == 1  # the photo was written, then its thumbnail failed
        assert not list(Path(settings.MEDIA_ROOT).rglob("*.webp"))  # and the photo was deleted

    def test_clearing_a_photo_on_read_only_storage_is_refused_with_the_edits_kept(
        self, editor_client, employee, monkeypatch
    ):
        url = reverse("employees:update", kwargs={"pk": employee.pk})
        editor_client.post(url, {**VALID, "version": employee.version, "photo": photo_upload()})
        employee.refresh_from_db()
        stored = [Path(employee.photo.path), Path(employee.photo_thumbnail.path)]
        monkeypatch.setattr("employees.photos.os.access", lambda path, mode: False)  # a read-only mount

        form = {**VALID, "job_title": "Architect", "version": employee.version, "photo-clear": "on"}
        response = editor_client.post(url, form)

        assert response.status_code == 200
        page = response.content.decode()
        assert "The photo cannot be removed now (its storage is read-only), so nothing was saved." in page
        assert 'value="Architect"' in page
        employee.refresh_from_db()
        assert employee.photo
        assert employee.job_title != "Architect"
        assert all(path.exists() for path in stored)

    def test_photos_are_served_to_signed_in_users_as_images_that_are_never_sniffed(
        self, editor_client, client
    ):
        editor_client.post(CREATE_URL, {**VALID, "photo": photo_upload()})
        url = Employee.objects.get().photo_thumbnail.url
        response = editor_client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/webp"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]
        assert Client().get(url).url == login_redirect(url)

    def test_list_shows_initials_for_employees_without_a_photo(self, reader_client, employee):
        content = reader_client.get(LIST_URL).content.decode()
        assert f'avatar-color-{employee.avatar_color}" aria-hidden="true">AG</span>' in content


class TestHeadcount:
    URL = reverse("employees:headcount")

    def test_counts_by_location_and_badge_link_to_the_filtered_list(self, reader_client, coffee, gamer):
        EmployeeFactory.create_batch(2, location="Madrid", badges=[coffee])
        EmployeeFactory(location="Lagos", badges=[coffee, gamer])
        response = reader_client.get(self.URL)
        assert response.status_code == 200
        assert response.context["locations"] == [("Madrid", 2), ("Lagos", 1)]
        assert [(badge.slug, badge.headcount) for badge in response.context["badges"]] == [
            ("coffee-snob", 3),
            ("gamer", 1),
        ]
        content = response.content.decode()
        assert 'href="/?location=Madrid"' in content
        assert 'href="/?badge=coffee-snob"' in content
        assert "vendor/chart.js/chart.umd.min.js" in content

    def test_counts_by_department_largest_first_with_totals(self, reader_client):
        sales = DepartmentFactory(name="Sales", slug="sales")
        support = DepartmentFactory(name="Support", slug="support")
        DepartmentFactory(name="Empty", slug="empty")
        EmployeeFactory(department=sales, location="Lagos")
        EmployeeFactory.create_batch(3, department=support, location="Madrid")
        EmployeeFactory.create_batch(2, location="Lagos")
        leaver = EmployeeFactory(department=sales, location="Lagos")
        Employee.objects.filter(pk=leaver.pk).update(left_on=date(2024, 1, 31))
        response = reader_client.get(self.URL)
        departments = [
            (department and department.slug, count) for department, count in response.context["departments"]
        ]
        assert departments == [("support", 3), (None, 2), ("sales", 1), ("empty", 0)]
        assert response.context["locations"] == [("Lagos", 3), ("Madrid", 3)]
        assert response.context["total"] == 6
        content = response.content.decode()
        assert 'href="/?department=support">Support</a>' in content
        assert "No department" in content
        assert (
            content.count('<tfoot><tr><th scope="row">Total</th><td class="text-right">6</td></tr></tfoot>')
            == 2
        )
        assert "6 people work here." in content

    def test_joiners_per_month_over_the_last_twelve_months(self, editor_client):
        today = localdate()
        this_month, first_month = today.replace(day=1), last_months(today, 12)[0]
        EmployeeFactory.create_batch(2, start_date=today)
        EmployeeFactory(start_date=first_month)
        EmployeeFactory(start_date=first_month - timedelta(days=1))  # a month too early
        EmployeeFactory(start_date=today + timedelta(days=40))  # not yet
        leaver = EmployeeFactory(start_date=today)
        Employee.objects.filter(pk=leaver.pk).update(left_on=today)
        response = editor_client.get(self.URL)
        joiners = response.context["joiners"]
        assert [month for month, _ in joiners] == last_months(today, 12)
        assert joiners[0] == (first_month, 1)
        assert joiners[-1] == (this_month, 2)
        assert sum(count for _, count in joiners) == response.context["joiner_total"] == 3
        assert '<th scope="row">Total</th><td class="text-right">3</td>' in response.content.decode()

    def test_joiners_count_only_the_start_dates_the_reader_may_see(self, reader_client, reader, editor):
        today = localdate()
        me = EmployeeFactory(user=reader, start_date=today, start_date_visibility=Visibility.EDITORS)
        EmployeeFactory(start_date=today, start_date_visibility=Visibility.EVERYONE)
        EmployeeFactory(start_date=today, start_date_visibility=Visibility.MANAGERS, manager=me)
        # Hidden from this reader: a managers-only start date of someone not under them, an editors-only one.
        EmployeeFactory(start_date=today, start_date_visibility=Visibility.MANAGERS)
        EmployeeFactory(start_date=today, start_date_visibility=Visibility.EDITORS)
        assert reader_client.get(self.URL).context["joiner_total"] == 3
        editor_client = Client()
        editor_client.force_login(editor)
        assert editor_client.get(self.URL).context["joiner_total"] == 5

    def test_last_months_go_back_across_the_new_year(self):
        assert last_months(date(2026, 2, 17), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]

    def test_location_links_are_url_encoded_and_escaped(self, reader_client):
        EmployeeFactory(location='São Paulo & <"Rio">')
        content = reader_client.get(self.URL).content.decode()
        assert 'href="/?location=S%C3%A3o%20Paulo%20%26%20%3C%22Rio%22%3E"' in content
        assert "São Paulo &amp; &lt;&quot;Rio&quot;&gt;" in content

    def test_empty_directory_says_so(self, reader_client):
        assert "nothing to count" in reader_client.get(self.URL).content.decode()

    def test_needs_sign_in(self, client):
        assert client.get(self.URL).url == login_redirect(self.URL)

    def test_query_count_does_not_grow_with_rows(self, reader_client, django_assert_max_num_queries, coffee):
        EmployeeFactory.create_batch(
            30, badges=[coffee], department=DepartmentFactory(), start_date=localdate()
        )
        # Session, user, their employee record and two permission checks for the navigation; locations,
        # departments, joiners and badges.
        with django_assert_max_num_queries(9):
            assert reader_client.get(self.URL).status_code == 200


class TestPageMarkup:
    """What every page must carry: a favicon and its own title, and no inline script, style or event handler,
    which the Content Security Policy would block."""

    INLINE = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\sstyle=|\son[a-z]+=|javascript:", re.I
    )

    @pytest.fixture
    def pages(self, editor_client, employee):
        urls = [
            LIST_URL,
            CREATE_URL,
            employee.get_absolute_url(),
            reverse("employees:update", args=[employee.pk]),
            reverse("employees:delete", args=[employee.pk]),
            reverse("employees:headcount"),
        ]
        responses = [editor_client.get(url) for url in urls]
        responses.append(editor_client.post(CREATE_URL, {}))
        responses.append(editor_client.get("/no-such-page/"))
        responses.append(Client().get(reverse("login")))
        return responses

    def test_no_inline_script_style_or_event_handler(self, pages):
        for response in pages:
            assert not self.INLINE.findall(response.content.decode()), response.request["PATH_INFO"]

    def test_every_page_has_the_favicon_and_a_specific_title(self, pages):
        titles = set()
        for response in pages:
            content = response.content.decode()
            assert 'rel="icon" href="/static/favicon.svg"' in content
            titles.add(re.search(r"<title>(.*?)</title>", content, re.S).group(1))
        assert len(titles) == len(pages) - 1  # Create twice: once empty, once with errors.

    def test_the_person_page_writes_every_date_and_date_time_one_way(self, editor_client, employee):
        employee.start_date, employee.left_on = date(2014, 1, 1), date(2026, 1, 5)
        employee.save()
        changed_at = employee.history.latest().history_date
        content = editor_client.get(employee.get_absolute_url()).content.decode()
        # Dates as DATE_FORMAT, date-times as DATETIME_FORMAT, in the page's language, each with its
        # machine-readable value, and none rewritten in the browser.
        assert '<time datetime="2014-01-01">Jan. 1, 2014</time>' in content
        assert "left the company on Jan. 5, 2026" in content
        for moment in [employee.updated_at, changed_at]:
            shown = date_format(localtime(moment), "DATETIME_FORMAT")
            assert f'<time datetime="{localtime(moment).isoformat()}">{shown}</time>' in content
        assert "data-local" not in content


class TestEditConflict:
    def test_second_editor_gets_a_conflict_with_the_current_values_and_nothing_is_lost(
        self, client, employee
    ):
        first, second = Client(), Client()
        first.force_login(EditorFactory(username="first"))
        second.force_login(EditorFactory(username="second"))
        url = reverse("employees:update", args=[employee.pk])
        first_version = first.get(url).context["form"]["version"].value()
        second_version = second.get(url).context["form"]["version"].value()
        first.post(url, {**VALID, "job_title": "Chosen by first", "version": first_version})
        LocationFactory(name="Chosen by second")
        response = second.post(url, {**VALID, "location": "Chosen by second", "version": second_version})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Someone else saved this employee" in content
        assert "job title “Chosen by first”" in content
        employee.refresh_from_db()
        assert (employee.job_title, employee.location_name) == ("Chosen by first", "Madrid")
        # Saving the refused form again is a deliberate overwrite, and it succeeds.
        again = second.post(url, {**VALID, "location": "Chosen by second", **_version_of(response)})
        assert again.status_code == 302
        employee.refresh_from_db()
        assert employee.location_name == "Chosen by second"

    def test_a_save_landing_between_check_and_write_is_still_refused(
        self, editor_client, employee, monkeypatch
    ):
        clean = EmployeeForm.clean

        def clean_then_someone_else_saves(form):
            cleaned_data = clean(form)
            Employee.objects.filter(pk=employee.pk).update(
                job_title="Saved meanwhile", version=F("version") + 1
            )
            return cleaned_data

        monkeypatch.setattr(EmployeeForm, "clean", clean_then_someone_else_saves)
        url = reverse("employees:update", args=[employee.pk])
        response = editor_client.post(url, {**VALID, "job_title": "Mine", "version": employee.version})
        assert response.status_code == 200
        assert "job title “Saved meanwhile”" in response.content.decode()
        employee.refresh_from_db()
        assert employee.job_title == "Saved meanwhile"


def _version_of(response):
    return {"version": response.context["form"]["version"].value()}


class TestHistory:
    def test_editors_see_who_changed_what_on_the_employee_page(self, editor_client, employee):
        url = reverse("employees:update", args=[employee.pk])
        editor_client.post(url, {**VALID, "job_title": "Staff Engineer", "version": employee.version})
        content = editor_client.get(employee.get_absolute_url()).content.decode()
        assert "History" in content
        assert "Changed by editor" in content
        assert "Job title: “Engineer” → “Staff Engineer”" in content

    def test_readers_do_not_see_the_history(self, reader_client, employee):
        assert "History" not in reader_client.get(employee.get_absolute_url()).content.decode()

    def test_a_change_of_skills_shows_in_the_history(self, editor_client, employee):
        url = reverse("employees:update", args=[employee.pk])
        editor_client.post(url, {**VALID, "skills": "Python", "version": employee.version})
        editor_client.post(url, {**VALID, "skills": "Python, Welsh", "version": employee.version + 1})
        response = editor_client.get(employee.get_absolute_url())
        assert response.status_code == 200
        content = response.content.decode()
        assert "Skills: “” → “Python”" in content
        assert "Skills: “Python” → “Python, Welsh”" in content
        assert "Badges: “Coffee Snob” → “”" in content

    def test_a_save_that_changed_nothing_shown_leaves_no_empty_entry(self, editor_client, employee):
        employee.save()  # only the version changes
        url = reverse("employees:update", args=[employee.pk])
        editor_client.post(url, {**VALID, "job_title": "Staff Engineer", "version": employee.version})
        content = editor_client.get(employee.get_absolute_url()).content.decode()
        assert content.count("Changed by") == 1
        assert "Job title: “Engineer” → “Staff Engineer”" in content
        assert "Created by" in content
