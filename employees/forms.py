import base64
import contextlib
import uuid

import phonenumbers
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from . import services
from .models import CONTACT_FIELDS, TIME_ZONE_NAMES, Badge, Employee, Skill
from .photos import photo_and_thumbnail, removable

VISIBILITY_FIELDS = ["mobile_visibility", "start_date_visibility"]
# A photo chosen on a form that did not save comes back with the form, re-encoded and signed, for an hour.
KEPT_PHOTO = signing.TimestampSigner(salt="employees.kept-photo")
KEPT_PHOTO_SECONDS = 60 * 60


class SuggestionsInput(forms.TextInput):
    """A text input for which the browser suggests ``suggestions`` as they type: searchable, and far lighter
    to render than a <select> of hundreds of options."""

    template_name = "employees/widgets/suggestions.html"

    def __init__(self, suggestions=(), attrs=None):
        super().__init__({"autocomplete": "off", **(attrs or {})})
        self.suggestions = suggestions

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["attrs"]["list"] = f"{widget['attrs'].get('id', name)}_suggestions"
        widget["suggestions"] = self.suggestions
        return context


class LocationChoiceField(forms.ModelChoiceField):
    """A location of the catalogue, by name; a name with a NUL, which PostgreSQL cannot compare, is none."""

    def to_python(self, value):
        if "\x00" in str(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BadgeChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return format_html('<i class="fa fa-{}" aria-hidden="true"></i> {}', obj.icon, obj.name)


class PhoneField(PhoneNumberField):
    """A phone number whose error says which form is expected, with or without a default region."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.region:
            example = phonenumbers.format_number(
                phonenumbers.example_number(self.region), phonenumbers.PhoneNumberFormat.NATIONAL
            )
            message = _(
                "Enter a phone number such as %(example)s, or one of another country with + and its country "
                "code, for example +34 612 345 678."
            ) % {"example": example}
            self.help_text = self.help_text or _(
                "For example %(example)s, or +34 612 345 678 for another country."
            ) % {"example": example}
        else:
            message = _("Enter the number with + and its country code, for example +34 612 345 678.")
            self.help_text = self.help_text or _("With + and the country code, for example +34 612 345 678.")
        self.error_messages["invalid"] = message


class SkillsField(forms.CharField):
    """Comma-separated skill names, cleaned to skills in the order typed; names no skill has yet give new
    skills, unsaved until the employee is (so an invalid form creates none)."""

    max_skills = 30
    default_error_messages = {
        "empty": _("A skill name is empty: remove the extra comma."),
        "too_long": _("“%(name)s” is longer than %(limit)d characters: shorten the skill name."),
        "too_many": _("At most %(limit)d skills, please: this lists %(count)d."),
    }

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value
        return ", ".join(skill.name for skill in value)

    def to_python(self, value):
        value = super().to_python(value)  # stripped: a trailing comma is the last character
        names = [" ".join(piece.split()) for piece in value.removesuffix(",").split(",")] if value else []
        limit = Skill._meta.get_field("name").max_length
        for name in names:
            if not name:
                raise forms.ValidationError(self.error_messages["empty"], code="empty")
            if len(name) > limit:
                raise forms.ValidationError(
                    self.error_messages["too_long"], code="too_long", params={"name": name, "limit": limit}
                )
        skills = Skill.objects.for_names(names)
        if len(skills) > self.max_skills:
            raise forms.ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"limit": self.max_skills, "count": len(skills)},
            )
        return skills


class EmployeeLookupWidget(forms.Widget):
    """A name, and in a hidden field the id of the person employee-lookup.js suggested and the user picked."""

    template_name = "employees/widgets/employee_lookup.html"

    def format_value(self, value):
        return value if isinstance(value, tuple) else ("", "")

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), data.get(f"{name}_id", ""))


class EmployeeLookupField(forms.Field):
    """An employee picked by name or id: a <select> of a million people would weigh megabytes."""

    widget = EmployeeLookupWidget
    max_suggestions = 5
    default_error_messages = {
        "not_found": _(
            "Nobody is called “%(name)s”. Type part of a name and pick a person from the suggestions."
        ),
        "not_exact": _(
            "Nobody is called exactly “%(name)s”. Did you mean: %(people)s? Type the full name or ID."
        ),
        "ambiguous": _("Several people are called “%(name)s”: %(people)s. Type the ID of the one you mean."),
    }

    def prepare_value(self, value):
        if isinstance(value, tuple) or value in (None, ""):
            return value
        pk = getattr(value, "pk", value)
        name = Employee.objects.filter(pk=pk).values_list("full_name", flat=True).first()
        return (name or "", str(pk))

    def clean(self, value):
        text, chosen = value if isinstance(value, tuple) else ("", "")
        text = text.strip()
        if not text:
            self.validate(None)
            return None
        people = Employee.objects.current().only("id", "full_name", "job_title", "location")
        picked = by_id(people, chosen)
        if picked and picked.full_name == text:
            return picked
        picked = by_id(people, text)
        if picked:
            return picked
        found = list(people.search(text)[: self.max_suggestions + 1])
        same_name = [person for person in found if person.full_name.casefold() == text.casefold()]
        if len(same_name) == 1:
            return same_name[0]
        if same_name:
            raise self.lookup_error("ambiguous", text, same_name)
        if found:
            raise self.lookup_error("not_exact", text, found)
        raise forms.ValidationError(self.error_messages["not_found"], code="not_found", params={"name": text})

    def lookup_error(self, code, text, people):
        described = "; ".join(
            f"{person.full_name} ({person.job_title}, {person.location_name}; ID {person.pk})"
            for person in people[: self.max_suggestions]
        )
        return forms.ValidationError(
            self.error_messages[code], code=code, params={"name": text, "people": described}
        )


def by_id(people, text):
    try:
        return people.filter(pk=uuid.UUID(text.strip())).first()
    except ValueError:
        return None


class VersionedEmployeeForm(forms.ModelForm):
    """Saves through ``services.save_employee``, refusing to save over a version newer than the one it was
    opened at; it then shows and holds that version, so saving again is a deliberate overwrite."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        # Inherited by the admin's form and the forms below, for whichever of these fields they have.
        field_classes = {"location": LocationChoiceField, "work_phone": PhoneField, "mobile": PhoneField}
        widgets = {
            "job_title": SuggestionsInput(),  # the titles people have (__init__)
            "time_zone": SuggestionsInput(sorted(TIME_ZONE_NAMES)),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"time_zone": _("Type a city or region, for example Madrid, and pick the zone.")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        adding = self.instance._state.adding
        # Reverting to an old record in the admin's history starts from the row's current version.
        current = None if adding else Employee.objects.filter(pk=self.instance.pk).values("version").first()
        self.initial["version"] = current["version"] if current else self.instance.version
        self.fields["version"].disabled = adding
        self.fields["version"].required = not adding
        if "job_title" in self.fields:
            # Read when the form is rendered, not for a form that is only validated and saved.
            titles = SimpleLazyObject(lambda: Employee.objects.distinct_values("job_title"))
            self.fields["job_title"].widget.suggestions = titles
        for name in VISIBILITY_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def clean_work_email(self):
        email = BaseUserManager.normalize_email(self.cleaned_data["work_email"])
        if email and Employee.objects.with_work_email(email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("Another employee already has the work email %(email)s."),
                code="duplicate_work_email",
                params={"email": email},
            )
        return email

    def clean(self):
        cleaned_data = super().clean()
        # A form posted without a visibility setting (an older page, a script) keeps the current one.
        for name in VISIBILITY_FIELDS:
            if name in self.fields and not cleaned_data.get(name) and name not in self.errors:
                cleaned_data[name] = getattr(self.instance, name)
        return cleaned_data

    def save(self, commit=True):
        employee = super().save(commit=False)
        if not commit:
            return employee
        try:
            return services.save_employee(
                employee,
                user=self.user,
                badges=self.cleaned_data.get("badges"),  # None where the form has no such field
                skills=self.cleaned_data.get("skills"),
                version=None if employee._state.adding else self.cleaned_data.get("version"),
            )
        except Employee.EditConflict as conflict:
            self.add_conflict_error(conflict.args[0])
            raise

    def add_conflict_error(self, current):
        if current is None:
            self.add_error(None, forms.ValidationError(_("This employee has been deleted."), code="deleted"))
            return
        message = _(
            "Someone else saved this employee while you were editing it. Their version is: "
            "full name “%(full_name)s”, job title “%(job_title)s”, location “%(location)s”, "
            "badges: %(badges)s. Nothing was saved. Your changes are still in the form: save again "
            "to replace their version with yours, or cancel to keep theirs."
        )
        params = {
            "full_name": current.full_name,
            "job_title": current.job_title,
            "location": current.location_name,
        }
        params["badges"] = ", ".join(badge.name for badge in current.badges.all()) or _("none")
        self.add_error(None, forms.ValidationError(message, code="conflict", params=params))
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.version


class SiteEmployeeForm(VersionedEmployeeForm):
    """The site's employee forms: rendered by crispy inside the page's own <form>, and a photo that is
    validated and re-encoded (employees/photos.py), with a thumbnail made beside it."""

    skills = SkillsField(
        required=False,
        label=_("Skills"),
        help_text=_("Separate skills with commas, for example: Python, Public speaking, Spanish."),
    )
    # A browser never fills a file input in again: the photo of a form that failed to save is kept here.
    kept_photo = forms.CharField(required=False, widget=forms.HiddenInput)

    # The fields in sections, two columns on wide screens; a field of none of them comes last.
    sections = [
        (
            _("Work"),
            [
                "full_name",
                "job_title",
                "location",
                "department",
                "manager",
                "work_email",
                "start_date",
                "start_date_visibility",
            ],
        ),
        (_("Contact"), ["work_phone", "office", "mobile", "mobile_visibility", "time_zone"]),
        (_("Profile"), ["photo", "pronouns", "skills", "badges"]),
    ]

    class Meta(VersionedEmployeeForm.Meta):
        widgets = {
            **VersionedEmployeeForm.Meta.widgets,
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_files = {self.instance.photo.name, self.instance.photo_thumbnail.name}
        self.helper = FormHelper()
        self.helper.form_tag = False
        # Bootstrap's custom file input comes with an inline script, which the Content Security Policy blocks.
        self.helper.use_custom_control = False
        self.helper.layout = self.sectioned_layout()

    def sectioned_layout(self):
        placed, fieldsets = set(), []
        for legend, names in self.sections:
            names = [name for name in names if name in self.fields]
            placed.update(names)
            columns = [Div(name, css_class="col-lg-6") for name in names]
            if columns:
                fieldsets.append(
                    Fieldset(legend, Div(*columns, css_class="form-row"), css_class="form-section")
                )
        return Layout(*fieldsets, *(name for name in self.fields if name not in placed))

    def save(self, commit=True):
        """Save; if that fails (a full or read-only disk, a conflict), delete the photo files it wrote."""
        try:
            return super().save(commit)
        except Exception:
            for file in (self.instance.photo, self.instance.photo_thumbnail):
                if file.name and file.name not in self.stored_files:
                    with contextlib.suppress(OSError):
                        file.storage.delete(file.name)
            raise

    def clean_photo(self):
        # The thumbnail is replaced or cleared with the photo; django-cleanup deletes the old files once the
        # change is committed.
        photo = self.cleaned_data["photo"]
        if not isinstance(photo, UploadedFile) and photo is not False and self["kept_photo"].data:
            photo = self.unsigned_photo(self["kept_photo"].data)
        if isinstance(photo, UploadedFile | ContentFile):
            photo, self.instance.photo_thumbnail = photo_and_thumbnail(photo)
            self.keep_photo(photo)
        elif photo is False:
            if self.instance.photo and not removable(self.instance.photo):
                # Clearing the row would leave its files behind, for good: refuse until they can go.
                raise forms.ValidationError(
                    _("The photo cannot be removed now (its storage is read-only), so nothing was saved."),
                    code="storage",
                )
            self.instance.photo_thumbnail = ""
        return photo

    def keep_photo(self, photo):
        """Send ``photo`` back with the form, should another field fail: it is saved with the next try."""
        self.data = self.data.copy()
        self.data[self.add_prefix("kept_photo")] = KEPT_PHOTO.sign(base64.b64encode(photo.read()).decode())
        photo.seek(0)
        self["photo"].help_text = _(
            "The photo you chose is kept and will be saved with the form; choose another to replace it."
        )

    @staticmethod
    def unsigned_photo(token):
        try:
            data = base64.b64decode(KEPT_PHOTO.unsign(token, max_age=KEPT_PHOTO_SECONDS), validate=True)
        except (signing.BadSignature, ValueError):
            message = _("The photo chosen before could not be kept (an hour has passed?): choose it again.")
            raise forms.ValidationError(message, code="kept_photo") from None
        return ContentFile(data, name="photo.webp")


class EmployeeForm(SiteEmployeeForm):
    badges = BadgeChoiceField(queryset=Badge.objects.all(), required=False)
    manager = EmployeeLookupField(
        required=False,
        label=_("Manager"),
        help_text=_("Type part of a name and pick the person this employee reports to; empty for nobody."),
    )

    class Meta(SiteEmployeeForm.Meta):
        model = Employee
        fields = [
            "full_name",
            "job_title",
            "location",
            "department",
            "manager",
            "skills",
            "badges",
            "photo",
            *CONTACT_FIELDS,
        ]


class MyProfileForm(SiteEmployeeForm):
    """What people keep current themselves. Name, title, location, manager, department, work email and start
    date are the editors' to maintain: they are not fields here, so posting them changes nothing."""

    class Meta(SiteEmployeeForm.Meta):
        model = Employee
        fields = [
            "photo",
            *(name for name in CONTACT_FIELDS if name not in ["work_email", "start_date"]),
            "skills",
        ]


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with its user name length limit enforced: the stock form only shows it, and a
    longer name overflows the failed-attempt log's column."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class LeaverForm(forms.Form):
    """The day someone left, for "Mark as left"; the version guards against marking over someone's edit."""

    left_on = forms.DateField(
        label=_("Last day at the company"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on > timezone.localdate():
            raise forms.ValidationError(
                _("Mark them as left on their last day or after: a day to come would hide them today."),
                code="future",
            )
        return left_on
