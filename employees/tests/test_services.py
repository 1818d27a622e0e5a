"""Every write of an employee (employees/services.py), and what follows a change to a badge, skill or
department (employees/signals.py): versions, search text, history, and what becomes of direct reports."""

import pytest
from django.contrib.auth.models import User

from employees import services
from employees.models import Employee, Skill

from .factories import (
    BadgeFactory,
    DepartmentFactory,
    EmployeeFactory,
    LocationFactory,
    SkillFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def records(employee):
    """The history of ``employee``, oldest first."""
    return list(Employee.history.filter(id=employee.pk).order_by("history_date", "history_id"))


def delete(employee, user=None):
    """Delete ``employee`` through the service and return the history record of the deletion."""
    pk = employee.pk  # a deleted instance loses its primary key
    services.delete_employee(employee, user=user)
    return Employee.history.get(id=pk, history_type="-")


def shown(record):
    """A history record's changes as the employee page shows them: label, old value, new value."""
    return [(str(label), str(old), str(new)) for label, old, new in record.changes]


def new_employee(**fields):
    madrid = LocationFactory(name="Madrid")
    return Employee(**{"full_name": "Ana García", "job_title": "Engineer", "location": madrid, **fields})


@pytest.fixture
def python():
    return SkillFactory(name="Python", slug="python")


@pytest.fixture
def go():
    return SkillFactory(name="Go", slug="go")


class TestSaveEmployee:
    def test_creating_records_one_history_entry_with_the_user_badges_and_skills(self, editor, coffee, python):
        employee = services.save_employee(new_employee(), user=editor, badges=[coffee], skills=[python])
        [created] = records(employee)
        assert (created.history_type, created.history_user, created.version) == ("+", editor, 1)
        assert [row.badge for row in created.badges.all()] == [coffee]
        assert [row.skill for row in created.skills.all()] == [python]

    def test_every_save_raises_the_version_by_one_and_records_one_entry(self, editor, coffee, gamer, go):
        employee = EmployeeFactory(badges=[coffee])
        for title in ["Lead", "Director"]:
            employee.job_title = title
            services.save_employee(employee, user=editor, badges=[coffee, gamer], skills=[go])
        stored = Employee.objects.get(pk=employee.pk)
        assert (stored.job_title, stored.version) == ("Director", 3)
        created, first, second = records(employee)
        assert [record.version for record in (created, first, second)] == [1, 2, 3]
        assert (second.history_type, second.history_user, second.job_title) == ("~", editor, "Director")
        assert {row.badge.name for row in second.badges.all()} == {"Coffee Snob", "Gamer"}
        assert [row.skill.name for row in second.skills.all()] == ["Go"]

    def test_a_stale_version_raises_edit_conflict_with_the_stored_employee_and_changes_nothing(self, coffee):
        employee = EmployeeFactory(job_title="Original")
        first, second = Employee.objects.get(pk=employee.pk), Employee.objects.get(pk=employee.pk)
        first.job_title = "First"
        services.save_employee(first, version=1)
        second.job_title = "Second"
        with pytest.raises(Employee.EditConflict) as raised:
            services.save_employee(second, version=1, badges=[coffee])
        assert raised.value.args[0].job_title == "First"
        stored = Employee.objects.get(pk=employee.pk)
        assert (stored.job_title, stored.version, list(stored.badges.all())) == ("First", 2, [])
        assert len(records(employee)) == 2

    def test_saving_someone_deleted_meanwhile_raises_edit_conflict_without_an_employee(self):
        employee = EmployeeFactory()
        copy = Employee.objects.get(pk=employee.pk)
        delete(employee)
        with pytest.raises(Employee.EditConflict) as raised:
            services.save_employee(copy)
        assert raised.value.args == (None,)
        assert not Employee.objects.exists()

    def test_badges_and_skills_not_given_are_kept(self, coffee, python):
        employee = EmployeeFactory(badges=[coffee], skills=[python])
        employee.job_title = "Lead"
        services.save_employee(employee)
        assert (list(employee.badges.all()), list(employee.skills.all())) == ([coffee], [python])
        latest = records(employee)[-1]
        assert [row.badge for row in latest.badges.all()] == [coffee]
        assert [row.skill for row in latest.skills.all()] == [python]

    def test_new_skills_are_created_and_known_ones_found_whatever_the_case(self, python):
        employee = services.save_employee(new_employee(), skills=[Skill(name="PYTHON"), Skill(name="Rust")])
        assert [skill.name for skill in employee.skills.all()] == ["Python", "Rust"]
        assert Skill.objects.count() == 2

    def test_writes_the_folded_search_text_and_name(self, coffee):
        EmployeeFactory(
            full_name="José Núñez",
            job_title="Ingeniera Jefa",
            location="Málaga",
            department=DepartmentFactory(name="Plataforma"),
            badges=[coffee],
            skills=[SkillFactory(name="Kubernetes")],
        )
        stored = Employee.objects.get()
        assert stored.search_name == "jose nunez"
        assert stored.search_text == "jose nunez ingeniera jefa malaga plataforma coffee snob kubernetes"

    def test_the_search_text_follows_edits_and_removed_tags(self, coffee, python):
        employee = EmployeeFactory(
            full_name="Ana", job_title="Engineer", location="Madrid", badges=[coffee], skills=[python]
        )
        employee.full_name = "Beatriz"
        services.save_employee(employee, badges=[], skills=[])
        stored = Employee.objects.get()
        assert (stored.search_name, stored.search_text) == ("beatriz", "beatriz engineer madrid")
        assert list(Employee.objects.search("beatriz")) == [stored]
        assert not Employee.objects.search("coffee").exists()


class TestRecentChanges:
    def test_name_each_changed_field_with_old_and_new_values(self, coffee, gamer, python, go):
        employee = EmployeeFactory(job_title="Engineer", badges=[coffee], skills=[python])
        employee.job_title = "Lead"
        services.save_employee(employee, badges=[coffee, gamer], skills=[go])
        latest, created = employee.recent_changes()
        assert shown(latest) == [
            ("badges", "Coffee Snob", "Coffee Snob, Gamer"),
            ("job title", "Engineer", "Lead"),
            ("skills", "Python", "Go"),
        ]
        assert created.changes == []
        assert created.get_history_type_display() == "Created"

    def test_a_change_of_skills_alone_is_named(self, python, go):
        # Skills rows have no "badge" key: reading every tag row as a badge once broke the employee page.
        employee = EmployeeFactory(skills=[python])
        services.save_employee(employee, skills=[python, go])
        assert shown(employee.recent_changes()[0]) == [("skills", "Python", "Go, Python")]

    def test_a_new_manager_and_department_are_named_with_nothing_before(self):
        boss = EmployeeFactory(full_name="Carmen Ruiz")
        employee = EmployeeFactory()
        employee.manager, employee.department = boss, DepartmentFactory(name="Platform")
        services.save_employee(employee)
        assert shown(employee.recent_changes()[0]) == [
            ("department", "", "Platform"),
            ("manager", "", "Carmen Ruiz"),
        ]

    def test_the_oldest_record_shown_is_compared_with_the_one_before_it(self):
        employee = EmployeeFactory(job_title="Engineer")
        for title in ["Lead", "Director"]:
            employee.job_title = title
            services.save_employee(employee)
        latest, oldest_shown = employee.recent_changes(limit=2)
        assert shown(latest) == [("job title", "Lead", "Director")]
        assert shown(oldest_shown) == [("job title", "Engineer", "Lead")]


class TestDeleteEmployee:
    def test_direct_reports_move_to_the_deleted_persons_manager_each_move_recorded(self, editor):
        chief = EmployeeFactory(full_name="Chief")
        head = EmployeeFactory(full_name="Head", manager=chief)
        reports = EmployeeFactory.create_batch(2, manager=head)
        deletion = delete(head, user=editor)
        assert not Employee.objects.filter(pk=deletion.id).exists()
        assert set(chief.reports.all()) == set(reports)
        for report in reports:
            moved = records(report)[-1]
            assert (moved.manager_id, moved.history_user, moved.history_change_reason) == (
                chief.pk,
                editor,
                "Their manager was deleted",
            )
        assert deletion.history_user == editor

    def test_the_reports_of_someone_at_the_top_report_to_nobody(self):
        chief = EmployeeFactory()
        report = EmployeeFactory(manager=chief)
        delete(chief)
        assert Employee.objects.get(pk=report.pk).manager is None


class TestRestoreEmployee:
    def test_brings_back_the_employee_with_badges_and_skills(self, editor, coffee, python):
        boss = EmployeeFactory(full_name="Carmen Ruiz")
        department = DepartmentFactory(name="Platform")
        ana = EmployeeFactory(
            full_name="Ana García", manager=boss, department=department, badges=[coffee], skills=[python]
        )
        restored = services.restore_employee(delete(ana), user=editor)
        restored = Employee.objects.for_detail().get(pk=restored.pk)
        assert (restored.full_name, restored.manager, restored.department) == ("Ana García", boss, department)
        assert (list(restored.badges.all()), list(restored.skills.all())) == ([coffee], [python])
        assert list(Employee.objects.search("coffee python")) == [restored]
        latest = records(restored)[-1]
        assert (latest.history_user, latest.history_change_reason) == (editor, "Restored")
        assert [row.badge for row in latest.badges.all()] == [coffee]
        assert [row.skill for row in latest.skills.all()] == [python]

    def test_moves_the_reports_back_unless_they_changed_since(self, editor):
        chief = EmployeeFactory(full_name="Chief")
        head = EmployeeFactory(full_name="Head", manager=chief)
        untouched, changed = EmployeeFactory(manager=head), EmployeeFactory(manager=head)
        deletion = delete(head)
        changed = Employee.objects.get(pk=changed.pk)
        changed.job_title = "Promoted"
        services.save_employee(changed)
        head = services.restore_employee(deletion, user=editor)
        assert Employee.objects.get(pk=untouched.pk).manager_id == head.pk
        assert Employee.objects.get(pk=changed.pk).manager_id == chief.pk
        moved_back = records(untouched)[-1]
        assert (moved_back.history_user, moved_back.history_change_reason) == (
            editor,
            "Their manager was restored",
        )

    def test_leaves_out_a_manager_department_and_badge_that_no_longer_exist(self, coffee, gamer):
        boss, department = EmployeeFactory(), DepartmentFactory()
        ana = EmployeeFactory(manager=boss, department=department, badges=[coffee, gamer])
        deletion = delete(ana)
        delete(boss)
        department.delete()
        gamer.delete()
        restored = Employee.objects.get(pk=services.restore_employee(deletion).pk)
        assert (restored.manager, restored.department, list(restored.badges.all())) == (None, None, [coffee])

    def test_leaves_out_an_account_now_linked_to_someone_else(self):
        account = UserFactory()
        ana = EmployeeFactory(user=account)
        deletion = delete(ana)
        EmployeeFactory(user=account)
        restored = services.restore_employee(deletion)
        assert Employee.objects.get(pk=restored.pk).user is None

    def test_leaves_out_an_account_deleted_since(self):
        ana = EmployeeFactory(user=UserFactory())
        deletion = delete(ana)
        User.objects.all().delete()
        restored = services.restore_employee(deletion)
        assert Employee.objects.get(pk=restored.pk).user_id is None


class TestCatalogueChanges:
    """Renaming or deleting a badge, skill or department rewrites the search text of its people."""

    @pytest.fixture
    def ana(self, coffee, python):
        department = DepartmentFactory(name="Platform")
        return EmployeeFactory(
            full_name="Ana",
            job_title="Engineer",
            location="Madrid",
            department=department,
            badges=[coffee],
            skills=[python],
        )

    def test_renaming_a_badge_skill_or_department_refreshes_the_search_text(self, ana, coffee, python):
        coffee.name = "Tea Lover"
        coffee.save()
        python.name = "Rust"
        python.save()
        ana.department.name = "Infrastructure"
        ana.department.save()
        assert Employee.objects.get().search_text == "ana engineer madrid infrastructure tea lover rust"
        assert list(Employee.objects.search("tea rust infrastructure")) == [ana]
        assert not Employee.objects.search("coffee").exists()

    def test_deleting_a_badge_or_skill_removes_it_from_the_search_text(self, ana, coffee, python):
        coffee.delete()
        python.delete()
        assert Employee.objects.get().search_text == "ana engineer madrid platform"
        assert not Employee.objects.search("python").exists()

    def test_renaming_records_no_change_of_the_people(self, ana, coffee):
        coffee.name = "Tea Lover"
        coffee.save()
        assert len(records(ana)) == 1
        assert Employee.objects.get().version == 1

    def test_a_renamed_badge_rewrites_its_people_in_a_few_queries(self, django_assert_max_num_queries):
        badge = BadgeFactory(name="Coffee Snob")
        EmployeeFactory.create_batch(30, badges=[badge])
        badge.name = "Tea Lover"
        # Its old name, the badge, its people, their badges and skills, and one update of them all.
        with django_assert_max_num_queries(6):
            badge.save()
        assert Employee.objects.search("tea lover").count() == 30
