import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from employees.forms import EmployeeForm
from employees.models import Employee

from .factories import BadgeFactory, EmployeeFactory, image_bytes, photo_upload

pytestmark = pytest.mark.django_db

VALID = {"full_name": "Ana García", "job_title": "Engineer", "location": "Madrid"}


def form_with(**changes):
    return EmployeeForm(data={**VALID, **changes})


def test_valid_form_saves_stripped_values_and_badges():
    badge = BadgeFactory()
    form = form_with(full_name="  Ana García ", location="\tMadrid\n", badges=[badge.pk])
    assert form.is_valid(), form.errors
    employee = form.save()
    assert (employee.full_name, employee.location) == ("Ana García", "Madrid")
    assert list(employee.badges.all()) == [badge]


@pytest.mark.parametrize("field", ["full_name", "job_title", "location"])
@pytest.mark.parametrize("value", ["", "    ", "\t\n"])
def test_required_fields_reject_blank_and_whitespace(field, value):
    form = form_with(**{field: value})
    assert not form.is_valid()
    assert form.errors[field] == ["This field is required."]


@pytest.mark.parametrize("field", ["full_name", "job_title", "location"])
@pytest.mark.parametrize("length", [101, 10_000])
def test_values_over_100_characters_are_rejected(field, length):
    form = form_with(**{field: "x" * length})
    assert not form.is_valid()
    assert "at most 100 characters" in form.errors[field][0]


def test_100_characters_is_accepted():
    assert form_with(full_name="x" * 100).is_valid()


@pytest.mark.parametrize("field", ["full_name", "job_title", "location"])
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
        assert not form.is_valid()
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
