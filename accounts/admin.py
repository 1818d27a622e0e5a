from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import ProviderLink

User = get_user_model()


class LinkedToEmployeeFilter(admin.SimpleListFilter):
    title = _("linked to an employee")
    parameter_name = "linked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(employee__isnull=self.value() == "no")
        return queryset


class ProviderLinkInline(admin.TabularInline):
    model = ProviderLink
    fields = readonly_fields = ["issuer", "subject", "created_at"]
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    """Django's, with who is linked to an employee record and who is not, and the identity provider's id."""

    list_display = [*auth_admin.UserAdmin.list_display, "linked_employee"]
    list_filter = [*auth_admin.UserAdmin.list_filter, LinkedToEmployeeFilter]
    list_select_related = ["employee"]
    inlines = [ProviderLinkInline]

    @admin.display(description=_("employee"), ordering="employee__full_name")
    def linked_employee(self, user):
        employee = getattr(user, "employee", None)
        if employee is None:
            return None
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:employees_employee_change", args=[employee.pk]), employee
        )
