import time

from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import UNKNOWN_LINK, Employee

AUTH_GENERATION_KEY = "auth:generation"
# How long an unused signed-in user stays cached. A change to the user forgets their entry, and any change to
# groups or permissions makes every entry stale at once, so this only bounds how long unused entries stay.
USER_CACHE_SECONDS = 300


def auth_generation():
    return cache.get_or_set(AUTH_GENERATION_KEY, time.time_ns, timeout=None)


def forget_users():
    """Make every cached user stale: the next request of each reads its user and permissions again."""
    try:
        cache.incr(AUTH_GENERATION_KEY)
    except ValueError:
        cache.set(AUTH_GENERATION_KEY, time.time_ns(), timeout=None)


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, with the signed-in user, their employee record and their permissions read from
    the cache.

    Every page needs the user, asks for the permissions (the navigation shows "Add employee" only to editors)
    and for the employee record (it shows "My profile" only to a user who has one): from the cache, a page
    costs no query for any of them. A user read from the database comes with their employee record, has their
    own and group permissions read in one query instead of two, and is cached with both. The receivers below
    forget the entries a change to users, employees, groups or permissions makes stale.
    """

    def get_user(self, user_id):
        key = user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = get_user_model()._default_manager.select_related("employee").filter(pk=user_id).first()
            if user is None or not self.user_can_authenticate(user):
                return None
            self.get_all_permissions(user)
            cache.set(key, user, USER_CACHE_SECONDS)
        return user

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache


def user_key(user_id):
    return f"auth:user:{auth_generation()}:{user_id}"


def forget_user(user_id):
    cache.delete(user_key(user_id))


def after_this_change_and_its_commit(forget, *args):
    # Now, so that the rest of this transaction sees the change, and again once it is committed, so that a
    # user another request read meanwhile (still the old row) is not kept either.
    forget(*args)
    transaction.on_commit(lambda: forget(*args))


User = get_user_model()


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def user_changed(sender, instance, **kwargs):
    # Only this user: a sign-in saves the user (last_login), which must not make every other user stale.
    after_this_change_and_its_commit(forget_user, instance.pk)


@receiver(post_save, sender=Employee)
@receiver(post_delete, sender=Employee)
def employee_changed(sender, instance, created=False, raw=False, **kwargs):
    """Forget the cached users of the accounts this record is and was linked to, whose navigation shows it;
    every user's if the earlier link is not known (a row saved by loaddata or restored from its history, or
    one read without its account)."""
    before = getattr(instance, "linked_user_id", None if created else UNKNOWN_LINK)
    if raw or before is UNKNOWN_LINK:
        after_this_change_and_its_commit(forget_users)
    else:
        for user_id in {before, instance.user_id} - {None}:
            after_this_change_and_its_commit(forget_user, user_id)
    instance.linked_user_id = instance.user_id


@receiver(post_save, sender=Group)
@receiver(post_delete, sender=Group)
@receiver(post_save, sender=Permission)
@receiver(post_delete, sender=Permission)
@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=Group.permissions.through)
def permissions_changed(**kwargs):
    after_this_change_and_its_commit(forget_users)
