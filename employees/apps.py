import mimetypes

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmployeesConfig(AppConfig):
    name = "employees"
    verbose_name = _("Employee directory")

    def ready(self):
        from . import checks, signals  # noqa: F401 (registers the system checks, connects the receivers)

        # Photos are WebP, which Python knows only from the system's /etc/mime.types, absent in slim images.
        mimetypes.add_type("image/webp", ".webp")
