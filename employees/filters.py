import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Badge, Employee


class EmployeeOrderingFilter(django_filters.OrderingFilter):
    def filter(self, qs, value):
        # Break ties by name and id so that pages are stable when many people share a title or location.
        qs = super().filter(qs, value)
        return qs.order_by(*qs.query.order_by, "full_name", "id") if value else qs


def location_choices():
    return [(location, location) for location in Employee.objects.locations()]


class EmployeeFilter(django_filters.FilterSet):
    """The list page's search, filters and sort order: GET parameters, so a view is a shareable link."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control",
                "placeholder": _("Name, title, location or badge"),
            }
        ),
    )
    location = django_filters.ChoiceFilter(
        label=_("Location"),
        choices=location_choices,
        empty_label=_("All locations"),
        widget=forms.Select(attrs={"class": "custom-select"}),
    )
    badge = django_filters.ModelChoiceFilter(
        label=_("Badge"),
        field_name="badges",
        to_field_name="slug",
        queryset=Badge.objects.all(),
        empty_label=_("All badges"),
        widget=forms.Select(attrs={"class": "custom-select"}),
    )
    sort = EmployeeOrderingFilter(
        label=_("Sort by"),
        fields=(("full_name", "name"), ("job_title", "title"), ("location", "location")),
        field_labels={"full_name": _("Name"), "job_title": _("Job title"), "location": _("Location")},
    )

    class Meta:
        model = Employee
        fields = ["q", "location", "badge"]

    def search(self, queryset, name, value):
        return queryset.search(value)
