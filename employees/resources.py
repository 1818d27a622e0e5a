"""How employees are read from and written to CSV and XLSX files (django-import-export).

The columns are ``id, full_name, job_title, location, badges``. A row with an ``id`` updates that employee (or
creates one with that id); a row without one adds a new employee. ``badges`` lists badge slugs or names,
separated by commas. Rows identical to the database are skipped, so importing an export changes nothing.
"""

import uuid
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields, instance_loaders, resources, widgets

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

    @cached_property
    def catalogue(self):
        """Every badge by slug and by name, read once per import: the catalogue is a few dozen badges."""
        return {key: badge for badge in Badge.objects.all() for key in (badge.slug, badge.name)}

    def clean(self, value, row=None, **kwargs):
        wanted = {item.strip() for item in str(value or "").split(self.separator)} - {""}
        unknown = wanted - self.catalogue.keys()
        if unknown:
            message = _("Unknown badge: %(badges)s.") % {"badges": ", ".join(sorted(unknown))}
            # A ValidationError, not a ValueError, so that the row is reported as invalid with this reason.
            raise ValidationError({"badges": [message]})
        return list({self.catalogue[key] for key in wanted})

    def render(self, value, obj=None, **kwargs):
        # An employee not saved yet has no badges: the preview need not ask the database for each new row.
        if value is None or value.instance._state.adding:
            return ""
        return super().render(value)


class EmployeeLoader(instance_loaders.ModelInstanceLoader):
    """Reads the employees a file names, badges included, in a few queries rather than two per row."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        ids = set()
        for value in dataset["id"] if "id" in dataset.headers else []:
            try:
                ids.add(uuid.UUID(str(value)))
            except ValueError:
                continue  # a blank id is a new employee; a bad one is reported with its row
        self.employees = self.get_queryset().in_bulk(ids)

    def get_instance(self, row):
        return self.employees.get(self.resource.fields["id"].clean(row))


class EmployeeResource(resources.ModelResource):
    # A blank id keeps the new employee's generated one.
    id = fields.Field(attribute="id", column_name="id", widget=UUIDWidget(), saves_null_values=False)
    badges = fields.Field(attribute="badges", column_name="badges", widget=BadgeWidget())

    class Meta:
        model = Employee
        fields = ["id", "full_name", "job_title", "location", "badges"]
        import_id_fields = ["id"]
        instance_loader_class = EmployeeLoader
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        # Employees come with their badges, which the preview and the skip check compare.
        return Employee.objects.with_badges()

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Skip a row that would change nothing.

        Badges are compared with the employee's own prefetched badges, which the import has not changed yet:
        the library compares them with its copy of the employee, which has lost them and asks the database.
        """
        if instance._state.adding or import_validation_errors:
            return False
        badges = self.fields["badges"]
        other_fields = [field for field in self.get_import_fields() if field is not badges]
        return all(field.get_value(instance) == field.get_value(original) for field in other_fields) and (
            badges.column_name not in row or set(badges.clean(row)) == set(instance.badges.all())
        )

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's field validation, without a database query per row.

        The not-blank check constraints repeat what the field validation checks on trimmed cells, and the id
        is either looked up already or freshly generated.
        """
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_import_row(self, row, **kwargs):
        """Read text cells as the employee form does (trimmed), and undo an export's formula escaping."""
        for column in TEXT_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = unescape_formula(row[column].strip())
