"""What follows any write of a badge, skill, department or location, whoever makes it: their people's search
text."""

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from .models import Badge, Department, Employee, Location, Skill
from .services import refresh_search_text


@receiver(pre_save, sender=Badge)
@receiver(pre_save, sender=Skill)
@receiver(pre_save, sender=Department)
def catalogue_saving(sender, instance, **kwargs):
    old = sender.objects.filter(pk=instance.pk).values_list("name", "slug").first()
    instance.renamed = old is not None and old != (instance.name, instance.slug)


@receiver(post_save, sender=Badge)
@receiver(post_save, sender=Skill)
@receiver(post_save, sender=Department)
def catalogue_saved(sender, instance, **kwargs):
    if instance.renamed:
        refresh_search_text(instance.employees.all())


@receiver(pre_save, sender=Location)
def location_saving(sender, instance, **kwargs):
    instance.old_name = sender.objects.filter(pk=instance.pk).values_list("name", flat=True).first()


@receiver(post_save, sender=Location)
def location_saved(sender, instance, **kwargs):
    """A renamed location's people move to its new name (the key they refer to it by), in the transaction
    of the rename: the database checks their references when it commits."""
    if instance.old_name is not None and instance.old_name != instance.name:
        Employee.objects.filter(location_id=instance.old_name).update(location_id=instance.name)
        refresh_search_text(instance.employees.all())


@receiver(pre_delete, sender=Badge)
@receiver(pre_delete, sender=Skill)
def tag_deleting(sender, instance, **kwargs):
    instance.employee_ids = list(instance.employees.values_list("pk", flat=True))


@receiver(post_delete, sender=Badge)
@receiver(post_delete, sender=Skill)
def tag_deleted(sender, instance, **kwargs):
    refresh_search_text(Employee.objects.filter(pk__in=instance.employee_ids))


@receiver(post_save, sender=Employee)
def employee_loaded(sender, instance, raw, **kwargs):
    # loaddata saves a row as it is (its search text too), then its badges and skills: restoring a backup or
    # loading sample data is no change to record, and its history rows come from the same data.
    if raw:
        instance.skip_history_when_saving = True
