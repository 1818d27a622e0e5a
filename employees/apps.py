import mimetypes

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def add_collation(sender, connection, **kwargs):
    """SQLite knows no collation that ignores accents: the directory's own, for the columns of NameField."""
    if connection.vendor == "sqlite":
        from .models import COLLATIONS
        from .search import compare

        connection.connection.create_collation(COLLATIONS["sqlite"], compare)


class EmployeesConfig(AppConfig):
    name = "employees"
    verbose_name = _("Employee directory")

    def ready(self):
        from . import checks, signals  # noqa: F401 (registers the system checks, connects the receivers)

        connection_created.connect(add_collation)
        # Photos are WebP, which Python knows only from the system's /etc/mime.types, absent in slim images.
        mimetypes.add_type("image/webp", ".webp")
