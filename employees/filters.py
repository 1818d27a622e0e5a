import hashlib
from typing import NamedTuple

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, F, Value
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import SEARCH_MAX_LENGTH, SEARCH_MIN_LENGTH, Badge, Department, Employee, Skill
from .pagination import InOrder
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


class Counts(NamedTuple):
    """What the facets' query finds: the facets; with a search, the ids of the matches they count (else None);
    whether more than SEARCH_MATCH_LIMIT match; whether a facet counts only that many of its matches."""

    facets: dict
    found: list | None = None
    more: bool = False
    sampled: bool = False


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

    def filtered_without(self, *excluded):
        """The queryset with every filter applied but those named in ``excluded``."""
        queryset = self.queryset.all()
        for name, value in self.applied.items():
            if name not in {*excluded, "sort"}:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def first_found(self, queryset):
        """``queryset``, this filter's rows in their order; with a search, only the matches the facets count
        (the first SEARCH_MATCH_LIMIT found, whose ids the facets' query read): what the list page ranks and
        pages, without searching again."""
        if self.counted.found is None:
            return queryset
        if not self.applied.get("sort"):
            # In the search's order, as the facets' query ranked them: a page reads its own rows only.
            return InOrder(self.queryset, self.counted.found)
        return self.queryset.with_ids(self.counted.found).order_by(*queryset.query.order_by)

    @property
    def facets(self):
        """How many employees the current filters find, in total and per location, job title and badge."""
        return self.counted.facets

    @property
    def more_than_limit(self):
        """Whether more than SEARCH_MATCH_LIMIT employees match the search: only that many are counted."""
        return self.counted.more

    @property
    def facets_sampled(self):
        """Whether some of the counts per location, title… are those of the first SEARCH_MATCH_LIMIT found."""
        return self.counted.sampled

    @property
    def match_limit(self):
        return settings.SEARCH_MATCH_LIMIT

    @cached_property
    def counted(self):
        """The facets, with a search the ids of the matches they count, and whether they count them all.

        One SQL query for all, cached until an employee or a badge changes or FACETS_CACHE_SECONDS pass.
        """
        if self.is_bound and not self.is_valid():
            return Counts(self.empty_facets())
        return cache.get_or_set(f"employees:facets:{self.facets_key}", self.count_facets, self.facets_timeout)

    @cached_property
    def facets_key(self):
        """Names the current filters and the state of the directory: a key for what depends on both."""
        # Empty filters are left out: "/" and "/?q=&location=" find the same employees.
        filters = sorted(
            (name, str(value)) for name, value in self.applied.items() if name != "sort" and value
        )
        digest = hashlib.sha256(repr((filters, settings.SEARCH_MATCH_LIMIT)).encode()).hexdigest()
        return f"{facets_generation()}:{digest}"

    @property
    def facets_timeout(self):
        return settings.FACETS_CACHE_SECONDS

    @staticmethod
    def empty_facets():
        return {"total": 0, "location": [], "title": [], "badge": {}, "department": [], "skill": []}

    def count_facets(self):
        """The total and the counts per location, job title, badge, department and skill, and with a search
        the ids of the matches counted: one SQL query.

        A search counts its first SEARCH_MATCH_LIMIT matches only, and tells whether more match.
        """
        searched, limit = bool(self.applied.get("q")), settings.SEARCH_MATCH_LIMIT
        rows = self.count_search_facets() if searched else self.count_directory_facets()
        facets, found, more, sampled = self.empty_facets(), [], False, False
        for facet, value, label, count in rows:
            if facet == "total":
                more = searched and count > limit
                facets["total"] = limit if more else count
            elif facet == "found":
                found.append((count, value))
            elif facet == "read":
                sampled = sampled or count > limit
            elif facet == "badge":
                facets["badge"][value] = count
            elif facet in NAMED_FACETS:
                facets[facet].append((value, label, count))
            else:
                facets[facet].append((value, count))
        facets["location"].sort()
        facets["title"].sort()
        for name in NAMED_FACETS:
            facets[name].sort(key=lambda facet: (facet[1].casefold(), facet[0]))
        found = [pk for _rank, pk in sorted(found)] if searched else None
        return Counts(facets, found, more, more or sampled)

    def count_directory_facets(self):
        """Without a search: each count reads the table through its own index."""

        def counts(queryset, facet, column, label):
            return (
                queryset.order_by()
                .annotate(facet=Value(facet), value=column, label=label)
                .values_list("facet", "value", "label")
                .annotate(count=Count("pk"))
            )

        no_label = Value("", output_field=CharField())
        total = counts(self.filtered_without(), "total", Value(""), no_label)
        per_facet = [
            counts(
                self.filtered_without(name).filter(**{f"{column}__isnull": False}),
                name,
                F(column),
                F(NAMED_FACETS[name]) if name in NAMED_FACETS else no_label,
            )
            for name, column in FACET_FIELDS.items()
        ]
        return total.union(*per_facet, all=True)

    def count_search_facets(self):
        """With a search: the counts of its first SEARCH_MATCH_LIMIT matches, one query.

        The matches of the search and every filter are read once into a materialized CTE, at most the
        limit and one more (which tells that more match, without reading them all); the total and the facets
        count the first SEARCH_MATCH_LIMIT of them. A facet whose filter is set counts, ignoring it, the
        matches of the search and the other filters, read the same way into a CTE of its own. The badge,
        department and skill counts join their tables.
        """
        limit = settings.SEARCH_MATCH_LIMIT
        BadgeLink, SkillLink = Employee.badges.through, Employee.skills.through
        search = self.applied["q"]
        found = {"total": self.filtered_without("q")}
        found |= {name: self.filtered_without("q", name) for name in FACET_FIELDS if self.applied.get(name)}
        ctes, params = [], []
        # What the facets count, and what ranks the matches as the search does (see models.search_rank).
        columns = ["id", "location", "job_title", "department_id"]
        columns += ["full_name", "search_tier", "search_distance"]
        for name, queryset in found.items():
            sql, found_params = queryset.first_found(search, limit + 1, *columns).query.sql_with_params()
            ctes.append(f"found_{name} AS MATERIALIZED ({sql})")
            params.extend(found_params)

        def matches(facet):
            source = f"found_{facet}" if facet in found else "found_total"
            return f"(SELECT * FROM {source} LIMIT {int(limit)}) matches"  # noqa: S608 (names from the code)

        tables = {model: model._meta.db_table for model in (Badge, BadgeLink, Department, Skill, SkillLink)}
        query = f"""
            WITH {", ".join(ctes)}
            SELECT 'total', '', '', COUNT(*) FROM found_total
            UNION ALL
            SELECT 'found', CAST(id AS text), '',
                ROW_NUMBER() OVER (ORDER BY search_tier, search_distance, full_name, id)
            FROM {matches(None)}
            UNION ALL
            {" ".join(f"SELECT 'read', '', '', COUNT(*) FROM found_{name} UNION ALL" for name in found)}
            SELECT 'location', location, '', COUNT(*) FROM {matches("location")} GROUP BY location
            UNION ALL
            SELECT 'title', job_title, '', COUNT(*) FROM {matches("title")} GROUP BY job_title
            UNION ALL
            SELECT 'badge', badge.slug, '', COUNT(*) FROM {matches("badge")}
            JOIN {tables[BadgeLink]} link ON link.employee_id = matches.id
            JOIN {tables[Badge]} badge ON badge.id = link.badge_id
            GROUP BY badge.slug
            UNION ALL
            SELECT 'department', department.slug, department.name, COUNT(*) FROM {matches("department")}
            JOIN {tables[Department]} department ON department.id = matches.department_id
            GROUP BY department.slug, department.name
            UNION ALL
            SELECT 'skill', skill.slug, skill.name, COUNT(*) FROM {matches("skill")}
            JOIN {tables[SkillLink]} link ON link.employee_id = matches.id
            JOIN {tables[Skill]} skill ON skill.id = link.skill_id
            GROUP BY skill.slug, skill.name
        """  # noqa: S608 (table and column names from the models, values as parameters)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall()

    def badge_facets(self):
        """Every badge, as (slug, name, employees found with it), in the catalogue's order."""
        counts = self.facets["badge"]
        return [(badge.slug, badge.name, counts.get(badge.slug, 0)) for badge in badge_catalogue()]
