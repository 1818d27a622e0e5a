import pytest
from django.urls import reverse

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
