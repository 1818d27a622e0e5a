import hashlib

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import SEARCH_MAX_LENGTH, SEARCH_MIN_LENGTH, Badge, Employee
from .signals import facets_generation

# Filters the list page counts the values of. Each count ignores its own filter, so that the other locations
# stay selectable once one is chosen.
FACET_FIELDS = ["location", "title", "badge"]


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
                "placeholder": _("Name, title, location or badge"),
            }
        ),
    )
    location = django_filters.CharFilter(label=_("Location"), max_length=100)
    title = django_filters.CharFilter(label=_("Job title"), field_name="job_title", max_length=100)
    badge = django_filters.ChoiceFilter(
        label=_("Badge"), field_name="badges__slug", choices=badge_choices, empty_label=_("All badges")
    )
    sort = EmployeeOrderingFilter(
        label=_("Sort by"),
        fields=(("full_name", "name"), ("job_title", "title"), ("location", "location")),
        field_labels={"full_name": _("Name"), "job_title": _("Job title"), "location": _("Location")},
    )

    class Meta:
        model = Employee
        fields = ["q", "location", "title", "badge"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    @property
    def applied(self):
        """The valid filter values, by filter name; none when the page was opened without parameters."""
        return self.form.cleaned_data if self.is_bound else {}

    def filtered_without(self, *excluded):
        """The queryset with every filter applied but those named in ``excluded``."""
        queryset = self.queryset.all()
        for name, value in self.applied.items():
            if name not in {*excluded, "sort"}:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @cached_property
    def facets(self):
        """How many employees the current filters find, in total and per location, job title and badge.

        One SQL query for all, cached until an employee or a badge changes or FACETS_CACHE_SECONDS pass.
        """
        if self.is_bound and not self.is_valid():
            return {"total": 0, "location": [], "title": [], "badge": {}}
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

    def count_facets(self):
        """The total and the counts per location, job title and badge: one SQL query."""
        rows = self.count_search_facets() if self.applied.get("q") else self.count_directory_facets()
        facets = {"total": 0, "location": [], "title": [], "badge": {}}
        for facet, value, count in rows:
            if facet == "total":
                facets["total"] = count
            elif facet == "badge":
                facets["badge"][value] = count
            else:
                facets[facet].append((value, count))
        facets["location"].sort()
        facets["title"].sort()
        return facets

    def count_directory_facets(self):
        """Without a search: each count reads the table through its own index."""

        def counts(queryset, facet, column):
            return (
                queryset.order_by()
                .annotate(facet=Value(facet), value=column)
                .values_list("facet", "value")
                .annotate(count=Count("pk"))
            )

        total = counts(self.filtered_without(), "total", Value(""))
        columns = {"location": "location", "title": "job_title", "badge": "badges__slug"}
        per_facet = [
            counts(self.filtered_without(name).filter(**{f"{column}__isnull": False}), name, F(column))
            for name, column in columns.items()
        ]
        return total.union(*per_facet, all=True)

    def count_search_facets(self):
        """With a search: the matches are found once, not once per count.

        They are read into a materialized CTE with a flag per facet filter, and each count reads that set; the
        badge count joins it to the badge links.
        """
        Link = Employee.badges.through
        applied = self.applied
        flags = {
            "in_location": Q(location=applied["location"]) if applied.get("location") else Value(True),
            "with_title": Q(job_title=applied["title"]) if applied.get("title") else Value(True),
            "with_badge": Exists(Link.objects.filter(employee=OuterRef("pk"), badge__slug=applied["badge"]))
            if applied.get("badge")
            else Value(True),
        }
        matches = (
            self.filtered_without(*FACET_FIELDS)
            .order_by()
            .annotate(**{name: ExpressionWrapper(flag, BooleanField()) for name, flag in flags.items()})
            .values("id", "location", "job_title", *flags)
        )
        sql, params = matches.query.sql_with_params()
        links, badges = Link._meta.db_table, Badge._meta.db_table
        query = f"""
            WITH matches AS MATERIALIZED ({sql})
            SELECT 'total', '', COUNT(*) FROM matches WHERE in_location AND with_title AND with_badge
            UNION ALL
            SELECT 'location', location, COUNT(*) FROM matches
            WHERE with_title AND with_badge GROUP BY location
            UNION ALL
            SELECT 'title', job_title, COUNT(*) FROM matches
            WHERE in_location AND with_badge GROUP BY job_title
            UNION ALL
            SELECT 'badge', badge.slug, COUNT(*) FROM matches
            JOIN {links} link ON link.employee_id = matches.id JOIN {badges} badge ON badge.id = link.badge_id
            WHERE in_location AND with_title GROUP BY badge.slug
        """  # noqa: S608 (table names from the models, values as parameters)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def badge_facets(self):
        """Every badge, as (slug, name, employees found with it), in the catalogue's order."""
        counts = self.facets["badge"]
        return [(badge.slug, badge.name, counts.get(badge.slug, 0)) for badge in badge_catalogue()]
