import uuid

import phonenumbers
from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.urls import reverse_lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .models import CONTACT_FIELDS, Badge, Employee, Skill, normalize_email, time_zone_names
from .photos import photo_and_thumbnail

VISIBILITY_FIELDS = ["mobile_visibility", "start_date_visibility"]
TIME_ZONE_CHOICES = [("", _("Not set")), *((name, name) for name in sorted(time_zone_names()))]


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
        else:
            message = _("Enter the number with + and its country code, for example +34 612 345 678.")
        self.error_messages["invalid"] = message


class SkillsField(forms.CharField):
    """Skills typed as tags: comma-separated names, matched to existing skills without regard to case.

    Cleans to a list of skills in the order typed; names no skill has yet give new, unsaved skills, which the
    form saves with ``Skill.objects.save_new()`` when it saves the employee (so an invalid form creates none).
    """

    max_skills = 30
    default_error_messages = {
        "empty": _("A skill name is empty: remove the extra comma."),
        "too_long": _("“%(name)s” is longer than %(limit)d characters: shorten the skill name."),
        "too_many": _("At most %(limit)d skills, please: this lists %(count)d."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Skills"))
        kwargs.setdefault(
            "help_text", _("Separate skills with commas, for example: Python, Public speaking, Spanish.")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if value is None or isinstance(value, str):
            return value
        skills = list(value)
        if skills and not isinstance(skills[0], Skill):
            skills = Skill.objects.filter(pk__in=skills)
        return ", ".join(skill.name for skill in skills)

    def to_python(self, value):
        value = super().to_python(value)
        pieces = value.split(",") if value else []
        if pieces and not pieces[-1].strip():
            pieces.pop()  # a trailing comma
        names, seen = [], set()
        limit = Skill._meta.get_field("name").max_length
        for piece in pieces:
            name = " ".join(piece.split())
            if not name:
                raise forms.ValidationError(self.error_messages["empty"], code="empty")
            if len(name) > limit:
                raise forms.ValidationError(
                    self.error_messages["too_long"], code="too_long", params={"name": name, "limit": limit}
                )
            if name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
        if len(names) > self.max_skills:
            raise forms.ValidationError(
                self.error_messages["too_many"],
                code="too_many",
                params={"limit": self.max_skills, "count": len(names)},
            )
        return Skill.objects.for_names(names)

    def has_changed(self, initial, data):
        before = {name.strip().lower() for name in (self.prepare_value(initial) or "").split(",")}
        after = {name.strip().lower() for name in (data or "").split(",")}
        return before - {""} != after - {""}


class EmployeeLookupWidget(forms.Widget):
    """A text box for a name, and the chosen employee's id in a hidden field beside it.

    employee-lookup.js suggests people as the name is typed (from the API's search) and fills in the id of the
    one picked. Without scripts, the name typed is looked up when the form is sent.
    """

    lookup_url = reverse_lazy("api:employee-list")

    def format_value(self, value):
        return value if isinstance(value, tuple) else ("", "")

    def value_from_datadict(self, data, files, name):
        return (data.get(name, ""), data.get(f"{name}_id", ""))

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def render(self, name, value, attrs=None, renderer=None):
        text, chosen = self.format_value(value)
        attrs = self.build_attrs(self.attrs, attrs)
        input_id = attrs.get("id", f"id_{name}")
        extra = format_html_join(" ", '{}="{}"', ((key, val) for key, val in attrs.items() if key != "id"))
        return format_html(
            '<div class="employee-lookup">'
            '<input type="text" name="{name}" value="{text}" id="{id}" class="form-control"'
            ' autocomplete="off" data-lookup-url="{url}" role="combobox" aria-autocomplete="list"'
            ' aria-expanded="false" aria-controls="{id}_options" {extra}>'
            '<input type="hidden" name="{name}_id" value="{chosen}">'
            '<ul class="list-group employee-lookup-options" id="{id}_options" role="listbox" hidden></ul>'
            "</div>",
            name=name,
            text=text,
            id=input_id,
            url=self.lookup_url,
            extra=extra,
            chosen=chosen,
        )


class EmployeeLookupField(forms.Field):
    """An employee picked by name (with suggestions as the name is typed) or by id, never from a list of all.

    The directory may hold a million people: a <select> of them all would weigh megabytes.
    """

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
        people = Employee.objects.only("id", "full_name", "job_title", "location")
        if chosen:
            picked = people.filter(pk=as_uuid(chosen)).first() if as_uuid(chosen) else None
            if picked and picked.full_name == text:
                return picked
        if as_uuid(text):
            picked = people.filter(pk=as_uuid(text)).first()
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
            f"{person.full_name} ({person.job_title}, {person.location}; ID {person.pk})"
            for person in people[: self.max_suggestions]
        )
        return forms.ValidationError(
            self.error_messages[code], code=code, params={"name": text, "people": described}
        )

    def has_changed(self, initial, data):
        text, chosen = data if isinstance(data, tuple) else ("", "")
        if not text.strip():
            return initial is not None
        return str(getattr(initial, "pk", initial)) != chosen


def as_uuid(text):
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


class VersionedEmployeeForm(forms.ModelForm):
    """An employee form that refuses to save over a newer version; the admin uses it as it is.

    It carries the version it was opened at. Saving after someone else saved is refused with the current
    values, and the form then holds the current version: saving again is a deliberate overwrite, never a
    silent one.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        # Inherited by the admin's form and by the forms below, for whichever of these fields they have.
        field_classes = {"work_phone": PhoneField, "mobile": PhoneField}
        widgets = {
            "time_zone": forms.Select(choices=TIME_ZONE_CHOICES),
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        adding = self.instance._state.adding
        # Reverting to an old record in the admin's history starts from the row's current version.
        current = None if adding else Employee.objects.filter(pk=self.instance.pk).values("version").first()
        self.initial["version"] = current["version"] if current else self.instance.version
        self.fields["version"].disabled = adding
        for name in VISIBILITY_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def clean_work_email(self):
        email = normalize_email(self.cleaned_data["work_email"])
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
        if not self.instance._state.adding:
            current = Employee.objects.select_for_update().with_badges().filter(pk=self.instance.pk).first()
            if current and current.version != cleaned_data.get("version"):
                self.add_conflict_error(current)
        return cleaned_data

    def add_conflict_error(self, current):
        badges = ", ".join(badge.name for badge in current.badges.all()) or _("none")
        self.add_error(
            None,
            forms.ValidationError(
                _(
                    "Someone else saved this employee while you were editing it. Their version is: "
                    "full name “%(full_name)s”, job title “%(job_title)s”, location “%(location)s”, "
                    "badges: %(badges)s. Nothing was saved. Your changes are still in the form: save again "
                    "to replace their version with yours, or cancel to keep theirs."
                ),
                code="conflict",
                params={
                    "full_name": current.full_name,
                    "job_title": current.job_title,
                    "location": current.location,
                    "badges": badges,
                },
            ),
        )
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current.version


PHOTO_WIDGET = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})


class SiteEmployeeFormMixin:
    """The site's employee forms: rendered by crispy inside the page's own <form>, and a photo that is
    validated and re-encoded (employees/photos.py), with a thumbnail made beside it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # Bootstrap's custom file input comes with an inline script, which the Content Security Policy blocks.
        self.helper.use_custom_control = False
        self.thumbnail = None

    def clean_photo(self):
        photo = self.cleaned_data["photo"]
        if isinstance(photo, UploadedFile):
            photo, self.thumbnail = photo_and_thumbnail(photo)
        return photo

    def save(self, commit=True):
        if "skills" in self.fields and not self.errors:
            self.cleaned_data["skills"] = Skill.objects.save_new(self.cleaned_data.get("skills", []))
        if "photo" in self.changed_data:
            # Replaced or cleared together; django-cleanup deletes the old files once the change is committed.
            self.instance.photo_thumbnail = self.thumbnail or ""
        return super().save(commit)


class EmployeeForm(SiteEmployeeFormMixin, VersionedEmployeeForm):
    badges = BadgeChoiceField(queryset=Badge.objects.all(), required=False)
    manager = EmployeeLookupField(
        required=False,
        label=_("Manager"),
        help_text=_("Type part of a name and pick the person this employee reports to; empty for nobody."),
    )
    skills = SkillsField()

    class Meta(VersionedEmployeeForm.Meta):
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
            "version",
        ]
        widgets = {**VersionedEmployeeForm.Meta.widgets, "photo": PHOTO_WIDGET}


class MyProfileForm(SiteEmployeeFormMixin, VersionedEmployeeForm):
    """What people keep current themselves. Name, title, location, manager, department, work email and start
    date are the editors' to maintain: they are not fields here, so posting them changes nothing."""

    skills = SkillsField()

    class Meta(VersionedEmployeeForm.Meta):
        model = Employee
        fields = [
            "photo",
            "work_phone",
            "mobile",
            "mobile_visibility",
            "office",
            "time_zone",
            "pronouns",
            "start_date_visibility",
            "skills",
            "version",
        ]
        widgets = {
            **VersionedEmployeeForm.Meta.widgets,
            "photo": PHOTO_WIDGET,
        }


class SignInForm(AuthenticationForm):
    """Django's sign-in form, with its user name length limit enforced, not only shown.

    The stock form sets max_length after the field is built, so a longer name still reaches authentication and
    the failed-attempt log, whose column it overflows.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
