from django.contrib.auth import backends
from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, reading a user's own and group permissions in one query instead of two.

    Every page asks for the permissions once (the navigation shows "Add employee" only to editors).
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            # Unordered, and with subqueries rather than Django's joins through every table: PostgreSQL
            # plans it in a third of the time, which is most of what the query costs.
            permissions = Permission.objects.order_by()
            if not user_obj.is_superuser:
                own = User.user_permissions.through.objects.filter(user=user_obj)
                groups = User.groups.through.objects.filter(user=user_obj).values("group_id")
                of_groups = Group.permissions.through.objects.filter(group__in=groups)
                permissions = permissions.filter(
                    Q(pk__in=own.values("permission_id")) | Q(pk__in=of_groups.values("permission_id"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache
