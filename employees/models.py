import uuid

from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def photo_path(employee, filename):
    """A random name, so a photo's address tells nothing and cannot be guessed from the employee."""
    return f"photos/{uuid.uuid4().hex}.webp"


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

    def with_headcount(self):
        # Meta.ordering is not applied to a GROUP BY query, so the order is given again.
        return self.annotate(headcount=models.Count("employees")).order_by("position", "name")


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

    def headcount_by_location(self):
        return self.order_by("location").values("location").annotate(headcount=models.Count("id"))


class Employee(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(_("full name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=100)
    location = models.CharField(
        _("location"), max_length=100, help_text=_("The office or city where this person works.")
    )
    badges = models.ManyToManyField(Badge, blank=True, related_name="employees", verbose_name=_("badges"))
    photo = models.ImageField(
        _("photo"),
        upload_to=photo_path,
        blank=True,
        help_text=_("Optional. A JPEG, PNG or WebP image of at most 5 MB and 4,000 pixels on a side."),
    )
    photo_thumbnail = models.ImageField(
        _("photo thumbnail"), upload_to=photo_path, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EmployeeQuerySet.as_manager()

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

    def get_absolute_url(self):
        return reverse("employees:detail", kwargs={"pk": self.pk})

    @property
    def initials(self):
        """Up to two letters for the avatar shown when there is no photo: "Ana María García" gives "AG"."""
        words = self.full_name.split()
        return "".join(word[0] for word in words[:1] + words[1:][-1:]).upper()

    @property
    def avatar_color(self):
        """One of eight avatar colours, always the same for one employee."""
        return self.pk.int % 8 if self.pk else 0
