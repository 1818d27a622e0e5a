import phonenumbers
from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from .models import Badge, Employee, normalize_email, time_zone_names
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
        if "photo" in self.changed_data:
            # Replaced or cleared together; django-cleanup deletes the old files once the change is committed.
            self.instance.photo_thumbnail = self.thumbnail or ""
        return super().save(commit)


class EmployeeForm(SiteEmployeeFormMixin, VersionedEmployeeForm):
    badges = BadgeChoiceField(queryset=Badge.objects.all(), required=False)

    class Meta(VersionedEmployeeForm.Meta):
        model = Employee
        fields = [
            "full_name",
            "job_title",
            "location",
            "badges",
            "photo",
            "work_email",
            "work_phone",
            "mobile",
            "mobile_visibility",
            "office",
            "time_zone",
            "pronouns",
            "start_date",
            "start_date_visibility",
            "version",
        ]
        widgets = {**VersionedEmployeeForm.Meta.widgets, "photo": PHOTO_WIDGET}


class MyProfileForm(SiteEmployeeFormMixin, VersionedEmployeeForm):
    """What people keep current themselves. Name, title, location, manager, department, work email and start
    date are the editors' to maintain: they are not fields here, so posting them changes nothing."""

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
            "skills": forms.CheckboxSelectMultiple,
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
