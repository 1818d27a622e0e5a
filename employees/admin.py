from dataclasses import replace

from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from .forms import VersionedEmployeeForm
from .models import Badge, Department, Employee, Skill
from .resources import EmployeeResource
from .spreadsheets import IMPORT_FORMATS

# Shown in the admin only to those who may change employees: with_private_fields decides who sees them on the
# site, and a read-only admin page, a past version or a change's diff would otherwise show them to any staff.
PRIVATE_FIELDS = ["mobile", "start_date"]


def hides_private_fields(request):
    return not request.user.has_perm("employees.change_employee")


class PublicChangesContext(HistoricalRecordContextHelper):
    """A change history entry's diff without the private fields."""

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field not in PRIVATE_FIELDS]
        fields = [field for field in delta.changed_fields if field not in PRIVATE_FIELDS]
        return super().context_for_delta_changes(replace(delta, changes=changes, changed_fields=fields))


class PrivateFieldsMixin:
    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude + PRIVATE_FIELDS if hides_private_fields(request) else exclude


@admin.register(Badge)
class BadgeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "icon", "position"]
    list_editable = ["position"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments; one that still has people or departments under it cannot be deleted."""

    list_display = ["name", "parent", "headcount"]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(headcount=Count("employees"))

    @admin.display(description=_("people"), ordering="headcount")
    def headcount(self, department):
        return department.headcount


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "headcount"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(headcount=Count("employees"))

    @admin.display(description=_("people"), ordering="headcount")
    def headcount(self, skill):
        return skill.headcount


@admin.register(Employee)
class EmployeeAdmin(PrivateFieldsMixin, ImportMixin, SimpleHistoryAdmin):
    """Change history, and imports of CSV and XLSX files: a preview of every row first, then all rows in one
    transaction."""

    # The directory's form: it refuses a save over someone else's newer version, here as on the site.
    form = VersionedEmployeeForm
    resource_classes = [EmployeeResource]
    import_formats = IMPORT_FORMATS
    list_display = ["full_name", "job_title", "location", "badge_names"]
    list_filter = ["department", "location", "badges"]
    search_fields = ["full_name", "job_title", "location", "badges__name"]
    filter_horizontal = ["badges"]
    # Never a <select> of every account or employee: the directory may hold a million. The account is the
    # one that may edit this record under "My profile", looked up by user name.
    autocomplete_fields = ["user", "department", "manager", "skills"]
    readonly_fields = ["created_at", "updated_at"]
    # Photos go through the directory's own form, which validates and re-encodes them.
    exclude = ["photo"]
    # Counting every row of a large table for "N total" costs more than the page itself.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).with_badges()

    @transaction.atomic
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting saves through the versioned form, whose row lock needs a transaction.
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        if hides_private_fields(request):
            return PublicChangesContext(self.model, historical_record)
        return super().get_historical_record_context_helper(request, historical_record)

    def has_import_permission(self, request):
        # An import both adds and changes employees.
        return request.user.has_perms(["employees.add_employee", "employees.change_employee"])

    def get_import_data_kwargs(self, **kwargs):
        # A row that turned invalid between the preview and the confirmation cancels the whole import.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def get_search_results(self, request, queryset, search_term):
        """Search the way the directory does, so staff get the same results in both places."""
        if not search_term:
            return queryset, False
        return queryset.search(search_term), False

    @admin.display(description=_("badges"))
    def badge_names(self, employee):
        return ", ".join(badge.name for badge in employee.badges.all())


@admin.register(Employee.history.model)
class EmployeeHistoryAdmin(PrivateFieldsMixin, admin.ModelAdmin):
    """Every recorded change, deletions included: a deleted employee is restored from its history page."""

    list_display = ["full_name", "history_type", "history_date", "history_user", "history_link"]
    list_filter = ["history_type"]
    search_fields = ["full_name"]
    date_hierarchy = "history_date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("history"))
    def history_link(self, record):
        url = reverse("admin:employees_employee_history", args=[record.id])
        return format_html('<a href="{}">{}</a>', url, _("History and restore"))
