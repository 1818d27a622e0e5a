"""Departments, managers and skills: cycles refused, reporting lines, department trees, the skills and manager
fields of the employee form."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import ProtectedError

from employees import services
from employees.forms import EmployeeForm, SkillsField
from employees.models import Department, Employee, Skill

from .factories import DepartmentFactory, EmployeeFactory, SkillFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]


def chain(length):
    """``length`` people, each reporting to the one before: the top first."""
    people, manager = [], None
    for n in range(length):
        manager = EmployeeFactory(full_name=f"Level {n}", manager=manager)
        people.append(manager)
    return people


class TestReportingLine:
    def test_lists_the_managers_nearest_first_in_one_query(self, django_assert_num_queries):
        people = chain(6)
        with django_assert_num_queries(1):
            line = people[-1].reporting_line()
        assert [manager.full_name for manager in line] == [f"Level {n}" for n in range(4, -1, -1)]

    def test_the_top_has_an_empty_line_without_a_query(self, django_assert_num_queries):
        top = chain(1)[0]
        with django_assert_num_queries(0):
            assert top.reporting_line() == []

    def test_direct_reports_in_one_query(self, django_assert_num_queries):
        boss = EmployeeFactory()
        EmployeeFactory.create_batch(3, manager=boss)
        boss = Employee.objects.get(pk=boss.pk)
        with django_assert_num_queries(1):
            assert len(list(boss.direct_reports())) == 3


class TestDeletingAManager:
    def test_is_refused_while_they_have_direct_reports(self):
        boss = EmployeeFactory()
        report = EmployeeFactory(manager=boss)
        # Nothing is unlinked silently: services.delete_employee moves the reports first.
        with pytest.raises(ProtectedError):
            boss.delete()
        assert Employee.objects.get(pk=report.pk).manager == boss


class TestManagerCycles:
    def test_a_long_loop_is_refused_naming_the_people_in_one_query(self, django_assert_num_queries):
        people = chain(40)
        top = people[0]
        with django_assert_num_queries(1), pytest.raises(ValidationError):
            top.check_manager(people[-1].pk)
        top.manager = people[-1]
        with pytest.raises(ValidationError) as raised:
            top.full_clean()
        message = raised.value.message_dict["manager"][0]
        assert message.startswith("Level 0 cannot report to Level 39, who already reports to Level 0: ")
        assert "Level 39 → Level 38 → " in message
        assert message.endswith("→ Level 1 → Level 0.")

    def test_a_two_person_loop_is_refused(self):
        ana, ben = chain(2)
        ana.manager = ben
        with pytest.raises(ValidationError, match="Level 0 cannot report to Level 1"):
            ana.full_clean()

    def test_own_manager_is_refused(self):
        ana = EmployeeFactory()
        ana.manager = ana
        with pytest.raises(ValidationError, match="cannot be their own manager"):
            ana.full_clean()

    def test_a_manager_elsewhere_in_the_tree_is_fine(self):
        people = chain(3)
        other = EmployeeFactory(full_name="Other")
        other.manager = people[-1]
        other.full_clean()
        services.save_employee(other)
        people[0].manager = other
        with pytest.raises(ValidationError):
            people[0].full_clean()

    def test_the_web_form_shows_the_loop_and_saves_nothing(self, editor_client):
        ana, ben = chain(2)
        data = {"full_name": "Level 0", "job_title": "Job", "location": "Here", "version": 1}
        response = editor_client.post(
            ana.get_absolute_url() + "edit/", {**data, "manager": "Level 1", "manager_id": str(ben.pk)}
        )
        assert response.status_code == 200
        assert "Level 0 cannot report to Level 1, who already reports to Level 0" in response.content.decode()
        ana.refresh_from_db()
        assert ana.manager is None


class TestDepartments:
    def test_a_parent_under_the_department_itself_is_refused(self):
        top = DepartmentFactory(name="Engineering")
        middle = DepartmentFactory(name="Platform", parent=top)
        bottom = DepartmentFactory(name="Databases", parent=middle)
        top.parent = bottom
        with pytest.raises(ValidationError) as raised:
            top.full_clean()
        assert raised.value.message_dict["parent"] == [
            "“Engineering” cannot be part of “Databases”, which is part of it: "
            "Databases → Platform → Engineering."
        ]

    def test_a_department_with_people_or_sub_departments_cannot_be_deleted(self):
        top = DepartmentFactory()
        DepartmentFactory(parent=top)
        with pytest.raises(ProtectedError):
            top.delete()
        staffed = DepartmentFactory()
        EmployeeFactory(department=staffed)
        with pytest.raises(ProtectedError):
            staffed.delete()

    def test_tree_counts_people_including_sub_departments_in_one_query(self, django_assert_num_queries):
        top = DepartmentFactory(slug="top")
        middle = DepartmentFactory(slug="middle", parent=top)
        DepartmentFactory(slug="bottom", parent=middle)
        EmployeeFactory.create_batch(2, department=top)
        EmployeeFactory(department=Department.objects.get(slug="bottom"))
        with django_assert_num_queries(1):
            tree = Department.objects.tree()
        assert (tree["top"].headcount, tree["top"].total_headcount) == (2, 3)
        assert tree["middle"].total_headcount == 1
        assert [d.slug for d in tree["bottom"].ancestors()] == ["top", "middle"]


class TestSkillsField:
    def test_matches_existing_skills_without_regard_to_case_and_keeps_new_ones_unsaved(self):
        python = SkillFactory(name="Python")
        skills = SkillsField().clean(" python ,  Public   speaking, PYTHON,")
        assert skills[0] == python
        assert skills[1].name == "Public speaking"
        assert skills[1].pk is None
        assert len(skills) == 2

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("Python,,Go", "A skill name is empty"),
            ("Python, ,Go", "A skill name is empty"),
            ("x" * 51, "is longer than 50 characters"),
            (",".join(f"s{n}" for n in range(31)), "At most 30 skills"),
        ],
    )
    def test_bad_names_get_a_clear_message(self, value, message):
        with pytest.raises(ValidationError, match=message):
            SkillsField().clean(value)

    def test_the_employee_form_creates_missing_skills_only_when_valid(self):
        SkillFactory(name="Python", slug="python")
        data = {
            "full_name": "Ana",
            "job_title": "Engineer",
            "location": "Madrid",
            "skills": "PYTHON, C++, C#",
        }
        assert not EmployeeForm(data={**data, "full_name": ""}).is_valid()
        assert Skill.objects.count() == 1
        form = EmployeeForm(data=data)
        assert form.is_valid(), form.errors
        employee = form.save()
        assert sorted(skill.slug for skill in employee.skills.all()) == ["c-plus-plus", "c-sharp", "python"]
        assert EmployeeForm(instance=employee)["skills"].value() == "C#, C++, Python"


class TestManagerField:
    def form(self, employee=None, **data):
        base = {"full_name": "Ana", "job_title": "Engineer", "location": "Madrid"}
        if employee:
            base["version"] = employee.version
        return EmployeeForm(data={**base, **data}, instance=employee)

    def test_the_picked_suggestion_is_used(self):
        boss = EmployeeFactory(full_name="Carmen Ruiz")
        EmployeeFactory(full_name="Carmen Ruiz")
        form = self.form(manager="Carmen Ruiz", manager_id=str(boss.pk))
        assert form.is_valid(), form.errors
        assert form.save().manager == boss

    def test_without_scripts_a_unique_name_is_looked_up(self):
        boss = EmployeeFactory(full_name="Carmen Ruiz")
        form = self.form(manager="carmen ruiz")
        assert form.is_valid(), form.errors
        assert form.cleaned_data["manager"] == boss

    def test_an_ambiguous_name_lists_the_people_and_their_ids(self):
        first, second = EmployeeFactory(full_name="Carmen Ruiz"), EmployeeFactory(full_name="Carmen Ruiz")
        form = self.form(manager="Carmen Ruiz")
        assert not form.is_valid()
        assert "Several people are called “Carmen Ruiz”" in form.errors["manager"][0]
        assert str(first.pk) in form.errors["manager"][0]
        assert str(second.pk) in form.errors["manager"][0]
        form = self.form(manager=str(second.pk))
        assert form.is_valid(), form.errors
        assert form.cleaned_data["manager"] == second

    def test_an_unknown_name_is_refused(self):
        form = self.form(manager="Nobody Atall")
        assert form.errors["manager"] == [
            "Nobody is called “Nobody Atall”. Type part of a name and pick a person from the suggestions."
        ]

    def test_the_form_never_lists_every_employee(self):
        EmployeeFactory.create_batch(3)
        boss = EmployeeFactory(full_name="Carmen Ruiz")
        employee = EmployeeFactory(manager=boss)
        html = str(EmployeeForm(instance=employee)["manager"])
        assert "<option" not in html
        assert 'value="Carmen Ruiz"' in html
        assert f'value="{boss.pk}"' in html
        assert 'data-lookup-url="/api/v1/employees/"' in html
