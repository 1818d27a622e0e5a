from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployeesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "employees"
    verbose_name = _("Employee directory")

    def ready(self):
        from . import backends, signals  # noqa: F401 (connects the receivers)
