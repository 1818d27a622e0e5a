import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext

from employees.forms import EmployeeForm, PhoneField, VersionedEmployeeForm
from employees.models import Employee

from .factories import BadgeFactory, EmployeeFactory, image_bytes, photo_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

VALID = {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid"}


def form_with(**changes):
    return EmployeeForm(data={**VALID, **changes})


def test_valid_form_saves_stripped_values_and_badges():
    badge = BadgeFactory()
    form = form_with(full_name="  Ana García ", job_title="\tEngineer\n", badges=[badge.pk])
    assert form.is_valid(), form.errors
    employee = form.save()
    assert (employee.full_name, employee.job_title, employee.location_name) == (
        "Ana García",
        "Engineer",
        "Madrid",
    )
    assert list(employee.badges.all()) == [badge]


@pytest.mark.parametrize("field", ["full_name", "job_title"])
@pytest.mark.parametrize("value", ["", "    ", "\t\n"])
def test_required_fields_reject_blank_and_whitespace(field, value):
    form = form_with(**{field: value})
    assert not form.is_valid()
    assert form.errors[field] == ["This field is required."]


def test_location_is_required():
    form = form_with(location="")
    assert not form.is_valid()
    assert form.errors["location"] == ["This field is required."]


@pytest.mark.parametrize("location", ["Lisbon", "madrid ", "Ana\x00García", "x" * 10_000])
def test_a_location_not_in_the_catalogue_is_refused(location):
    form = form_with(location=location)
    assert not form.is_valid()
    assert form.errors["location"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_the_location_is_chosen_from_the_catalogue_in_name_order(locations):
    choices = [label for _, label in form_with().fields["location"].choices]
    assert choices == ["---------", "Madrid", "Paris"]


@pytest.mark.parametrize("field", ["full_name", "job_title"])
@pytest.mark.parametrize("length", [101, 10_000])
def test_values_over_100_characters_are_rejected(field, length):
    form = form_with(**{field: "x" * length})
    assert not form.is_valid()
    assert "at most 100 characters" in form.errors[field][0]


def test_100_characters_is_accepted():
    assert form_with(full_name="x" * 100).is_valid()


@pytest.mark.parametrize("field", ["full_name", "job_title"])
def test_nul_character_is_rejected(field):
    form = form_with(**{field: "Ana\x00García"})
    assert not form.is_valid()
    assert form.errors[field] == ["Null characters are not allowed."]


@pytest.mark.parametrize("badge", ["999999", "not-a-number"])
def test_unknown_badge_is_rejected(badge):
    form = form_with(badges=[badge])
    assert not form.is_valid()
    assert "badges" in form.errors


def test_badge_labels_show_icons_and_escape_names():
    BadgeFactory(name="<script>alert(1)</script>", icon="coffee")
    html = str(form_with()["badges"])
    assert 'class="fa fa-coffee"' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


class TestPhoto:
    def save_with_photo(self, instance=None, **changes):
        version = {"version": instance.version} if instance else {}
        form = EmployeeForm(
            data={**VALID, **version, **changes}, files={"photo": photo_upload()}, instance=instance
        )
        assert form.is_valid(), form.errors
        return form.save()

    def test_photo_and_thumbnail_are_stored_under_random_webp_names(self):
        employee = self.save_with_photo()
        for field in [employee.photo, employee.photo_thumbnail]:
            assert re.fullmatch(r"photos/[0-9a-f]{32}\.webp", field.name)
            assert field.storage.exists(field.name)
        assert employee.photo.name != employee.photo_thumbnail.name
        assert (employee.photo.width, employee.photo_thumbnail.width) == (480, 96)

    def test_an_invalid_photo_is_a_field_error_and_saves_nothing(self, settings):
        form = EmployeeForm(data=VALID, files={"photo": SimpleUploadedFile("a.gif", image_bytes("GIF"))})
        assert not form.is_valid()
        assert form.errors["photo"] == ["Upload a JPEG, PNG or WebP image."]
        assert not Employee.objects.exists()
        assert not (settings.MEDIA_ROOT / "photos").exists()

    def test_editing_other_fields_keeps_the_photo(self):
        employee = self.save_with_photo()
        photo, thumbnail = employee.photo.name, employee.photo_thumbnail.name
        form = EmployeeForm(
            data={**VALID, "job_title": "Lead", "version": employee.version}, instance=employee
        )
        assert form.is_valid(), form.errors
        employee = form.save()
        assert (employee.photo.name, employee.photo_thumbnail.name) == (photo, thumbnail)

    def test_replacing_the_photo_deletes_the_old_files(self, django_capture_on_commit_callbacks):
        employee = self.save_with_photo()
        old = [employee.photo.name, employee.photo_thumbnail.name]
        with django_capture_on_commit_callbacks(execute=True):
            employee = self.save_with_photo(instance=employee)
        storage = employee.photo.storage
        assert not any(storage.exists(name) for name in old)
        assert storage.exists(employee.photo.name)
        assert storage.exists(employee.photo_thumbnail.name)

    def test_clearing_the_photo_deletes_both_files(self, django_capture_on_commit_callbacks):
        employee = self.save_with_photo()
        old = [employee.photo.name, employee.photo_thumbnail.name]
        form = EmployeeForm(
            data={**VALID, "photo-clear": "on", "version": employee.version}, instance=employee
        )
        assert form.is_valid(), form.errors
        with django_capture_on_commit_callbacks(execute=True):
            employee = form.save()
        employee.refresh_from_db()
        assert not employee.photo
        assert not employee.photo_thumbnail
        assert not any(employee.photo.storage.exists(name) for name in old)

    def test_deleting_the_employee_deletes_the_files(self, django_capture_on_commit_callbacks):
        employee = self.save_with_photo()
        names = [employee.photo.name, employee.photo_thumbnail.name]
        storage = employee.photo.storage
        with django_capture_on_commit_callbacks(execute=True):
            employee.delete()
        assert not any(storage.exists(name) for name in names)


class TestEditConflict:
    def test_saving_the_version_that_was_opened_succeeds(self):
        employee = EmployeeFactory()
        form = EmployeeForm(data={**VALID, "version": employee.version}, instance=employee)
        assert form.is_valid(), form.errors
        assert form.save().version == 2

    def test_a_stale_version_is_refused_with_the_current_values(self, coffee):
        employee = EmployeeFactory(job_title="Engineer")
        opened = EmployeeForm(instance=Employee.objects.get(pk=employee.pk))
        Employee.objects.filter(pk=employee.pk).update(job_title="Lead", version=2)
        employee.badges.add(coffee)
        form = EmployeeForm(data={**VALID, "version": opened.initial["version"]}, instance=employee)
        assert form.is_valid(), form.errors
        with pytest.raises(Employee.EditConflict):
            form.save()
        assert Employee.objects.get(pk=employee.pk).job_title == "Lead"
        [error] = form.non_field_errors().as_data()
        assert error.code == "conflict"
        message = str(form.non_field_errors())
        assert "job title “Lead”" in message
        assert "badges: Coffee Snob" in message
        # The form now carries the current version: saving again is a deliberate overwrite.
        assert form["version"].value() == 2

    def test_a_new_employee_ignores_a_posted_version(self):
        form = form_with(version="99")
        assert form.is_valid(), form.errors
        assert form.save().version == 1


class TestContactDetails:
    def test_work_email_is_stored_with_its_domain_in_lower_case(self):
        form = form_with(work_email=" Ana.Garcia@Example.COM ")
        assert form.is_valid(), form.errors
        assert form.save().work_email == "Ana.Garcia@example.com"

    @pytest.mark.parametrize("email", ["ana@example.com", "ANA@EXAMPLE.COM", "Ana@Example.com"])
    def test_a_work_email_in_use_is_a_field_error_whatever_its_case(self, email):
        EmployeeFactory(work_email="ana@example.com")
        form = form_with(work_email=email)
        assert not form.is_valid()
        assert form.errors["work_email"] == [
            f"Another employee already has the work email {email.split('@')[0]}@example.com."
        ]

    def test_an_employee_keeps_their_own_work_email(self):
        employee = EmployeeFactory(work_email="ana@example.com")
        form = EmployeeForm(
            data={**VALID, "work_email": "ANA@example.com", "version": employee.version}, instance=employee
        )
        assert form.is_valid(), form.errors

    def test_an_invalid_work_email_is_refused(self):
        assert form_with(work_email="ana@").errors["work_email"] == ["Enter a valid email address."]

    def test_several_employees_may_have_no_work_email(self):
        EmployeeFactory(work_email="")
        assert form_with(work_email="").is_valid()

    def test_phone_numbers_are_stored_in_e164(self):
        form = form_with(work_phone="+34 911 23 45 67", mobile="+44 7911 123456")
        assert form.is_valid(), form.errors
        employee = form.save()
        assert Employee.objects.filter(pk=employee.pk).values_list("work_phone", "mobile").get() == (
            "+34911234567",
            "+447911123456",
        )

    @pytest.mark.parametrize("number", ["612 34 56 78", "+1 555", "call me"])
    def test_without_a_default_region_a_number_needs_its_country_code(self, settings, number):
        settings.PHONENUMBER_DEFAULT_REGION = None
        form = form_with(mobile=number)
        assert form.errors["mobile"] == [
            "Enter the number with + and its country code, for example +34 612 345 678."
        ]

    def test_with_a_default_region_a_national_number_is_read_as_one_of_it(self, settings):
        settings.PHONENUMBER_DEFAULT_REGION = "GB"
        field = PhoneField(required=False)  # the region is read when the form class is made, at start-up
        assert field.clean("020 7946 0958").as_e164 == "+442079460958"
        assert field.clean("+34 911 23 45 67").as_e164 == "+34911234567"
        with pytest.raises(ValidationError) as error:
            field.clean("12")
        assert error.value.messages == [
            "Enter a phone number such as 0121 234 5678, or one of another country with + and its country "
            "code, for example +34 612 345 678."
        ]

    @pytest.mark.parametrize(
        ("region", "help_text"),
        [
            ("GB", "For example 0121 234 5678, or +34 612 345 678 for another country."),
            (None, "With + and the country code, for example +34 612 345 678."),
        ],
    )
    def test_phone_fields_say_the_format_before_any_error(self, settings, region, help_text):
        settings.PHONENUMBER_DEFAULT_REGION = region
        assert PhoneField(required=False).help_text == help_text

    def test_time_zone_is_typed_with_the_zone_names_suggested(self):
        field = str(form_with()["time_zone"])
        assert 'list="id_time_zone_suggestions"' in field
        assert '<datalist id="id_time_zone_suggestions">' in field
        assert '<option value="Europe/Madrid">' in field
        assert form_with(time_zone="Europe/Madrid").is_valid()
        assert "is not a time zone name" in form_with(time_zone="Mars/Olympus").errors["time_zone"][0]

    def test_job_title_suggests_the_titles_people_have_read_only_when_shown(self):
        for title in ["Engineer", "Designer", "Engineer"]:
            EmployeeFactory(job_title=title)
        with CaptureQueriesContext(connection) as queries:
            form = form_with()
            assert form.is_valid()  # a form validated and saved never reads them
        assert not [query for query in queries if "job_title" in query["sql"]]
        field = str(form["job_title"])
        assert 'list="id_job_title_suggestions"' in field
        assert field.count("<option") == 2
        assert field.index('<option value="Designer">') < field.index('<option value="Engineer">')

    @pytest.mark.parametrize("posted", [{}, {"mobile_visibility": ""}])
    def test_visibility_left_out_of_a_post_keeps_the_current_setting(self, posted):
        employee = EmployeeFactory(mobile_visibility="editors")
        form = EmployeeForm(data={**VALID, "version": employee.version, **posted}, instance=employee)
        assert form.is_valid(), form.errors
        assert form.save().mobile_visibility == "editors"
        assert form_with(**posted).save().mobile_visibility == "managers"

    def test_an_unknown_visibility_is_refused(self):
        assert "mobile_visibility" in form_with(mobile_visibility="friends").errors

    def test_the_admin_form_validates_work_email_and_phones_alike(self):
        EmployeeFactory(work_email="ana@example.com")
        form_class = modelform_factory(
            Employee,
            form=VersionedEmployeeForm,
            fields=["full_name", "job_title", "location", "work_email", "mobile"],
        )
        form = form_class(data={**VALID, "work_email": "ANA@example.com", "mobile": "612"})
        assert "Another employee already has" in form.errors["work_email"][0]
        assert "+ and its country code" in form.errors["mobile"][0]
