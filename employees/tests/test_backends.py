import pytest

from .factories import UserFactory

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
