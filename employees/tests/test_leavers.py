"""Leavers: marked as left (by an editor here, or by provisioning), kept with their history, seen only by
editors, their account stopped at once, and brought back if they return."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from employees import services
from employees.models import Employee

from .factories import DepartmentFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db

EMPLOYEES_API = "/api/v1/employees/"


@pytest.fixture
def boss():
    return EmployeeFactory(full_name="Boss Person", location="Madrid")


@pytest.fixture
def leaver(boss, coffee):
    account = UserFactory(username="leaver")
    return EmployeeFactory(
        full_name="Lena Leaver",
        job_title="Analyst",
        location="Lisbon",
        manager=boss,
        user=account,
        badges=[coffee],
        department=DepartmentFactory(name="Finance", slug="finance"),
    )


@pytest.fixture
def stayer(boss):
    return EmployeeFactory(full_name="Sam Stayer", job_title="Analyst", location="Lisbon", manager=boss)


@pytest.fixture
def left(leaver, editor):
    return services.mark_as_left(leaver, user=editor, on=datetime.date(2026, 11, 30))


def names(response):
    return [employee.full_name for employee in response.context["employees"]]


def test_mark_as_left_records_the_day_in_the_history_and_keeps_everything_else(left, editor, coffee):
    left.refresh_from_db()
    assert left.left_on == datetime.date(2026, 11, 30)
    assert list(left.badges.all()) == [coffee]
    record = left.history.first()
    assert (record.left_on, record.history_user, record.history_change_reason) == (
        datetime.date(2026, 11, 30),
        editor,
        services.LEFT,
    )


def test_the_leavers_account_stops_working_at_once(leaver, editor):
    session = Client()
    session.force_login(leaver.user)
    _, token = AuthToken.objects.create(user=leaver.user)
    api = APIClient()
    assert session.get(reverse("employees:list")).status_code == 200
    assert api.get(EMPLOYEES_API, headers={"Authorization": f"Token {token}"}).status_code == 200

    services.mark_as_left(leaver, user=editor)

    assert not User.objects.get(pk=leaver.user_id).is_active
    assert session.get(reverse("employees:list")).url.startswith(reverse("login"))
    assert api.get(EMPLOYEES_API, headers={"Authorization": f"Token {token}"}).status_code == 401


def test_direct_reports_of_a_leaver_report_to_the_leavers_manager(leaver, boss, editor):
    report = EmployeeFactory(full_name="Rita Report", manager=leaver)
    services.mark_as_left(leaver, user=editor)
    report.refresh_from_db()
    assert report.manager == boss
    assert report.history.first().history_change_reason == services.MANAGER_LEFT


def test_readers_see_no_leaver_anywhere(reader_client, left, stayer, coffee):
    assert names(reader_client.get(reverse("employees:list"))) == ["Boss Person", "Sam Stayer"]
    assert names(reader_client.get(reverse("employees:list"), {"q": "analyst"})) == ["Sam Stayer"]
    assert names(reader_client.get(reverse("employees:list"), {"status": "left"})) == [
        "Boss Person",
        "Sam Stayer",
    ]
    assert reader_client.get(left.get_absolute_url()).status_code == 404
    assert reader_client.get(reverse("employees:vcard", args=[left.pk])).status_code == 404
    csv = b"".join(reader_client.get(reverse("employees:export-csv")).streaming_content).decode()
    assert "Sam Stayer" in csv
    assert "Lena Leaver" not in csv
    headcount = reader_client.get(reverse("employees:headcount")).context
    assert dict(headcount["locations"]) == {"Lisbon": 1, "Madrid": 1}
    assert headcount["badges"].get(pk=coffee.pk).headcount == 0
    assert names(reader_client.get(reverse("employees:department", args=["finance"]))) == []
    chart = reader_client.get(reverse("employees:org-chart")).content.decode()
    assert "Sam Stayer" in chart
    assert "Lena Leaver" not in chart
    boss_page = reader_client.get(left.manager.get_absolute_url())
    assert [report.full_name for report in boss_page.context["direct_reports"]] == ["Sam Stayer"]


def test_the_api_hides_leavers_from_readers(reader, left, stayer):
    api = APIClient()
    api.force_authenticate(reader)
    listed = api.get(EMPLOYEES_API).json()["results"]
    assert [employee["full_name"] for employee in listed] == ["Boss Person", "Sam Stayer"]
    assert api.get(f"{EMPLOYEES_API}{left.pk}/").status_code == 404
    assert api.get(EMPLOYEES_API, {"status": "left"}).json()["count"] == 2


def test_editors_filter_for_leavers_in_the_list_the_export_and_the_api(editor_client, editor, left, stayer):
    assert names(editor_client.get(reverse("employees:list"))) == ["Boss Person", "Sam Stayer"]
    page = editor_client.get(reverse("employees:list"), {"status": "left"})
    assert names(page) == ["Lena Leaver"]
    assert "Left on" in page.content.decode()
    csv = b"".join(editor_client.get(reverse("employees:export-csv"), {"status": "left"}).streaming_content)
    assert b"Lena Leaver" in csv
    assert b"Sam Stayer" not in csv
    api = APIClient()
    api.force_authenticate(editor)
    assert [row["full_name"] for row in api.get(EMPLOYEES_API, {"status": "left"}).json()["results"]] == [
        "Lena Leaver"
    ]
    detail = api.get(f"{EMPLOYEES_API}{left.pk}/").json()
    assert detail["left_on"] == "2026-11-30"


def test_an_editor_sees_the_leavers_page_and_can_bring_them_back(editor_client, left):
    page = editor_client.get(left.get_absolute_url()).content.decode()
    assert "left the company on" in page
    assert reverse("employees:return", args=[left.pk]) in page

    response = editor_client.post(reverse("employees:return", args=[left.pk]))

    assert response.url == left.get_absolute_url()
    left.refresh_from_db()
    assert left.left_on is None
    assert User.objects.get(pk=left.user_id).is_active
    assert left.history.first().history_change_reason == services.RETURNED
    assert "Lena Leaver" in names(editor_client.get(reverse("employees:list")))


def test_bringing_back_is_a_post(editor_client, left):
    assert editor_client.get(reverse("employees:return", args=[left.pk])).status_code == 405
    left.refresh_from_db()
    assert left.has_left


def test_an_editor_marks_someone_as_left(editor_client, leaver):
    url = reverse("employees:leave", args=[leaver.pk])
    form = editor_client.get(url)
    assert form.status_code == 200
    assert form.context["form"].initial["version"] == leaver.version

    response = editor_client.post(url, {"left_on": "2026-11-30", "version": leaver.version})

    assert response.url == leaver.get_absolute_url()
    leaver.refresh_from_db()
    assert leaver.left_on == datetime.date(2026, 11, 30)
    assert not User.objects.get(pk=leaver.user_id).is_active


def test_a_leaving_day_to_come_is_refused_and_changes_nothing(editor_client, leaver):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = editor_client.post(
        reverse("employees:leave", args=[leaver.pk]),
        {"left_on": tomorrow.isoformat(), "version": leaver.version},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["left_on"][0].startswith("Mark them as left on their last day")
    leaver.refresh_from_db()
    assert not leaver.has_left


def test_marking_over_someone_elses_edit_changes_nothing(editor_client, leaver, editor):
    stale = leaver.version
    leaver.job_title = "Senior Analyst"
    services.save_employee(leaver, user=editor, version=stale)
    response = editor_client.post(
        reverse("employees:leave", args=[leaver.pk]), {"left_on": "2026-11-30", "version": stale}, follow=True
    )
    assert "Someone changed this person meanwhile" in response.content.decode()
    assert not Employee.objects.get(pk=leaver.pk).has_left


def test_readers_cannot_mark_anyone_as_left(reader_client, leaver):
    response = reader_client.post(
        reverse("employees:leave", args=[leaver.pk]), {"left_on": "2026-11-30", "version": leaver.version}
    )
    assert response.status_code == 403
    assert not Employee.objects.get(pk=leaver.pk).has_left


def test_a_leaver_cannot_become_anyones_manager(editor, left, stayer):
    api = APIClient()
    api.force_authenticate(editor)
    response = api.patch(
        f"{EMPLOYEES_API}{stayer.pk}/", {"manager": str(left.pk), "version": stayer.version}, format="json"
    )
    assert response.status_code == 400
    assert "manager" in response.json()
