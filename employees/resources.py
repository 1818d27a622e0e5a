"""How employees are read from and written to CSV and XLSX files (django-import-export).

The columns are ``id, full_name, job_title, location, badges``. A row with an ``id`` updates that employee (or
creates one with that id); a row without one adds a new employee. ``badges`` lists badge slugs or names,
separated by commas. Rows identical to the database are skipped, so importing an export changes nothing.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from .models import Badge, Employee

TEXT_COLUMNS = ["full_name", "job_title", "location"]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"). A leading
# apostrophe makes it show the rest as text; text that starts with an apostrophe gets one more, so that
# importing an export gives back exactly what was exported.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_STARTS = (*FORMULA_TRIGGERS, "'")


def escape_formula(value):
    return f"'{value}" if value.startswith(ESCAPED_STARTS) else value


def unescape_formula(value):
    return value[1:] if value.startswith("'") and value[1:].startswith(ESCAPED_STARTS) else value


class UUIDWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return forms.UUIDField(required=False).clean(value)
        except ValidationError as error:
            raise ValidationError({"id": error.messages}) from error


class BadgeWidget(widgets.ManyToManyWidget):
    """Badges by slug or by name on import; slugs on export."""

    def __init__(self):
        super().__init__(Badge, separator=",", field="slug")

    def clean(self, value, row=None, **kwargs):
        wanted = {item.strip() for item in str(value or "").split(self.separator)} - {""}
        badges = Badge.objects.filter(Q(slug__in=wanted) | Q(name__in=wanted))
        unknown = wanted - {badge.slug for badge in badges} - {badge.name for badge in badges}
        if unknown:
            message = _("Unknown badge: %(badges)s.") % {"badges": ", ".join(sorted(unknown))}
            # A ValidationError, not a ValueError, so that the row is reported as invalid with this reason.
            raise ValidationError({"badges": [message]})
        return badges


class EmployeeResource(resources.ModelResource):
    # A blank id keeps the new employee's generated one.
    id = fields.Field(attribute="id", column_name="id", widget=UUIDWidget(), saves_null_values=False)
    badges = fields.Field(attribute="badges", column_name="badges", widget=BadgeWidget())

    class Meta:
        model = Employee
        fields = ["id", "full_name", "job_title", "location", "badges"]
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True
        # Run the model's validation, database constraints included, so a bad row is reported, not saved.
        clean_model_instances = True

    def before_import_row(self, row, **kwargs):
        """Read text cells as the employee form does (trimmed), and undo an export's formula escaping."""
        for column in TEXT_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = unescape_formula(row[column].strip())
