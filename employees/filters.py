import hashlib

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import CharField, Count, F, Value
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import SEARCH_MAX_LENGTH, SEARCH_MIN_LENGTH, Badge, Employee
from .signals import facets_generation

# Facets the list page counts, by filter name: the column each counts and the filter it must ignore, so that
# the other locations stay selectable once one is chosen.
FACET_FIELDS = {
    "location": "location",
    "title": "job_title",
    "badge": "badges__slug",
    "department": "department__slug",
    "skill": "skills__slug",
}
# Facets counted by slug and listed with the name read in the same query: (slug, name, count) by name.
NAMED_FACETS = {"department": "department__name", "skill": "skills__name"}


class EmployeeOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        # Break ties by name and id so that pages are stable when many people share a title or location.
        # Tie breakers follow the direction of the chosen column, so that one index serves the whole order.
        qs = super().filter(qs, value)
        if not value:
            return qs
        descending = value[0].startswith("-")
        tie_breakers = ["-full_name", "-id"] if descending else ["full_name", "id"]
        return qs.order_by(*qs.query.order_by, *tie_breakers)


def badge_catalogue():
    """Every badge, from the cache: a small catalogue that rarely changes (saving a badge refreshes it)."""
    key = f"employees:badges:{facets_generation()}"
    return cache.get_or_set(key, lambda: list(Badge.objects.all()), settings.FACETS_CACHE_SECONDS)


def badge_choices():
    return [(badge.slug, badge.name) for badge in badge_catalogue()]


class EmployeeFilter(django_filters.FilterSet):
    """The list page's search, filters and sort order: GET parameters, so a view is a shareable link."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        min_length=SEARCH_MIN_LENGTH,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("Name, title, department, skill or badge"),
            }
        ),
    )
    location = django_filters.CharFilter(label=_("Location"), max_length=100)
    title = django_filters.CharFilter(label=_("Job title"), field_name="job_title", max_length=100)
    badge = django_filters.ChoiceFilter(
        label=_("Badge"), field_name="badges__slug", choices=badge_choices, empty_label=_("All badges")
    )
    department = django_filters.CharFilter(
        label=_("Department"), field_name="department__slug", max_length=100
    )
    skill = django_filters.CharFilter(label=_("Skill"), field_name="skills__slug", max_length=60)
    sort = EmployeeOrderingFilter(
        label=_("Sort by"),
        fields=(("full_name", "name"), ("job_title", "title"), ("location", "location")),
        field_labels={"full_name": _("Name"), "job_title": _("Job title"), "location": _("Location")},
    )

    class Meta:
        model = Employee
        fields = ["q", "location", "title", "badge", "department", "skill"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    @property
    def applied(self):
        """The valid filter values, by filter name; none when the page was opened without parameters."""
        return self.form.cleaned_data if self.is_bound else {}

    def filtered_without(self, excluded):
        """The queryset with every filter applied but ``excluded``."""
        queryset = self.queryset.all()
        for name, value in self.applied.items():
            if name not in {excluded, "sort"}:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @cached_property
    def facets(self):
        """How many employees the current filters find, in total and per location, job title and badge.

        One SQL query for all, cached until an employee or a badge changes or FACETS_CACHE_SECONDS pass.
        """
        if self.is_bound and not self.is_valid():
            return self.empty_facets()
        return cache.get_or_set(f"employees:facets:{self.facets_key}", self.count_facets, self.facets_timeout)

    @cached_property
    def facets_key(self):
        """Names the current filters and the state of the directory: a key for what depends on both."""
        # Empty filters are left out: "/" and "/?q=&location=" find the same employees.
        filters = sorted(
            (name, str(value)) for name, value in self.applied.items() if name != "sort" and value
        )
        digest = hashlib.sha256(repr(filters).encode()).hexdigest()
        return f"{facets_generation()}:{digest}"

    @property
    def facets_timeout(self):
        return settings.FACETS_CACHE_SECONDS

    @staticmethod
    def empty_facets():
        return {"total": 0, "location": [], "title": [], "badge": {}, "department": [], "skill": []}

    def count_facets(self):
        def counts(queryset, facet, column, label):
            return (
                queryset.order_by()
                .annotate(facet=Value(facet), value=column, label=label)
                .values("facet", "value", "label")
                .annotate(count=Count("pk"))
            )

        no_label = Value("", output_field=CharField())
        total = counts(self.filtered_without(None), "total", Value(""), no_label)
        per_facet = [
            counts(
                self.filtered_without(name).filter(**{f"{column}__isnull": False}),
                name,
                F(column),
                F(NAMED_FACETS[name]) if name in NAMED_FACETS else no_label,
            )
            for name, column in FACET_FIELDS.items()
        ]
        facets = self.empty_facets()
        for row in total.union(*per_facet, all=True):
            if row["facet"] == "total":
                facets["total"] = row["count"]
            elif row["facet"] == "badge":
                facets["badge"][row["value"]] = row["count"]
            elif row["facet"] in NAMED_FACETS:
                facets[row["facet"]].append((row["value"], row["label"], row["count"]))
            else:
                facets[row["facet"]].append((row["value"], row["count"]))
        facets["location"].sort()
        facets["title"].sort()
        for name in NAMED_FACETS:
            facets[name].sort(key=lambda facet: (facet[1].casefold(), facet[0]))
        return facets

    def badge_facets(self):
        """Every badge, as (slug, name, employees found with it), in the catalogue's order."""
        counts = self.facets["badge"]
        return [(badge.slug, badge.name, counts.get(badge.slug, 0)) for badge in badge_catalogue()]
