from dataclasses import replace

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models.constants import LOOKUP_SEP
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import jobs, services
from .forms import VersionedEmployeeForm
from .models import Badge, Department, Employee, Location, Skill
from .resources import CSV, XLSX, EmployeeResource, ImportRefused, ImportUploads

# Shown in the admin only to those who may change employees: with_private_fields decides who sees them on the
# site, and a read-only admin page, a past version or a change's diff would otherwise show them to any staff.
PRIVATE_FIELDS = ["mobile", "start_date"]


def hides_private_fields(request):
    return not request.user.has_perm("employees.change_employee")


class PublicChangesContext(HistoricalRecordContextHelper):
    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field not in PRIVATE_FIELDS]
        fields = [field for field in delta.changed_fields if field not in PRIVATE_FIELDS]
        return super().context_for_delta_changes(replace(delta, changes=changes, changed_fields=fields))


class PrivateFieldsMixin:
    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude + PRIVATE_FIELDS if hides_private_fields(request) else exclude

    def lookup_allowed(self, lookup, value, request):
        """No filtering on a private field in the address (``?mobile__startswith=+34``) by those who may not
        see it: whether a row is listed would tell its value, a character at a time."""
        if hides_private_fields(request) and lookup.split(LOOKUP_SEP)[0] in PRIVATE_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)


class HeadcountAdmin(admin.ModelAdmin):
    """A catalogue with how many people work here in each entry's row."""

    def get_queryset(self, request):
        return super().get_queryset(request).with_headcount()

    @admin.display(description=_("people"), ordering="headcount")
    def headcount(self, obj):
        return obj.headcount


class CatalogueAdmin(HeadcountAdmin):
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Badge)
class BadgeAdmin(CatalogueAdmin):
    list_display = ["name", "slug", "icon", "position", "headcount"]
    list_editable = ["position"]


@admin.register(Department)
class DepartmentAdmin(CatalogueAdmin):
    list_display = ["name", "parent", "headcount"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Skill)
class SkillAdmin(CatalogueAdmin):
    list_display = ["name", "slug", "headcount"]


@admin.register(Location)
class LocationAdmin(HeadcountAdmin):
    """Renaming a location moves its people to the new name; one people work at cannot be deleted."""

    list_display = ["name", "country", "time_zone", "headcount"]
    search_fields = ["name", "country", "address"]


@admin.register(Employee)
class EmployeeAdmin(PrivateFieldsMixin, ImportMixin, SimpleHistoryAdmin):
    """Change history with restore, and imports of CSV and XLSX files: a preview of every row first."""

    # The directory's form: it saves through employees/services.py and refuses to overwrite a newer version.
    form = VersionedEmployeeForm
    resource_classes = [EmployeeResource]
    import_formats = [CSV, XLSX]
    tmp_storage_class = ImportUploads
    # The preview lists valid and invalid rows together, each invalid one with its errors written out.
    import_template_name = "admin/employees/employee/import.html"
    list_display = ["full_name", "job_title", "location", "department"]
    list_select_related = ["department", "location"]
    list_filter = [("left_on", admin.EmptyFieldListFilter), "department", "location", "badges"]
    search_fields = ["full_name", "job_title", "location__name"]
    filter_horizontal = ["badges"]
    # Never a <select> of every account or employee: the directory may hold a million.
    autocomplete_fields = ["user", "department", "manager", "skills"]
    # Leaving and coming back go through the site's "Mark as left", which also disables the account.
    readonly_fields = ["left_on", "external_id", "user_name", "created_at", "updated_at"]
    # Photos go through the directory's own form, which validates and re-encodes them.
    exclude = ["photo"]
    # Counting every row of a large table for "N total" costs more than the page itself.
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        """Search the way the directory does, so staff get the same results in both places."""
        return queryset.search(search_term), False

    def save_model(self, request, obj, form, change):
        form.user = request.user
        form.save()  # the employee with its badges and skills, through employees/services.py

    def save_related(self, request, form, formsets, change):
        pass  # saved with the employee

    def get_deleted_objects(self, objs, request):
        """Direct reports do not stop a deletion: services.delete_employee moves them to the manager above."""
        deleted, counts, permissions, protected = super().get_deleted_objects(objs, request)
        moving = [str(pk) for pk in Employee.objects.filter(manager__in=objs).values_list("pk", flat=True)]
        protected = [item for item in protected if not any(pk in str(item) for pk in moving)]
        return deleted, counts, permissions, protected

    def delete_model(self, request, obj):
        services.delete_employee(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for employee in queryset:
            services.delete_employee(employee, user=request.user)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Employee.EditConflict:
            messages.error(request, _("Someone else saved this employee meanwhile; nothing was saved."))
            return redirect(request.path)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An employee's deletion in its history restores them (services.restore_employee); a version of
        someone still in the directory opens the form with that version's values, to save or not."""
        if Employee.objects.filter(pk=object_id).exists():
            return super().history_form_view(request, object_id, version_id, extra_context)
        record = Employee.history.filter(id=object_id, history_type="-").order_by("history_date").last()
        if record is None or not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            employee = services.restore_employee(record, user=request.user)
            messages.success(request, _("%(name)s was restored.") % {"name": employee.full_name})
            return redirect("admin:employees_employee_change", employee.pk)
        context = {**self.admin_site.each_context(request), "record": record, "opts": self.opts}
        return TemplateResponse(request, "admin/employees/employee/restore.html", context)

    def get_historical_record_context_helper(self, request, historical_record):
        if hides_private_fields(request):
            return PublicChangesContext(self.model, historical_record)
        return super().get_historical_record_context_helper(request, historical_record)

    def has_import_permission(self, request):
        return request.user.has_perms(["employees.add_employee", "employees.change_employee"])

    def add_data_read_fail_error_to_form(self, form, error):
        if isinstance(error, ImportRefused):
            form.add_error("import_file", str(error))
        else:
            super().add_data_read_fail_error_to_form(form, error)

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (ImportRefused, jobs.JobRefused) as error:
            messages.error(request, str(error))
            return redirect("admin:employees_employee_import")

    def process_dataset(self, dataset, form, request, **kwargs):
        """The confirmation queues the import as a background job, which applies the whole file in one
        transaction, as the importing user, refusing rows changed since the preview (employees/jobs.py)."""
        upload = form.cleaned_data.get("import_file_name")
        previewed_at = ImportUploads(name=upload).previewed_at() if upload else None
        return jobs.queue_import(request.user, dataset, previewed_at)

    def process_result(self, job, request):
        job.refresh_from_db()
        if job.status == job.Status.FAILED:
            messages.error(request, job.error)
        elif job.status == job.Status.DONE:
            messages.success(request, _("Import finished: %(summary)s.") % {"summary": job.summary})
        else:
            messages.info(request, _("The import is queued: its progress and result are under Downloads."))
        return redirect("employees:jobs")

    def get_import_data_kwargs(self, **kwargs):
        # A row that turned invalid, or that someone changed, between the preview and the confirmation cancels
        # the whole import.
        upload = kwargs["form"].cleaned_data.get("import_file_name")
        previewed_at = ImportUploads(name=upload).previewed_at() if upload else None
        kwargs = super().get_import_data_kwargs(**kwargs)
        return {**kwargs, "rollback_on_validation_errors": True, "previewed_at": previewed_at}


@admin.register(Employee.history.model)
class EmployeeHistoryAdmin(PrivateFieldsMixin, admin.ModelAdmin):
    """Every recorded change, deletions included: a deleted employee is restored from its history page."""

    list_display = ["full_name", "history_type", "history_date", "history_user", "history_link"]
    list_filter = ["history_type"]
    search_fields = ["full_name"]
    date_hierarchy = "history_date"

    def has_add_permission(self, request, obj=None):
        return False

    has_change_permission = has_delete_permission = has_add_permission

    @admin.display(description=_("history"))
    def history_link(self, record):
        url = reverse("admin:employees_employee_history", args=[record.id])
        return format_html('<a href="{}">{}</a>', url, _("History and restore"))
