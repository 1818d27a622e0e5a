"""Every write of an employee, a function each, with the version check, the search text and the history:
the site's forms, the admin, the API and the import call these; nothing else writes an employee."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .models import HISTORY, Badge, Department, Employee, Location, Skill
from .search import fold

MANAGER_DELETED = "Their manager was deleted"
MANAGER_LEFT = "Their manager left"
MANAGER_RESTORED = "Their manager was restored"
RESTORED = "Restored"
LEFT = "Left the company"
RETURNED = "Back at the company"


def search_fields(employee, badges, skills):
    """Set what the search and the list's menus read (employees/search.py) from the employee and its tags."""
    department = [employee.department.name] if employee.department_id else []
    tags = [tag.name for tag in [*badges, *skills]]
    employee.badge_slugs = sorted(badge.slug for badge in badges)
    employee.skill_slugs = sorted(skill.slug for skill in skills)
    employee.search_name = fold(employee.full_name)
    employee.search_text = fold(
        " ".join([employee.full_name, employee.job_title, employee.location_id, *department, *tags])
    )


def saved_skill(name):
    """The skill called ``name`` (any case), created if nobody has it yet."""
    return Skill.objects.get_or_create(name__iexact=name, defaults={"name": name})[0]


def lock(pk, version=None):
    """Lock the employee ``pk``'s row and return its version; raise ``Employee.EditConflict`` with the
    employee as stored if it is no longer at ``version`` (when given), or with None if it is gone."""
    current = Employee.objects.select_for_update().filter(pk=pk).values_list("version", flat=True).first()
    if current is None or (version is not None and version != current):
        raise Employee.EditConflict(Employee.objects.for_detail().filter(pk=pk).first())
    return current


def current(tags, given, adding):
    """The tags an employee will have: ``given``, or those it has."""
    if given is not None:
        return list(given)
    return [] if adding else list(tags.all())


def save_employee(employee, *, user=None, badges=None, skills=None, version=None, reason=None):
    """Create or update ``employee``, with its ``badges`` and ``skills`` when given (unsaved skills are
    created), as one change by ``user`` in its history. If it was saved since ``version``, the version the
    change was made on, nothing is written and ``Employee.EditConflict`` is raised."""
    with transaction.atomic():
        adding = employee._state.adding
        if not adding:
            employee.version = lock(employee.pk, version) + 1
        if skills is not None:
            skills = [skill if skill.pk else saved_skill(skill.name) for skill in skills]
        tags = {employee.badges: badges, employee.skills: skills}
        search_fields(employee, *(current(manager, given, adding) for manager, given in tags.items()))
        employee.skip_history_when_saving = True
        try:
            employee.save()
            for manager, given in tags.items():
                if given is not None and (given or not adding):
                    manager.set(given)
        finally:
            del employee.skip_history_when_saving
        employee._history_user, employee._change_reason = user, reason
        HISTORY.create_historical_record(employee, "+" if adding else "~")
    return employee


def delete_employee(employee, *, user=None):
    """Delete ``employee``. Their direct reports now report to the deleted person's manager (or to nobody),
    each move recorded in their history; restoring the employee moves back those nobody moved since."""
    with transaction.atomic():
        when = timezone.now()
        for report in employee.reports.all():
            report.manager_id = employee.manager_id
            report._history_date = when
            save_employee(report, user=user, reason=MANAGER_DELETED)
        employee._history_user, employee._history_date = user, when
        employee.delete()


def mark_as_left(employee, *, user=None, on=None, version=None):
    """Record that ``employee`` left the company ``on`` a day (today by default). Their account stops working
    at once (its sessions and API tokens with it: both check that the account is active), and their direct
    reports now report to the leaver's manager. Nothing is deleted: ``return_to_company`` undoes it."""
    with transaction.atomic():
        employee.left_on = on or timezone.localdate()
        save_employee(employee, user=user, version=version, reason=LEFT)
        if employee.user_id:
            get_user_model().objects.filter(pk=employee.user_id).update(is_active=False)
        for report in employee.reports.all():
            report.manager_id = employee.manager_id
            save_employee(report, user=user, reason=MANAGER_LEFT)
    return employee


def return_to_company(employee, *, user=None, version=None):
    """Undo ``mark_as_left``: ``employee`` is listed again and their account works again."""
    with transaction.atomic():
        employee.left_on = None
        save_employee(employee, user=user, version=version, reason=RETURNED)
        if employee.user_id:
            get_user_model().objects.filter(pk=employee.user_id).update(is_active=True)
    return employee


def restore_employee(deletion, *, user=None):
    """Bring back the employee deleted by the history record ``deletion``, with their badges, skills and the
    direct reports moved away then that have not changed since; a manager, department or account that is gone
    or taken is left out. A location is required: one deleted (or renamed) since is added to the catalogue
    again."""
    before = deletion.prev_record  # the deletion's own record has no tags: they are deleted first
    employee = deletion.instance
    employee.photo = ""  # its files went with the deletion
    if not Employee.objects.filter(pk=employee.manager_id).exists():
        employee.manager = None
    if not Department.objects.filter(pk=employee.department_id).exists():
        employee.department = None
    employee.location = Location.objects.for_name(employee.location_id)
    if Employee.objects.filter(user_id=employee.user_id).exists() or not (
        get_user_model().objects.filter(pk=employee.user_id).exists()
    ):
        employee.user = None
    tags = before or deletion
    with transaction.atomic():
        save_employee(
            employee,
            user=user,
            badges=Badge.objects.filter(pk__in=tags.badges.values("badge")),
            skills=Skill.objects.filter(pk__in=tags.skills.values("skill")),
            reason=RESTORED,
        )
        moved = Employee.history.filter(
            history_date=deletion.history_date, history_change_reason=MANAGER_DELETED
        )
        for move in moved:
            report = Employee.objects.filter(pk=move.id, version=move.version).first()
            if report is not None:
                report.manager = employee
                save_employee(report, user=user, reason=MANAGER_RESTORED)
    return employee


def refresh_search_text(employees):
    """Recompute the search text of ``employees`` after one of their tags or their department changed: no
    change of theirs to record."""
    employees = list(employees.select_related("department").prefetch_related("badges", "skills"))
    for employee in employees:
        search_fields(employee, employee.badges.all(), employee.skills.all())
    fields = ["search_text", "search_name", "badge_slugs", "skill_slugs"]
    Employee.objects.bulk_update(employees, fields, batch_size=1000)
