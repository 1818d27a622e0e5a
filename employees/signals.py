"""Keep the search text and the cached facet counts in step with employees, badges, skills and departments."""

import time

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from .models import Badge, Department, Employee, Skill

FACETS_GENERATION_KEY = "employees:facets-generation"


def facets_generation():
    # A cache that drops the number (full, restarted) starts again from the clock, never from an older
    # number whose cached pages and counts may still be there.
    return cache.get_or_set(FACETS_GENERATION_KEY, time.time_ns, timeout=None)


def forget_facets():
    """Make every cached facet count and list page stale: the next list page counts and renders again."""
    try:
        cache.incr(FACETS_GENERATION_KEY)
    except ValueError:
        cache.set(FACETS_GENERATION_KEY, time.time_ns(), timeout=None)


@receiver(m2m_changed, sender=Employee.badges.through)
@receiver(m2m_changed, sender=Employee.skills.through)
def tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and reverse:
        instance._cleared_employee_ids = list(instance.employees.values_list("pk", flat=True))
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        employee_ids = [instance.pk]
    elif action == "post_clear":
        employee_ids = getattr(instance, "_cleared_employee_ids", [])
    else:
        employee_ids = pk_set or []
    Employee.objects.filter(pk__in=employee_ids).refresh_search_text()
    forget_facets()


@receiver(pre_save, sender=Badge)
@receiver(pre_save, sender=Skill)
@receiver(pre_save, sender=Department)
def name_saving(sender, instance, **kwargs):
    old_name = (
        sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first() if instance.pk else None
    )
    instance._renamed = old_name is not None and old_name != instance.name


@receiver(post_save, sender=Badge)
@receiver(post_save, sender=Skill)
@receiver(post_save, sender=Department)
def name_saved(sender, instance, created, **kwargs):
    # Only a new name changes what the search finds; reordering badges must not rewrite every employee.
    if getattr(instance, "_renamed", False):
        instance.employees.all().refresh_search_text()
    forget_facets()


@receiver(pre_delete, sender=Badge)
@receiver(pre_delete, sender=Skill)
def tag_deleting(sender, instance, **kwargs):
    instance._employee_ids = list(instance.employees.values_list("pk", flat=True))


@receiver(post_delete, sender=Badge)
@receiver(post_delete, sender=Skill)
def tag_deleted(sender, instance, **kwargs):
    Employee.objects.filter(pk__in=instance._employee_ids).refresh_search_text()
    forget_facets()


@receiver(post_delete, sender=Department)
def department_deleted(sender, **kwargs):
    # Only a department nobody works in can be deleted (PROTECT): no employee's search text changes.
    forget_facets()


@receiver(post_save, sender=Employee)
def employee_saved(sender, instance, raw, **kwargs):
    if raw:  # loaddata saves rows as they are, without Employee.save()
        Employee.objects.filter(pk=instance.pk).refresh_search_text()
        # loaddata then sets the row's badges: restoring a backup is not a change to record in the history,
        # whose own rows the backup restores as they were.
        instance.skip_history_when_saving = True
    forget_facets()


@receiver(post_delete, sender=Employee)
def employee_deleted(sender, **kwargs):
    forget_facets()
