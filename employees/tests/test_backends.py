import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import Group

from employees.models import Employee

from .factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_reads_own_and_group_permissions_in_one_query(editor, django_assert_num_queries):
    editor.user_permissions.add(*editor.groups.get().permissions.filter(codename="view_badge"))
    with django_assert_num_queries(1):
        assert editor.has_perm("employees.add_employee")
        assert editor.has_perm("employees.view_badge")
        assert not editor.has_perm("auth.add_user")
    assert "employees.delete_employee" in editor.get_all_permissions()


def test_readers_have_no_write_permission(reader):
    assert not reader.has_perm("employees.add_employee")
    assert reader.get_all_permissions() == set()


def test_inactive_users_have_no_permission(editor):
    editor.is_active = False
    assert not editor.has_perm("employees.add_employee")


def test_superusers_have_every_permission():
    admin = UserFactory(is_superuser=True)
    assert "auth.add_user" in admin.get_all_permissions()


def signed_in_user(client):
    return get_user(client.get("/healthz").wsgi_request)


def test_a_signed_in_user_and_permissions_come_from_the_cache(editor_client, django_assert_num_queries):
    signed_in_user(editor_client).has_perm("employees.add_employee")
    with django_assert_num_queries(0):
        user = signed_in_user(editor_client)
        assert user.username == "editor"
        assert user.has_perm("employees.add_employee")


def test_a_revoked_permission_is_seen_at_once(editor_client, editor):
    assert signed_in_user(editor_client).has_perm("employees.add_employee")
    editor.groups.clear()
    assert not signed_in_user(editor_client).has_perm("employees.add_employee")


def test_a_group_losing_a_permission_is_seen_at_once(editor_client):
    assert signed_in_user(editor_client).has_perm("employees.add_employee")
    Group.objects.get(name="Editors").permissions.clear()
    assert not signed_in_user(editor_client).has_perm("employees.add_employee")


def test_a_deactivated_user_is_signed_out_at_once(reader_client, reader):
    assert signed_in_user(reader_client).is_authenticated
    reader.is_active = False
    reader.save()
    assert not signed_in_user(reader_client).is_authenticated


def test_a_new_password_signs_out_other_sessions_at_once(reader_client, reader):
    assert signed_in_user(reader_client).is_authenticated
    reader.set_password("another long passphrase")
    reader.save()
    assert not signed_in_user(reader_client).is_authenticated


def test_a_change_to_another_user_keeps_this_one_cached(reader_client, editor, django_assert_num_queries):
    signed_in_user(reader_client).has_perm("employees.add_employee")
    editor.first_name = "Eve"
    editor.save()  # as signing in does, to record last_login
    with django_assert_num_queries(0):
        assert signed_in_user(reader_client).username == "reader"


def test_the_cached_user_comes_with_their_employee_record(reader_client, reader, django_assert_num_queries):
    pat = EmployeeFactory(user=reader)
    signed_in_user(reader_client).has_perm("employees.add_employee")
    with django_assert_num_queries(0):
        assert signed_in_user(reader_client).employee == pat


def test_linking_and_unlinking_an_account_is_seen_at_once(reader_client, reader, editor):
    assert not hasattr(signed_in_user(reader_client), "employee")
    pat = EmployeeFactory(user=reader)
    assert signed_in_user(reader_client).employee == pat
    pat.user = editor  # the link moved to another account: the one it left must not keep it
    pat.save()
    assert not hasattr(signed_in_user(reader_client), "employee")


def test_deleting_the_linked_employee_is_seen_at_once(reader_client, reader):
    pat = EmployeeFactory(user=reader)
    assert signed_in_user(reader_client).employee == pat
    pat.delete()
    assert not hasattr(signed_in_user(reader_client), "employee")


def test_a_change_to_an_unlinked_employee_keeps_signed_in_users_cached(
    reader_client, django_assert_num_queries
):
    signed_in_user(reader_client).has_perm("employees.add_employee")
    pat = EmployeeFactory()
    pat.job_title = "Designer"
    pat.save()
    Employee.objects.get(pk=pat.pk).delete()
    with django_assert_num_queries(0):
        assert signed_in_user(reader_client).username == "reader"


def test_a_link_moved_from_a_record_read_without_its_account_is_seen_at_once(reader_client, reader, editor):
    EmployeeFactory(user=reader)
    assert hasattr(signed_in_user(reader_client), "employee")
    pat = Employee.objects.only("full_name").get(user=reader)
    pat.user = editor
    pat.save()
    assert not hasattr(signed_in_user(reader_client), "employee")
