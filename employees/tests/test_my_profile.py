"""My profile: a signed-in user keeps their own contact details current, and nothing else, nobody else's."""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from employees.models import Employee, Skill

from .factories import EmployeeFactory, UserFactory, photo_upload

pytestmark = pytest.mark.django_db

MY_PROFILE = reverse("employees:my-profile")


@pytest.fixture
def pat():
    return EmployeeFactory(
        full_name="Pat Doe",
        job_title="Engineer",
        location="Madrid",
        work_email="pat@example.com",
        start_date=date(2020, 1, 6),
        user=UserFactory(username="pat"),
    )


@pytest.fixture
def pat_client(client, pat):
    client.force_login(pat.user)
    return client


def own_changes(pat, **changes):
    return {
        "work_phone": "+34 911 23 45 67",
        "mobile": "+34 612 34 56 78",
        "mobile_visibility": "everyone",
        "office": "Tower B, desk 12",
        "time_zone": "Europe/Madrid",
        "pronouns": "they/them",
        "start_date_visibility": "editors",
        "version": pat.version,
        **changes,
    }


def test_the_navigation_links_my_profile_only_for_a_linked_account(pat_client, reader):
    link = f'href="{MY_PROFILE}"'
    assert link in pat_client.get(reverse("employees:list")).content.decode()
    pat_client.force_login(reader)
    assert link not in pat_client.get(reverse("employees:list")).content.decode()


def test_an_unlinked_account_is_told_why_there_is_nothing_to_edit(reader_client):
    response = reader_client.get(MY_PROFILE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "is not linked to an employee record" in content
    assert '<form method="post" enctype' not in content


def test_the_page_shows_what_editors_maintain_read_only(pat_client):
    Skill.objects.create(name="Python", slug="python")
    content = pat_client.get(MY_PROFILE).content.decode()
    assert "Editors keep these up to date" in content
    for value in ["Pat Doe", "Engineer", "pat@example.com"]:
        assert value in content
    for field in ["full_name", "job_title", "location", "work_email", "start_date", "manager", "department"]:
        assert f'name="{field}"' not in content
    for field in ["work_phone", "mobile", "office", "time_zone", "pronouns", "photo", "skills"]:
        assert f'name="{field}"' in content


def test_a_user_without_edit_permission_updates_their_own_contact_details(pat_client, pat):
    assert not pat.user.has_perm("employees.change_employee")
    response = pat_client.post(MY_PROFILE, own_changes(pat), follow=True)
    assert response.redirect_chain == [(MY_PROFILE, 302)]
    assert "Your profile was updated." in response.content.decode()
    pat.refresh_from_db()
    assert str(pat.work_phone) == "+34911234567"
    assert str(pat.mobile) == "+34612345678"
    assert (pat.office, pat.time_zone, pat.pronouns) == ("Tower B, desk 12", "Europe/Madrid", "they/them")
    assert (pat.mobile_visibility, pat.start_date_visibility) == ("everyone", "editors")


def test_restricted_fields_posted_anyway_are_ignored(pat_client, pat):
    other = EmployeeFactory(full_name="Boss")
    restricted = {
        "full_name": "Pat The Great",
        "job_title": "CEO",
        "location": "Monaco",
        "work_email": "ceo@example.com",
        "start_date": "1990-01-01",
        "manager": str(other.pk),
        "user": str(UserFactory(username="someone").pk),
        "badges": [],
    }
    assert pat_client.post(MY_PROFILE, own_changes(pat, **restricted)).status_code == 302
    pat.refresh_from_db()
    assert (pat.full_name, pat.job_title, pat.location_name) == ("Pat Doe", "Engineer", "Madrid")
    assert (pat.work_email, pat.start_date, pat.manager) == ("pat@example.com", date(2020, 1, 6), None)
    assert pat.user.username == "pat"
    assert pat.office == "Tower B, desk 12"  # the rest of the form was saved


def test_nobody_can_edit_someone_else_through_it(pat_client, pat):
    other = EmployeeFactory(full_name="Other Person", office="Room 1")
    before = Employee.objects.values().get(pk=other.pk)
    pat_client.post(f"{MY_PROFILE}?pk={other.pk}", own_changes(pat, id=str(other.pk), pk=str(other.pk)))
    assert Employee.objects.values().get(pk=other.pk) == before
    assert Employee.objects.get(pk=pat.pk).office == "Tower B, desk 12"


def test_a_bad_phone_number_says_the_format_and_saves_nothing(pat_client, pat):
    response = pat_client.post(MY_PROFILE, own_changes(pat, mobile="612 34 56 78"))
    assert response.status_code == 200
    assert "Enter the number with + and its country code" in response.content.decode()
    pat.refresh_from_db()
    assert (pat.mobile, pat.office) == ("", "")


def test_a_stale_version_is_refused_as_on_the_edit_form(pat_client, pat):
    opened_at = pat.version
    Employee.objects.filter(pk=pat.pk).update(office="Set by an editor", version=opened_at + 1)
    response = pat_client.post(MY_PROFILE, own_changes(pat, version=opened_at))
    assert response.status_code == 200
    assert "Someone else saved this employee while you were editing it" in response.content.decode()
    assert Employee.objects.get(pk=pat.pk).office == "Set by an editor"


def test_posting_needs_the_csrf_token(pat):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat.user)
    assert client.post(MY_PROFILE, own_changes(pat)).status_code == 403
    assert Employee.objects.get(pk=pat.pk).office == ""


def test_the_history_records_the_user_who_made_the_change(pat_client, pat):
    pat_client.post(MY_PROFILE, own_changes(pat))
    latest = pat.history.first()
    assert latest.history_user == pat.user
    assert latest.office == "Tower B, desk 12"


def test_a_photo_is_validated_and_re_encoded_like_on_the_edit_form(pat_client, pat):
    pat_client.post(MY_PROFILE, own_changes(pat, photo=photo_upload()))
    pat.refresh_from_db()
    assert re.fullmatch(r"photos/[0-9a-f]{32}\.webp", pat.photo.name)
    assert pat.photo_thumbnail.width == 96


def test_skills_are_typed_as_tags_matching_the_catalogue_without_regard_to_case(pat_client, pat):
    python = Skill.objects.create(name="Python", slug="python")
    pat_client.post(MY_PROFILE, own_changes(pat, skills="python, Public speaking"))
    assert sorted(skill.name for skill in pat.skills.all()) == ["Public speaking", "Python"]
    assert Skill.objects.filter(name__iexact="python").get() == python


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.post(MY_PROFILE, {"office": "x"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_page_shows_the_record_as_it_is_now_not_as_cached_with_the_user(pat_client, pat):
    pat_client.get(MY_PROFILE)
    Employee.objects.filter(pk=pat.pk).update(
        office="Tower C, desk 3", version=pat.version + 1
    )  # as an import does
    response = pat_client.get(MY_PROFILE)
    assert "Tower C, desk 3" in response.content.decode()
    assert response.context["form"].instance.version == pat.version + 1
