"""The file formats of the admin's import: CSV and XLSX, with openpyxl imported only when an XLSX file is read
or written.

When django-import-export is imported (by the admin, at start-up) it asks tablib whether each format it knows
is available, and tablib answers for XLSX by importing its XLSX module and so openpyxl: about 4 MB in every
process, for a file that staff import now and then. Registering tablib's XLSX format here as a stand-in that
imports the real one on first use keeps openpyxl out until then. employees/apps.py imports this module, so
that it comes before the admin modules, import_export's own included.
"""

from functools import cached_property

from django.utils.module_loading import import_string
from tablib.formats import registry


class LazyXLSXFormat:
    """tablib's XLSX format (``tablib.formats._xlsx.XLSXFormat``), imported the first time it is used."""

    title = "xlsx"
    extensions = ("xlsx",)

    @cached_property
    def format(self):
        return import_string("tablib.formats._xlsx.XLSXFormat")

    def detect(self, stream):
        return self.format.detect(stream)

    def import_set(self, dataset, in_stream, **kwargs):
        return self.format.import_set(dataset, in_stream, **kwargs)

    def export_set(self, dataset, **kwargs):
        return self.format.export_set(dataset, **kwargs)

    def import_book(self, databook, in_stream, **kwargs):
        return self.format.import_book(databook, in_stream, **kwargs)

    def export_book(self, databook, **kwargs):
        return self.format.export_book(databook, **kwargs)


registry.register("xlsx", LazyXLSXFormat())

from import_export.formats.base_formats import CSV, XLSX  # noqa: E402 (after the registration above)

IMPORT_FORMATS = [CSV, XLSX]
