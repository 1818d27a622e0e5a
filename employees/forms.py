from crispy_forms.helper import FormHelper
from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.html import format_html

from .models import Badge, Employee
from .photos import photo_and_thumbnail


class BadgeChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return format_html('<i class="fa fa-{}" aria-hidden="true"></i> {}', obj.icon, obj.name)


class EmployeeForm(forms.ModelForm):
    badges = BadgeChoiceField(queryset=Badge.objects.all(), required=False)

    class Meta:
        model = Employee
        fields = ["full_name", "job_title", "location", "badges", "photo"]
        widgets = {"photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})}

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
