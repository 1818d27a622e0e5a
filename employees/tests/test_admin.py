import pytest
from django.urls import reverse

from employees.models import Employee

from .factories import EmployeeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:employees_employee_changelist")


@pytest.mark.parametrize("count", [5, 50])
def test_changelist_shows_badges_without_a_query_per_row(
    admin_client, coffee, gamer, count, django_assert_max_num_queries
):
    EmployeeFactory.create_batch(count, badges=[coffee, gamer])
    with django_assert_max_num_queries(12):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Coffee Snob, Gamer" in response.content.decode()


def test_changelist_search_uses_the_directory_search(admin_client, coffee):
    EmployeeFactory(full_name="Ana García", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode")
    content = admin_client.get(CHANGELIST, {"q": "coffee"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_changelist_filters_by_location(admin_client):
    EmployeeFactory(full_name="Ana García", location="Madrid")
    EmployeeFactory(full_name="Ben Ode", location="Paris")
    content = admin_client.get(CHANGELIST, {"location": "Madrid"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_change_form_loads_with_read_only_timestamps(admin_client, coffee):
    employee = EmployeeFactory(badges=[coffee])
    response = admin_client.get(reverse("admin:employees_employee_change", args=[employee.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="created_at"' not in content
    assert "Created" in content
    assert 'id="id_badges_from"' in content or "selectfilter" in content


def test_admin_add_strips_and_validates(admin_client):
    response = admin_client.post(
        reverse("admin:employees_employee_add"),
        {"full_name": "   ", "job_title": "Engineer", "location": "Madrid"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_badge_admin_loads(admin_client, coffee):
    response = admin_client.get(reverse("admin:employees_badge_changelist"))
    assert response.status_code == 200
    assert "Coffee Snob" in response.content.decode()


def test_editors_cannot_reach_admin(editor_client):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def admin_form_data(employee, **changes):
    return {
        "full_name": employee.full_name,
        "job_title": employee.job_title,
        "location": employee.location,
        "version": employee.version,
        **changes,
    }


def test_admin_refuses_a_save_over_a_newer_version_and_shows_it(admin_client, coffee):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    stale = admin_form_data(employee, job_title="Mine")
    Employee.objects.filter(pk=employee.pk).update(job_title="Theirs", version=2)
    response = admin_client.post(url, stale)
    assert response.status_code == 200
    assert "job title “Theirs”" in response.content.decode()
    employee.refresh_from_db()
    assert employee.job_title == "Theirs"


def test_admin_saves_the_current_version(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    assert admin_client.post(url, admin_form_data(employee, job_title="Lead")).status_code == 302
    employee.refresh_from_db()
    assert (employee.job_title, employee.version) == ("Lead", 2)


def test_admin_shows_an_employees_history(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    admin_client.post(
        reverse("admin:employees_employee_change", args=[employee.pk]),
        admin_form_data(employee, job_title="Lead"),
    )
    content = admin_client.get(
        reverse("admin:employees_employee_history", args=[employee.pk])
    ).content.decode()
    assert "Changed" in content
    assert "admin" in content


def test_admin_restores_a_deleted_employee_from_history(admin_client, coffee):
    employee = EmployeeFactory(full_name="Ana García", job_title="Engineer", badges=[coffee])
    pk = employee.pk
    admin_client.post(reverse("admin:employees_employee_delete", args=[pk]), {"post": "yes"})
    assert not Employee.objects.filter(pk=pk).exists()

    deleted = admin_client.get(
        reverse("admin:employees_historicalemployee_changelist"), {"history_type": "-"}
    )
    assert "Ana García" in deleted.content.decode()
    history_url = reverse("admin:employees_employee_history", args=[pk])
    assert history_url in deleted.content.decode()

    record = Employee.history.filter(id=pk, history_type="~").latest()
    restore_url = reverse("admin:employees_employee_simple_history", args=[pk, record.history_id])
    form = admin_client.get(restore_url).context["adminform"].form
    response = admin_client.post(restore_url, {**form.initial, "badges": [coffee.pk]})
    assert response.status_code == 302
    restored = Employee.objects.get(pk=pk)
    assert (restored.full_name, restored.job_title) == ("Ana García", "Engineer")
    assert list(restored.badges.all()) == [coffee]
    assert Employee.history.filter(id=pk).latest().history_user.username == "admin"
