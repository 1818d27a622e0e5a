"""How employees are read from and written to CSV and XLSX files (django-import-export).

The columns are ``id, full_name, job_title, location, badges``. A row with an ``id`` updates that employee (or
creates one with that id); a row without one adds a new employee. ``badges`` lists badge slugs or names,
separated by commas. Rows identical to the database are skipped, so importing an export changes nothing.
"""

import uuid
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, instance_loaders, resources, widgets
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .models import Badge, Employee
from .signals import forget_facets

TEXT_COLUMNS = ["full_name", "job_title", "location"]
# Rows saved per query; small enough for SQLite's limit on query parameters.
BATCH_SIZE = 500
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
        # The preview compares badges for every row: read them from the list the import keeps on the
        # employee (see EmployeeResource) rather than from the database.
        employee = value.instance
        if hasattr(employee, "badge_list"):
            badges = sorted(employee.badge_list, key=lambda badge: (badge.position, badge.name))
            return self.separator.join(badge.slug for badge in badges)
        return "" if employee._state.adding else super().render(value)


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
    """Employees in bulk: 10,000 rows take a few queries per thousand rows, not several per row.

    Rows are saved in batches (``use_bulk``). The library leaves many-to-many fields alone then, so each row's
    badges are kept on the employee as ``badge_list`` and written together after the last row.
    """

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
        use_bulk = True
        batch_size = BATCH_SIZE

    def get_queryset(self):
        # Employees come with their badges, which the preview and the skip check compare.
        return Employee.objects.prefetch_related(Prefetch("badges", to_attr="badge_list"))

    def get_bulk_update_fields(self):
        return ["full_name", "job_title", "location", "updated_at", "version", "search_text"]

    def before_import(self, dataset, **kwargs):
        self.badges_to_write = {}
        self.user = kwargs.get("user")

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """``bulk_create``, recording each new employee in the change history, as the importing user."""
        if self.create_instances and (using_transactions or not dry_run):
            try:
                bulk_create_with_history(
                    self.create_instances, Employee, batch_size=batch_size, default_user=self.user
                )
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None, result=None):
        """``bulk_update``, recording each change in the change history, as the importing user."""
        if self.update_instances and (using_transactions or not dry_run):
            try:
                bulk_update_with_history(
                    self.update_instances,
                    Employee,
                    self.get_bulk_update_fields(),
                    batch_size=batch_size,
                    default_user=self.user,
                )
            except Exception as error:
                self.handle_import_error(result, error, raise_errors)
            finally:
                self.update_instances.clear()

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """Skip a row that would change nothing.

        Badges are compared with the employee's own prefetched list, which the import has not changed yet.
        """
        if instance._state.adding or import_validation_errors:
            return False
        badges = self.fields["badges"]
        other_fields = [field for field in self.get_import_fields() if field is not badges]
        return all(field.get_value(instance) == field.get_value(original) for field in other_fields) and (
            badges.column_name not in row or set(badges.clean(row)) == set(instance.badge_list)
        )

    def import_instance(self, instance, row, **kwargs):
        """Check the row's badges with its other cells, before the row is saved and counted.

        The badges themselves are written after the last row; see ``save_m2m`` and ``after_import``.
        """
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        badges = self.fields["badges"]
        if badges.column_name in row:
            try:
                badges.clean(row)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

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

    def before_save_instance(self, instance, row, **kwargs):
        """Keep up what Employee.save() would, since rows are saved in bulk without it."""
        badges = self.fields["badges"]
        badge_list = badges.clean(row) if badges.column_name in row else getattr(instance, "badge_list", [])
        instance.search_text = instance.build_search_text([badge.name for badge in badge_list])
        if not instance._state.adding:
            # bulk_update() leaves auto_now fields alone; an editor who opened this employee before the import
            # must not save over it unawares.
            instance.updated_at = timezone.now()
            instance.version += 1

    def save_m2m(self, instance, row, **kwargs):
        badges = self.fields["badges"]
        if badges.column_name in row:
            instance.badge_list = badges.clean(row)
            self.badges_to_write[instance.pk] = instance.badge_list

    def after_import(self, dataset, result, **kwargs):
        """Replace the badges of every employee saved, in a few queries (the rows themselves are saved)."""
        membership = Employee.badges.through
        employee_ids = list(self.badges_to_write)
        for start in range(0, len(employee_ids), BATCH_SIZE):
            membership.objects.filter(employee_id__in=employee_ids[start : start + BATCH_SIZE]).delete()
        membership.objects.bulk_create(
            [
                membership(employee_id=employee_id, badge_id=badge.pk)
                for employee_id, badges in self.badges_to_write.items()
                for badge in badges
            ],
            batch_size=BATCH_SIZE,
        )
        forget_facets()

    def before_import_row(self, row, **kwargs):
        """Read text cells as the employee form does (trimmed), and undo an export's formula escaping."""
        for column in TEXT_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = unescape_formula(row[column].strip())
