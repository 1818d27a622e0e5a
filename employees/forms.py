from django import forms
from django.utils.html import format_html

from .models import Badge, Employee


class BadgeChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return format_html('<i class="fa fa-{}" aria-hidden="true"></i> {}', obj.icon, obj.name)


class EmployeeForm(forms.ModelForm):
    badges = BadgeChoiceField(queryset=Badge.objects.all(), required=False)

    class Meta:
        model = Employee
        fields = ["full_name", "job_title", "location", "badges"]
