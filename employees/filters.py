import django_filters
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import search
from .models import Badge, Department, Employee, Location, Skill, catalogues


class EmployeeOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        # Ties broken by name and id in the chosen direction, so that one index serves the whole order.
        if not value:
            return qs
        ordering = self.get_ordering_value(value[0])
        ties = ["-full_name", "-id"] if ordering.startswith("-") else ["full_name", "id"]
        return qs.order_by(ordering, *ties)


class EmployeeFilter(django_filters.FilterSet):
    """The list page's search, filters and sort order: GET parameters, so that a view is a link to share."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        min_length=search.MIN_QUERY_LENGTH,
        max_length=search.MAX_QUERY_LENGTH,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, title, department, skill or badge")}
        ),
    )
    location = django_filters.CharFilter(label=_("Location"), max_length=100)
    title = django_filters.CharFilter(label=_("Job title"), field_name="job_title", max_length=100)
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.all(), to_field_name="slug"
    )
    skill = django_filters.ModelChoiceFilter(
        label=_("Skill"), field_name="skills", queryset=Skill.objects.all(), to_field_name="slug"
    )
    badge = django_filters.ModelChoiceFilter(
        label=_("Badge"), field_name="badges", queryset=Badge.objects.all(), to_field_name="slug"
    )
    # A manager's direct reports, by the manager's id: a menu of managers would be as long as the directory.
    manager = django_filters.UUIDFilter(label=_("Manager"), help_text=_("The id of their manager."))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[("left", _("Left the company"))],
        empty_label=_("Works here"),
        method="leavers",
        widget=forms.Select(attrs={"class": "custom-select"}),
        help_text=_("Only editors see the people who left."),
    )
    sort = EmployeeOrderingFilter(
        label=_("Sort by"),
        # By the location's name its people hold (location_id), not through a join with the catalogue.
        fields=(("full_name", "name"), ("job_title", "title"), ("location_id", "location")),
        field_labels={"full_name": _("Name"), "job_title": _("Job title"), "location_id": _("Location")},
    )

    class Meta:
        model = Employee
        fields = ["q", "location", "title", "department", "skill", "badge", "manager", "status"]

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        if request is None or not request.user.has_perm("employees.change_employee"):
            del self.filters["status"]

    def search(self, queryset, name, value):
        return queryset.search(value)

    def leavers(self, queryset, name, value):
        return queryset  # filter_queryset has chosen them already

    def chosen_people(self, queryset):
        """Those who left if an editor asked for them, else the people who work here."""
        return queryset.filter(left_on__isnull=self.applied.get("status") != "left")

    def filter_queryset(self, queryset):
        return super().filter_queryset(self.chosen_people(queryset))

    @cached_property
    def applied(self):
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.form.cleaned_data.items() if value}

    @cached_property
    def results(self):
        """The list page's employees (``search.Results``); a search without a sort order best first."""
        if self.is_bound and not self.is_valid():
            return search.Results(self.queryset.none())
        people = self.chosen_people(self.queryset)
        for name, value in self.applied.items():
            if name != "q":
                people = self.filters[name].filter(people, value)
        return search.results(people, self.applied.get("q", ""), best_first="sort" not in self.applied)

    @cached_property
    def facets(self):
        """Per filter, its choices as (value, label, count): how many of the results have each, when they are
        at most SEARCH_MATCH_LIMIT; else every choice in the directory, uncounted (count None)."""
        if self.results.more:
            # Job titles are many: their menu comes with the counts, once a search or filter narrows the list.
            locations = Location.objects.values_list("name", flat=True)
            menus = {"location": [(location, location, None) for location in locations]}
            for name, choices in catalogues().items():
                menus[name] = search.by_label((*choice, None) for choice in choices.values())
            return menus
        return self.results.facets()

    @property
    def menus(self):
        """The filters' menus on the list page: (name, label, choices, the value chosen)."""
        return [
            (name, self.filters[name].label, choices, self.data.get(name, ""))
            for name, choices in self.facets.items()
        ]

    @property
    def chips(self):
        """The search and each filter applied, as (label, value, the query string of this list without it)."""
        chips = []
        for name, value in self.applied.items():
            if name == "sort":
                continue
            if name == "status":
                value = dict(self.form.fields["status"].choices)[value]
            elif name == "manager":
                value = Employee.objects.filter(pk=value).values_list("full_name", flat=True).first() or value
            chips.append((self.filters[name].label, value, self.query_without(name)))
        return chips

    @property
    def clear_all(self):
        """The query string of this list without its search and filters: only its sort order."""
        return self.query_without(*(name for name in self.data if name != "sort"))

    @property
    def kept_by_search(self):
        """(name, value) of the filters and sort order that a new search from the top bar keeps."""
        if not self.is_bound:
            return []
        return [
            (name, value)
            for name, values in self.data.lists()
            if name not in ("q", "page")
            for value in values
            if value
        ]

    def query_without(self, *names):
        query = self.data.copy()
        for name in [*names, "page"]:
            query.pop(name, None)
        return f"?{query.urlencode()}" if query else ""

    @property
    def sort_headers(self):
        """The list's sortable column headers: (label, the address that sorts by it, and "ascending" or
        "descending" for the column it is sorted by); a sorted column's address sorts it the other way."""
        chosen, headers = self.data.get("sort", ""), []
        for field, label in [("name", _("Name")), ("title", _("Job title")), ("location", _("Location"))]:
            direction = {field: "ascending", f"-{field}": "descending"}.get(chosen, "")
            query = self.data.copy()
            query.pop("page", None)
            query["sort"] = f"-{field}" if direction == "ascending" else field
            headers.append((label, f"?{query.urlencode()}", direction))
        return headers
