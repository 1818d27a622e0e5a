import pytest

from employees.forms import EmployeeForm
from employees.models import Employee

from .factories import BadgeFactory, EmployeeFactory

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
