import re
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.db.models import F
from django.test import Client
from django.urls import reverse

from employees.filters import EmployeeFilter
from employees.forms import EmployeeForm
from employees.models import Employee
from employees.signals import FACETS_GENERATION_KEY
from employees.views import CSRF_TOKEN_PLACEHOLDER

from .factories import EditorFactory, EmployeeFactory, UserFactory, photo_upload

pytestmark = pytest.mark.django_db

LIST_URL = reverse("employees:list")
CREATE_URL = reverse("employees:create")
VALID = {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid"}


def strip_tokens(content):
    """The page without what changes on every response (the CSRF token of the sign-out form)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)


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

    def test_the_cached_page_keeps_each_users_buttons(self, reader, editor, employee):
        reader_client, editor_client = Client(), Client()
        reader_client.force_login(reader)
        editor_client.force_login(editor)
        assert CREATE_URL not in reader_client.get(LIST_URL).content.decode()
        assert CREATE_URL in editor_client.get(LIST_URL).content.decode()
        assert CREATE_URL not in reader_client.get(LIST_URL).content.decode()

    def test_search_by_name_title_location_and_badge(self, reader_client, employee, gamer):
        other = EmployeeFactory(full_name="Ben Ode", job_title="Designer", location="London", badges=[gamer])
        for query in ["garcía", "ENGINEER", "madrid", "coffee"]:
            employees = list(reader_client.get(LIST_URL, {"q": query}).context["employees"])
            assert employees == [employee], query
        assert list(reader_client.get(LIST_URL, {"q": "gamer"}).context["employees"]) == [other]

    def test_location_and_badge_filters_combine_with_search(self, reader_client, coffee, gamer):
        match = EmployeeFactory(full_name="Ana One", location="Madrid", badges=[coffee])
        EmployeeFactory(full_name="Ana Two", location="Madrid", badges=[gamer])
        EmployeeFactory(full_name="Ana Three", location="Paris", badges=[coffee])
        EmployeeFactory(full_name="Ben", location="Madrid", badges=[coffee])
        response = reader_client.get(LIST_URL, {"q": "ana", "location": "Madrid", "badge": "coffee-snob"})
        assert list(response.context["employees"]) == [match]

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

    def test_paginates_25_a_page_keeping_the_query(self, reader_client):
        EmployeeFactory.create_batch(30, location="Madrid")
        EmployeeFactory(location="Paris")
        response = reader_client.get(LIST_URL, {"location": "Madrid"})
        assert len(response.context["employees"]) == 25
        assert "?location=Madrid&amp;page=2" in response.content.decode()
        second = reader_client.get(LIST_URL, {"location": "Madrid", "page": 2})
        assert len(second.context["employees"]) == 5

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

    @pytest.mark.parametrize("count", [5, 60])
    @pytest.mark.parametrize("params", [{}, {"q": "ana"}, {"badge": "gamer", "page": "last"}])
    def test_at_most_four_queries_once_counts_are_cached(
        self, reader_client, coffee, gamer, count, params, django_assert_max_num_queries
    ):
        EmployeeFactory.create_batch(count, full_name="Ana", badges=[coffee, gamer])
        # The first view counts the facets and reads the badges (two queries); later views read both cached.
        with django_assert_max_num_queries(6):
            assert reader_client.get(LIST_URL, params).status_code == 200
        # Another order: the counts are the same, the rows are read again.
        with django_assert_max_num_queries(4):
            response = reader_client.get(LIST_URL, {**params, "sort": "-name"})
        assert len(response.context["employees"]) == min(count, 25) if "page" not in params else count % 25
        assert response.context["paginator"].count == count

    @pytest.mark.parametrize("params", [{}, {"q": "ana"}, {"badge": "gamer", "page": "last"}])
    def test_a_page_seen_before_costs_no_query(
        self, reader_client, coffee, gamer, params, django_assert_num_queries
    ):
        EmployeeFactory.create_batch(30, full_name="Ana", badges=[coffee, gamer])
        first = reader_client.get(LIST_URL, params).content.decode()
        # The user and their permissions, the counts and the rendered rows all come from the cache.
        with django_assert_num_queries(0):
            again = reader_client.get(LIST_URL, params).content.decode()
        assert "Ana" in again
        assert strip_tokens(again) == strip_tokens(first)

    def test_a_page_seen_before_builds_no_filters(self, reader_client, employee, monkeypatch):
        first = reader_client.get(LIST_URL, {"q": "ana"}).content.decode()

        def refuse(*args, **kwargs):
            raise AssertionError("the filters were built for a page seen before")

        monkeypatch.setattr(EmployeeFilter, "__init__", refuse)
        again = reader_client.get(LIST_URL, {"q": "ana"}).content.decode()
        assert strip_tokens(again) == strip_tokens(first)

    def test_a_granted_permission_shows_the_add_button_on_a_page_seen_before(self, reader_client, reader):
        EmployeeFactory()
        reader_client.get(LIST_URL)
        reader.user_permissions.add(Permission.objects.get(codename="add_employee"))
        content = reader_client.get(LIST_URL).content.decode()
        assert f'class="btn btn-primary" href="{CREATE_URL}"' in content

    def test_an_old_page_is_not_served_once_the_cache_lost_its_generation(self, reader_client, employee):
        cache.delete(FACETS_GENERATION_KEY)  # a cache that starts empty, or restarted
        assert "Ana García" in reader_client.get(LIST_URL).content.decode()
        employee.full_name = "Ana Renamed"
        employee.save()
        cache.delete(FACETS_GENERATION_KEY)
        assert "Ana Renamed" in reader_client.get(LIST_URL).content.decode()

    def test_a_page_seen_before_shows_a_change_at_once(self, reader_client, employee):
        assert "Ana García" in reader_client.get(LIST_URL).content.decode()
        employee.full_name = "Ana Renamed"
        employee.save()
        content = reader_client.get(LIST_URL).content.decode()
        assert "Ana Renamed" in content
        assert "Ana García" not in content

    def test_shows_counts_per_location_title_and_badge(self, reader_client, coffee):
        EmployeeFactory(full_name="Ana", job_title="Engineer", location="Madrid", badges=[coffee])
        EmployeeFactory(full_name="Ben", job_title="Engineer", location="Madrid")
        EmployeeFactory(full_name="Cleo", job_title="Designer", location="Paris")
        content = reader_client.get(LIST_URL).content.decode()
        assert '<option value="Madrid">Madrid (2)</option>' in content
        assert '<option value="Engineer">Engineer (2)</option>' in content
        assert '<option value="coffee-snob">Coffee Snob (1)</option>' in content
        content = reader_client.get(LIST_URL, {"location": "Paris"}).content.decode()
        assert '<option value="Paris" selected>Paris (1)</option>' in content
        assert '<option value="Engineer">Engineer (0)</option>' not in content
        assert "1 employee" in content

    def test_title_filter(self, reader_client):
        engineer = EmployeeFactory(job_title="Engineer")
        EmployeeFactory(job_title="Designer")
        assert list(reader_client.get(LIST_URL, {"title": "Engineer"}).context["employees"]) == [engineer]

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

    def test_a_search_matching_more_than_the_limit_says_so(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(5, full_name="Ana <i>García</i>", location="Madrid")
        response = reader_client.get(LIST_URL, {"q": "ana <i>"})
        content = response.content.decode()
        assert len(response.context["employees"]) == 3
        assert "3+ employees" in content
        assert (
            "More than 3 people match “ana &lt;i&gt;”. Showing the first 3 found: add a word or a filter to "
            "narrow the search." in content
        )
        assert "“ana <i>”" not in content
        assert "count the first 3 people found" in content
        assert '<option value="Madrid">Madrid (3)</option>' in content

    def test_a_filtered_search_says_when_a_list_counts_the_first_found(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(5, full_name="Ana", location="Madrid")
        EmployeeFactory(full_name="Ana", location="Paris")
        content = reader_client.get(LIST_URL, {"q": "ana", "location": "Paris"}).content.decode()
        assert "1 employee" in content
        assert "More than" not in content
        # The location list ignores its own filter: it counts the first three people called Ana found.
        assert "count the first 3 people found" in content

    def test_a_search_within_the_limit_shows_the_exact_count(self, reader_client, settings):
        settings.SEARCH_MATCH_LIMIT = 3
        EmployeeFactory.create_batch(3, full_name="Ana")
        content = reader_client.get(LIST_URL, {"q": "ana"}).content.decode()
        assert "3 employees" in content
        assert "More than" not in content
        assert "people found" not in content

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

    @pytest.mark.parametrize("count", [5, 60])
    def test_a_capped_search_costs_as_many_queries_as_any(
        self, reader_client, coffee, count, settings, django_assert_max_num_queries
    ):
        settings.SEARCH_MATCH_LIMIT = 10
        EmployeeFactory.create_batch(count, full_name="Ana", badges=[coffee])
        reader_client.get(LIST_URL)  # the user and the badge catalogue are cached
        # The counts (with the ids of the matches counted), the page and its badges.
        with django_assert_max_num_queries(3):
            assert reader_client.get(LIST_URL, {"q": "ana"}).status_code == 200
        with django_assert_max_num_queries(2):
            assert reader_client.get(LIST_URL, {"q": "ana", "sort": "-name"}).status_code == 200


def csrf_token_in(content):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)


class TestKeptPage:
    """A list page a reader saw before is sent as it was rendered, from the process's memory: it must still be
    that reader's page, with a new CSRF token, and never stand in for messages or a change."""

    @staticmethod
    def signed_in(user):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        return client

    def test_a_page_seen_before_renders_no_template(self, reader_client, employee):
        assert reader_client.get(LIST_URL).templates
        again = reader_client.get(LIST_URL)
        assert again.templates == []
        assert "Ana García" in again.content.decode()

    def test_another_readers_page_is_never_sent(self, reader, employee):
        other = UserFactory(username="other")
        reader_client, other_client = self.signed_in(reader), self.signed_in(other)
        for _ in range(2):
            assert ">reader<" in reader_client.get(LIST_URL).content.decode()
            content = other_client.get(LIST_URL).content.decode()
            assert ">other<" in content
            assert "reader" not in content

    def test_each_response_has_its_own_csrf_token_and_it_signs_out(self, reader, employee):
        client = self.signed_in(reader)
        tokens = [csrf_token_in(client.get(LIST_URL).content.decode()) for _ in range(3)]
        assert len(set(tokens)) == 3
        assert client.post(reverse("logout"), {"csrfmiddlewaretoken": tokens[-1]}).status_code == 302
        assert client.get(LIST_URL).url == login_redirect(LIST_URL)

    def test_no_response_shows_where_the_token_goes(self, reader_client, employee):
        for _ in range(2):
            content = reader_client.get(LIST_URL).content.decode()
            assert CSRF_TOKEN_PLACEHOLDER not in content
            assert csrf_token_in(content)

    def test_a_message_shows_on_a_page_seen_before_and_only_once(self, editor, employee):
        laptop, phone = self.signed_in(editor), self.signed_in(editor)
        laptop.get(LIST_URL)
        token = csrf_token_in(laptop.get(reverse("employees:delete", args=[employee.pk])).content.decode())
        laptop.post(reverse("employees:delete", args=[employee.pk]), {"csrfmiddlewaretoken": token})
        # The editor's other browser sees the list as it is now: that page is kept before the laptop's turn.
        phone.get(LIST_URL)
        assert phone.get(LIST_URL).templates == []
        assert "Ana García was deleted." in laptop.get(LIST_URL).content.decode()
        assert "Ana García was deleted." not in laptop.get(LIST_URL).content.decode()
        assert "Ana García was deleted." not in phone.get(LIST_URL).content.decode()

    def test_a_signed_out_or_expired_session_gets_the_sign_in_page(self, reader, employee):
        client = self.signed_in(reader)
        client.get(LIST_URL)
        session = client.session
        session.set_expiry(-1)
        session.save()
        assert client.get(LIST_URL).url == login_redirect(LIST_URL)

    def test_a_renamed_badge_shows_at_once(self, reader_client, employee, coffee):
        reader_client.get(LIST_URL)
        coffee.name = "Tea Lover"
        coffee.save()
        content = reader_client.get(LIST_URL).content.decode()
        assert "Tea Lover" in content
        assert "Coffee Snob" not in content

    def test_a_page_whose_script_uses_the_csp_nonce_is_rendered_each_time(
        self, reader_client, employee, settings, tmp_path
    ):
        (tmp_path / "employees").mkdir()
        (tmp_path / "employees" / "employee_list.html").write_text(
            '{% extends "base.html" %}{% block scripts %}<script nonce="{{ request.csp_nonce }}"></script>'
            "{% endblock %}"
        )
        settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
        nonces = []
        for _ in range(2):
            response = reader_client.get(LIST_URL)
            nonces.append(re.search(r'nonce="([^"]+)"', response.content.decode()).group(1))
            assert f"'nonce-{nonces[-1]}'" in response["Content-Security-Policy"]
        assert nonces[0] != nonces[1]

    def test_a_page_seen_before_has_the_same_headers(self, reader_client, employee):
        first, again = reader_client.get(LIST_URL), reader_client.get(LIST_URL)
        assert again.templates == []
        headers = [{**response.headers, "X-Request-ID": None} for response in (first, again)]
        assert headers[0] == headers[1]
        assert "Content-Security-Policy" in headers[1]
        assert headers[1]["Vary"] == "Cookie"


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


class TestNavigation:
    """The navigation is rendered once per user and kept: each user must see their own, as it is now."""

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
            assert CREATE_URL not in reader_menu
            assert self.MY_PROFILE not in reader_menu
            assert self.ADMIN not in reader_menu
            assert ">editor<" in editor_menu
            assert "reader" not in editor_menu
            assert all(url in editor_menu for url in [CREATE_URL, self.MY_PROFILE, self.ADMIN])

    def test_each_browser_signs_out_with_its_own_csrf_token(self, reader, editor):
        laptop, phone, editors_laptop = self.signed_in(reader), self.signed_in(reader), self.signed_in(editor)
        for client in [laptop, phone, editors_laptop]:
            content = client.get(LIST_URL).content.decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content).group(1)
            assert client.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
            assert client.get(LIST_URL).status_code == 302

    def test_a_granted_permission_shows_at_once(self, reader):
        client = self.signed_in(reader)
        assert CREATE_URL not in self.user_menu(client)
        reader.user_permissions.add(Permission.objects.get(codename="add_employee"))
        assert CREATE_URL in self.user_menu(client)

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
        assert response.json() == {"status": "ok"}

    def test_readyz_is_503_when_the_database_fails(self, client, monkeypatch):
        def broken_cursor(*args, **kwargs):
            raise DatabaseError("connection refused")

        monkeypatch.setattr("employees.views.connection.cursor", broken_cursor)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"


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
        locations = [(row["location"], row["headcount"]) for row in response.context["locations"]]
        assert locations == [("Lagos", 1), ("Madrid", 2)]
        assert [(badge.slug, badge.headcount) for badge in response.context["badges"]] == [
            ("coffee-snob", 3),
            ("gamer", 1),
        ]
        content = response.content.decode()
        assert 'href="/?location=Madrid"' in content
        assert 'href="/?badge=coffee-snob"' in content
        assert "vendor/chart.js/chart.umd.min.js" in content

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
        EmployeeFactory.create_batch(30, badges=[coffee])
        # Session, user, two for the navigation's permission checks, one for locations, one for badges.
        with django_assert_max_num_queries(6):
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

    def test_dates_carry_a_machine_readable_value_for_the_readers_locale(self, reader_client, employee):
        content = reader_client.get(employee.get_absolute_url()).content.decode()
        assert f'<time datetime="{employee.updated_at.isoformat()}" data-local>' in content


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
        response = second.post(url, {**VALID, "location": "Chosen by second", "version": second_version})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Someone else saved this employee" in content
        assert "job title “Chosen by first”" in content
        employee.refresh_from_db()
        assert (employee.job_title, employee.location) == ("Chosen by first", "Madrid")
        # Saving the refused form again is a deliberate overwrite, and it succeeds.
        again = second.post(url, {**VALID, "location": "Chosen by second", **_version_of(response)})
        assert again.status_code == 302
        employee.refresh_from_db()
        assert employee.location == "Chosen by second"

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
