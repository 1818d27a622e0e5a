"""How the admin imports employees from CSV and XLSX files (django-import-export).

The columns are those the export writes (``exports.COLUMNS``); any may be left out, and a column left out
keeps what each employee has. A row with an ``id`` updates that employee (or creates one with that id); a row
without one adds a new employee. Badges are slugs or names, skills names, the department and the location
their name, the manager their work email (or id). An empty ``mobile`` or ``start_date`` cell keeps the
stored value: the file cannot tell a value hidden from whoever exported it from none. Rows identical to the
database are skipped, so importing an export changes nothing. Every row is written by
``services.save_employee``, as the importing user, over the version it was read at. A row whose employee
someone changed after the preview, or while the import ran, is a conflict: the whole import is cancelled
and the admin says which rows, never overwriting. docs/import-export.md has the columns in full.
"""

import io
import uuid
from datetime import date, datetime
from functools import cached_property

import openpyxl
import tablib
from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, results, widgets
from import_export.formats import base_formats
from import_export.tmp_storages import CacheStorage

from . import services
from .exports import COLUMNS, unescape_formula
from .models import Badge, Department, Employee, Location, Skill

# What one import may hold: a larger directory is imported in parts. A row costs about 11 ms to preview and
# as much to confirm, each inside a request that gunicorn ends after 30 s. Columns past the last one read are
# never unpacked (a spreadsheet may claim 16,384 of them).
MAX_ROWS = 1_000
MAX_COLUMNS = 50
# Rows between two progress reports of an import job.
PROGRESS_EVERY = 50


class ImportRefused(ValueError):
    """A file the import refuses as a whole, with the message to show."""


def refuse_large(height, width):
    if height > MAX_ROWS:
        message = _("The file has more than %(rows)s rows. Import it in parts.")
        raise ImportRefused(message % {"rows": MAX_ROWS})
    if width > MAX_COLUMNS:
        message = _("The file has more than %(columns)s columns. Keep the columns of the import.")
        raise ImportRefused(message % {"columns": MAX_COLUMNS})


class CSV(base_formats.CSV):
    def create_dataset(self, in_stream):
        dataset = super().create_dataset(in_stream)
        refuse_large(dataset.height, dataset.width)
        return dataset


class XLSX(base_formats.XLSX):
    """The first sheet's values, read a row at a time and never past MAX_ROWS and MAX_COLUMNS."""

    def create_dataset(self, in_stream):
        sheet = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True).active
        width = sheet.max_column or MAX_COLUMNS  # a sheet that does not say its size is read up to the limit
        refuse_large((sheet.max_row or 1) - 1, width)
        rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=width, values_only=True)
        headers = list(next(rows, ()))
        while headers and headers[-1] is None:  # the padding of a sheet read up to the limit
            headers.pop()
        dataset = tablib.Dataset(headers=headers)
        for row in rows:
            dataset.append(row[: len(headers)])
        refuse_large(dataset.height, width)  # nor may it say its size right
        return dataset


class ImportUploads(CacheStorage):
    """A file between its preview and its confirmation: in the site's cache under a random name, with the
    time of its preview, gone after the import or an hour. The name the confirmation sends back picks a cache
    entry, never a path."""

    CACHE_LIFETIME = 60 * 60

    @property
    def previewed_at_key(self):
        return f"{self.CACHE_PREFIX}{self.name}-previewed-at"

    def save(self, data):
        super().save(data)
        cache.set(self.previewed_at_key, timezone.now(), self.CACHE_LIFETIME)

    def read(self):
        data = super().read()
        if data is None:
            message = _(
                "This file is no longer here: an hour has passed, or the confirmation reached another server "
                "than the preview (they need a cache they share: CACHE_URL). Upload it again."
            )
            raise ImportRefused(message)
        return data

    def previewed_at(self):
        return cache.get(self.previewed_at_key)

    def remove(self):
        super().remove()
        cache.delete(self.previewed_at_key)


class UUIDWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        try:
            return forms.UUIDField(required=False).clean(value)
        except ValidationError as error:
            raise ValidationError({"id": error.messages}) from error


class BadgeWidget(widgets.ManyToManyWidget):
    """Badges by slug or by name on import."""

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
        return sorted({self.catalogue[key] for key in wanted}, key=lambda badge: (badge.position, badge.name))

    def render(self, value, obj=None, **kwargs):
        return ",".join(value.instance.badge_slugs)  # as the export writes them, without a query


class SkillWidget(widgets.ManyToManyWidget):
    """Skills by name (any case) or slug, separated by commas, as the form takes them: a name no skill has
    yet is a new skill, created with the employee."""

    max_skills = 30

    def __init__(self):
        super().__init__(Skill, separator=",", field="name")

    @cached_property
    def catalogue(self):
        """Every skill by lower-case name and by slug, read once per import."""
        skills = list(Skill.objects.all())
        return {**{skill.slug: skill for skill in skills}, **{skill.name.lower(): skill for skill in skills}}

    @cached_property
    def names(self):
        return {skill.slug: skill.name for skill in self.catalogue.values()}

    def clean(self, value, row=None, **kwargs):
        names = [" ".join(item.split()) for item in str(value or "").split(self.separator)]
        limit = Skill._meta.get_field("name").max_length
        skills, errors = {}, []
        for name in filter(None, names):
            if len(name) > limit:
                message = _("“%(name)s” is longer than %(limit)d characters: shorten the skill name.")
                errors.append(message % {"name": name, "limit": limit})
            skill = self.catalogue.get(name.lower()) or self.catalogue.get(name) or Skill(name=name)
            skills.setdefault(skill.slug or name.lower(), skill)
        if len(skills) > self.max_skills:
            message = _("At most %(limit)d skills, please: this lists %(count)d.")
            errors.append(message % {"limit": self.max_skills, "count": len(skills)})
        if errors:
            raise ValidationError({"skills": errors})
        return list(skills.values())

    def render(self, value, obj=None, **kwargs):
        names = (self.names.get(slug, slug) for slug in value.instance.skill_slugs)
        return ", ".join(sorted(names, key=str.lower))


class DepartmentWidget(widgets.ForeignKeyWidget):
    """A department by name or slug. An unknown one is the row's error: departments are made in the admin,
    where they get their place in the tree, never by a typo in a file."""

    def __init__(self):
        super().__init__(Department, field="name")

    @cached_property
    def catalogue(self):
        return {
            key: department
            for department in Department.objects.all()
            for key in (department.slug, department.name)
        }

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        try:
            return self.catalogue[str(value)]
        except KeyError:
            message = _("Unknown department: %(name)s. Departments are added in the admin.")
            raise ValueError(message % {"name": value}) from None

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class LocationWidget(widgets.ForeignKeyWidget):
    """A location by name, whatever its case or spacing ("madrid " is Madrid). An unknown one is the row's
    error: locations are added in the admin, never by a typo in a file."""

    def __init__(self):
        super().__init__(Location, field="name")

    @cached_property
    def catalogue(self):
        return {location.name.casefold(): location for location in Location.objects.all()}

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        try:
            return self.catalogue[" ".join(str(value).split()).casefold()]
        except KeyError:
            message = _("Unknown location: %(name)s. Locations are added in the admin.")
            raise ValueError(message % {"name": value}) from None

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


class ManagerWidget(widgets.ForeignKeyWidget):
    """The manager by work email (any case), or by id, as the export writes someone without an email."""

    def __init__(self):
        super().__init__(Employee)

    def clean(self, value, row=None, **kwargs):
        if not value:
            return None
        people = Employee.objects.only("id", "full_name", "work_email", "left_on")
        try:
            manager = people.filter(pk=uuid.UUID(str(value))).first()
        except ValueError:
            manager = people.with_work_email(str(value)).first()
        if manager is None:
            raise ValueError(_("Nobody has the work email or id %(manager)s.") % {"manager": value})
        return manager

    def render(self, value, obj=None, **kwargs):
        return (value.work_email or str(value.pk)) if value else ""


class EmailWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return BaseUserManager.normalize_email(super().clean(value, row, **kwargs))


class DateWidget(widgets.DateWidget):
    """A date as the export writes it (2024-01-31), or a spreadsheet's own date cell."""

    def __init__(self):
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime):
            return value.date()
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD, for example 2024-01-31.")) from None

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if isinstance(value, date) else ""


class TextWidget(widgets.CharWidget):
    """Text as the row has it: a number typed in a spreadsheet (a phone number, say) as its digits."""

    def clean(self, value, row=None, **kwargs):
        return str(value) if isinstance(value, int) else super().clean(value, row, **kwargs)


class KeptWhenEmpty(fields.Field):
    """A column whose empty cell leaves the stored value. For a private field, the file cannot say whether a
    cell is empty because there is no value or because whoever exported it could not see it: an import wipes
    nothing it cannot tell apart."""

    def __init__(self, name, widget):
        super().__init__(attribute=name, column_name=name, widget=widget, saves_null_values=False)

    def clean(self, row, **kwargs):
        return super().clean(row, **kwargs) or None


class ImportResult(results.Result):
    def preview_rows(self):
        """Every row in the file's order, valid and invalid together, as (number, import type, cells, errors):
        the cells under ``diff_headers`` (a valid row's as a diff), the errors as (column, message) pairs."""
        invalid = {row.number: row for row in self.invalid_rows}
        preview = []
        for number, row in enumerate(self.rows, start=1):
            if number in invalid:
                errors = [
                    ("" if column == NON_FIELD_ERRORS else column, message)
                    for column, messages in invalid[number].error_dict.items()
                    for message in messages
                ]
                preview.append((number, row.import_type, invalid[number].values, errors))
            else:
                preview.append((number, row.import_type, row.diff or [], []))
        return preview


# The tags an employee stores the slugs of on its own row (services.search_fields).
TAG_SLUGS = {"badges": "badge_slugs", "skills": "skill_slugs"}


class EmployeeResource(resources.ModelResource):
    # A blank id keeps the new employee's generated one.
    id = fields.Field(attribute="id", column_name="id", widget=UUIDWidget(), saves_null_values=False)
    badges = fields.Field(attribute="badges", column_name="badges", widget=BadgeWidget())
    department = fields.Field(attribute="department", column_name="department", widget=DepartmentWidget())
    location = fields.Field(attribute="location", column_name="location", widget=LocationWidget())
    manager = fields.Field(attribute="manager", column_name="manager", widget=ManagerWidget())
    skills = fields.Field(attribute="skills", column_name="skills", widget=SkillWidget())
    work_email = fields.Field(attribute="work_email", column_name="work_email", widget=EmailWidget())
    work_phone = fields.Field(attribute="work_phone", column_name="work_phone", widget=TextWidget())
    mobile = KeptWhenEmpty("mobile", TextWidget())
    start_date = KeptWhenEmpty("start_date", DateWidget())
    # As in the form, an empty visibility keeps the setting (or the default, for a new employee).
    mobile_visibility = KeptWhenEmpty("mobile_visibility", widgets.CharWidget())
    start_date_visibility = KeptWhenEmpty("start_date_visibility", widgets.CharWidget())

    class Meta:
        model = Employee
        fields = COLUMNS
        import_id_fields = ["id"]
        skip_unchanged = True
        report_skipped = True  # ImportResult.preview_rows numbers the rows by their place among all

    def get_queryset(self):
        # The department, location and manager a row is compared with (and the preview shows) come with it.
        return super().get_queryset().select_related("department", "location", "manager")

    def get_result_class(self):
        return ImportResult

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        self.previewed_at = kwargs.get("previewed_at")  # None for the preview itself
        self.progress = kwargs.get("progress")  # called with the rows done so far, by an import job

    def after_import_row(self, row, row_result, **kwargs):
        if self.progress and kwargs["row_number"] % PROGRESS_EVERY == 0:
            self.progress(kwargs["row_number"])

    def before_import_row(self, row, **kwargs):
        """Read text cells as the employee form does (trimmed), and undo an export's formula escaping."""
        nul = [column for column, value in row.items() if "\x00" in str(value or "")]
        if nul:
            raise ValidationError({column: _("Null characters are not allowed.") for column in nul})
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = unescape_formula(value.strip())

    def import_instance(self, instance, row, **kwargs):
        """Check the row's badges and skills with its other cells, so that a row is reported with all its
        errors."""
        errors, manager_before = {}, instance.manager_id
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name in TAG_SLUGS:
            if name in row:
                try:
                    self.fields[name].clean(row)
                except ValidationError as error:
                    errors = error.update_error_dict(errors)
        if "manager" not in errors and instance.manager_id != manager_before and instance.manager.has_left:
            message = _("%(name)s has left the company: choose a manager who works here.")
            errors["manager"] = [message % {"name": instance.manager.full_name}]
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        """A row is unchanged when every column it has holds what the employee has: its fields, and the badges
        and skills compared with the slugs the employee stores, without a query."""
        if import_validation_errors or original._state.adding:
            return False
        for field in self.get_import_fields():
            if field.column_name not in row:
                continue
            if field.attribute in TAG_SLUGS:
                wanted = sorted(tag.slug for tag in field.clean(row))
                if wanted != getattr(original, TAG_SLUGS[field.attribute]):
                    return False
            else:
                attname = Employee._meta.get_field(field.attribute).attname
                if getattr(instance, attname) != getattr(original, attname):
                    return False
        return True

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's own validation of a row, with its cells' errors: a row is refused with every reason."""
        errors = dict(import_validation_errors or {})
        if self.previewed_at and not instance._state.adding and instance.updated_at > self.previewed_at:
            errors[NON_FIELD_ERRORS] = [self.conflict(instance)]
        try:
            instance.full_clean(exclude=errors.keys(), validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        email = instance.work_email
        others = Employee.objects.exclude(pk=instance.pk)
        if "work_email" not in errors and email and others.with_work_email(email).exists():
            message = _("Another employee already has the work email %(email)s.")
            errors["work_email"] = [message % {"email": email}]
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        tags = {name: self.fields[name].clean(row) if name in row else None for name in TAG_SLUGS}
        version = None if is_create else instance.version  # the version this row was read at
        try:
            services.save_employee(instance, user=self.user, version=version, **tags)
        except Employee.EditConflict as conflict:
            raise ValidationError({NON_FIELD_ERRORS: [self.conflict(instance)]}) from conflict

    @staticmethod
    def conflict(instance):
        message = _(
            "%(name)s was changed by someone else after the preview: import the file again to see the change."
        )
        return message % {"name": instance.full_name}

    def save_m2m(self, instance, row, **kwargs):
        pass  # saved with the employee
