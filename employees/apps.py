from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Imported with the app configs, before the admin modules: it keeps openpyxl from loading at start-up.
from . import spreadsheets  # noqa: F401


class EmployeesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "employees"
    verbose_name = _("Employee directory")

    def ready(self):
        from . import backends, signals  # noqa: F401 (connects the receivers)
