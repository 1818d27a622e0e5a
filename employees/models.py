import uuid

from django.db import models, transaction
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def not_blank(field):
    """A check constraint that rejects empty and space-only values of ``field`` in the database itself."""
    return models.CheckConstraint(
        condition=GreaterThan(Length(Trim(field)), 0),
        name=f"%(app_label)s_%(class)s_{field}_not_blank",
        violation_error_message=_("This field cannot be blank."),
    )


class BadgeManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Badge(models.Model):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    icon = models.CharField(
        _("icon"),
        max_length=50,
        help_text=_("Font Awesome 4.7 icon name without the “fa-” prefix, for example “coffee”."),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Badges are listed by position, then by name.")
    )

    objects = BadgeManager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [not_blank("name"), not_blank("slug")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class EmployeeQuerySet(models.QuerySet):
    def search(self, query):
        """Employees matching every word of ``query`` in their name, title, location or a badge name."""
        queryset = self
        for term in query.split():
            queryset = queryset.filter(
                models.Q(full_name__icontains=term)
                | models.Q(job_title__icontains=term)
                | models.Q(location__icontains=term)
                | models.Q(
                    models.Exists(Badge.objects.filter(employees=models.OuterRef("pk"), name__icontains=term))
                )
            )
        return queryset

    def in_location(self, location):
        return self.filter(location=location)

    def with_badge(self, badge):
        return self.filter(badges=badge)

    def with_badges(self):
        """Prefetch badges in one extra query, whatever the number of employees."""
        return self.prefetch_related("badges")

    def locations(self):
        return self.order_by("location").values_list("location", flat=True).distinct()


class Employee(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(_("full name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=100)
    location = models.CharField(
        _("location"), max_length=100, help_text=_("The office or city where this person works.")
    )
    badges = models.ManyToManyField(Badge, blank=True, related_name="employees", verbose_name=_("badges"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Goes up by one on every save; guards against lost updates.")
    )

    objects = EmployeeQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[badges], excluded_fields=["created_at", "updated_at"])

    class EditConflict(Exception):
        """Someone else saved this employee after the version being saved was read."""

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [
            models.Index(fields=["full_name", "id"], name="employee_name_idx"),
            models.Index(fields=["job_title", "full_name", "id"], name="employee_title_idx"),
            models.Index(fields=["location", "full_name", "id"], name="employee_location_idx"),
        ]
        constraints = [not_blank("full_name"), not_blank("job_title"), not_blank("location")]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        """Save only if the row is still at ``self.version``; else raise ``EditConflict``.

        The check and the version bump are one UPDATE, so two saves of the same version cannot both succeed.
        A row that no longer exists (a deleted employee restored from history) is inserted again.
        """
        with transaction.atomic():
            if not self._state.adding:
                rows = type(self).objects.filter(pk=self.pk)
                if rows.filter(version=self.version).update(version=models.F("version") + 1):
                    self.version += 1
                elif rows.exists():
                    raise self.EditConflict
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("employees:detail", kwargs={"pk": self.pk})

    def recent_changes(self, limit=20):
        """The last ``limit`` history records, newest first, with ``changes``: (label, old, new) triples."""
        records = list(self.history.select_related("history_user")[:limit])
        badge_names = {badge.pk: badge.name for badge in Badge.objects.all()}

        def readable(field, value):
            if field.many_to_many:
                return ", ".join(sorted(badge_names.get(link["badge"], "?") for link in value))
            return value

        for record in records:
            previous = record.prev_record
            delta = record.diff_against(previous).changes if previous else []
            record.changes = []
            for change in delta:
                field = self._meta.get_field(change.field)
                if field.name != "version":
                    record.changes.append(
                        (field.verbose_name, readable(field, change.old), readable(field, change.new))
                    )
        return records
