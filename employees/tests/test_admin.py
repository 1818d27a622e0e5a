import io
import os
import re
import tempfile

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.results import RowResult

from employees import resources, services
from employees.models import Employee, Location
from employees.resources import EmployeeResource, ImportRefused, ImportUploads

from .factories import DepartmentFactory, EmployeeFactory, LocationFactory, SkillFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("locations")]

CHANGELIST = reverse("admin:employees_employee_changelist")


@pytest.mark.parametrize("count", [5, 50])
def test_changelist_shows_departments_without_a_query_per_row(
    admin_client, count, django_assert_max_num_queries
):
    platform = DepartmentFactory(name="Platform")
    EmployeeFactory.create_batch(count, department=platform)
    # The session unless cached, the user, the department and badge filters, the count, the page's rows with
    # their departments, the location filter.
    with django_assert_max_num_queries(7):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('<td class="field-department nowrap">Platform</td>') == count


def test_changelist_search_uses_the_directory_search(admin_client, coffee):
    EmployeeFactory(full_name="Ana García", badges=[coffee])
    EmployeeFactory(full_name="Ben Ode")
    content = admin_client.get(CHANGELIST, {"q": "coffee"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_changelist_filters_by_location(admin_client):
    EmployeeFactory(full_name="Ana García", location="Madrid")
    EmployeeFactory(full_name="Ben Ode", location="Paris")
    content = admin_client.get(CHANGELIST, {"location": "Madrid"}).content.decode()
    assert "Ana García" in content
    assert "Ben Ode" not in content


def test_change_form_loads_with_read_only_timestamps(admin_client, coffee):
    employee = EmployeeFactory(badges=[coffee])
    response = admin_client.get(reverse("admin:employees_employee_change", args=[employee.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="created_at"' not in content
    assert "Created" in content
    assert 'id="id_badges_from"' in content or "selectfilter" in content


def test_admin_add_strips_and_validates(admin_client):
    response = admin_client.post(
        reverse("admin:employees_employee_add"),
        {"full_name": "   ", "job_title": "Engineer", "location": "Madrid"},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_badge_admin_lists_how_many_people_have_each_badge(admin_client, coffee, gamer):
    EmployeeFactory.create_batch(3, badges=[coffee])
    response = admin_client.get(reverse("admin:employees_badge_changelist"))
    assert response.status_code == 200
    rows = re.findall(
        r'<th class="field-name"><a [^>]+>([^<]+)</a></th>.*?<td class="field-headcount">(\d+)</td>',
        response.content.decode(),
    )
    assert rows == [("Coffee Snob", "3"), ("Gamer", "0")]


def test_editors_cannot_reach_admin(editor_client):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def admin_form_data(employee, **changes):
    return {
        "full_name": employee.full_name,
        "job_title": employee.job_title,
        "location": employee.location_name,
        "mobile_visibility": employee.mobile_visibility,
        "start_date_visibility": employee.start_date_visibility,
        "version": employee.version,
        **changes,
    }


def test_admin_refuses_a_save_over_a_newer_version_and_shows_the_current_one(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    stale = admin_form_data(employee, job_title="Mine")
    theirs = Employee.objects.get(pk=employee.pk)
    theirs.job_title = "Theirs"
    services.save_employee(theirs, version=1)  # someone else saves while the admin's form is open

    response = admin_client.post(url, stale, follow=True)
    assert response.redirect_chain == [(url, 302)]
    content = response.content.decode()
    assert "Someone else saved this employee meanwhile; nothing was saved." in content
    assert 'name="job_title" value="Theirs"' in content
    employee.refresh_from_db()
    assert (employee.job_title, employee.version) == ("Theirs", 2)
    assert employee.history.count() == 2


def test_admin_saves_the_current_version(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    assert admin_client.post(url, admin_form_data(employee, job_title="Lead")).status_code == 302
    employee.refresh_from_db()
    assert (employee.job_title, employee.version) == ("Lead", 2)
    change = employee.history.get(history_type="~")
    assert (change.job_title, change.history_user.username) == ("Lead", "admin")


def test_admin_links_a_user_account_to_an_employee(admin_client):
    employee = EmployeeFactory(full_name="Pat Doe", job_title="Engineer", location="Madrid")
    account = UserFactory(username="pat")
    url = reverse("admin:employees_employee_change", args=[employee.pk])
    form = admin_client.get(url).content.decode()
    assert re.search(r'<select name="user"[^>]*class="admin-autocomplete', form)
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {"term": "pat", "app_label": "employees", "model_name": "employee", "field_name": "user"},
    ).json()
    assert [result["text"] for result in found["results"]] == ["pat"]
    data = {
        "full_name": "Pat Doe",
        "job_title": "Engineer",
        "location": "Madrid",
        "user": account.pk,
        "mobile_visibility": "managers",
        "start_date_visibility": "managers",
        "version": employee.version,
    }
    assert admin_client.post(url, data).status_code == 302
    assert Employee.objects.get(pk=employee.pk).user == account


def test_admin_refuses_a_duplicate_work_email_on_the_field(admin_client):
    EmployeeFactory(work_email="ana@example.com")
    data = {
        "full_name": "Ana",
        "job_title": "Engineer",
        "location": "Madrid",
        "work_email": "ANA@example.com",
    }
    response = admin_client.post(reverse("admin:employees_employee_add"), data)
    assert response.status_code == 200
    assert "Another employee already has the work email ANA@example.com." in response.content.decode()


def test_admin_shows_an_employees_history(admin_client):
    employee = EmployeeFactory(job_title="Engineer")
    admin_client.post(
        reverse("admin:employees_employee_change", args=[employee.pk]),
        admin_form_data(employee, job_title="Lead"),
    )
    content = admin_client.get(
        reverse("admin:employees_employee_history", args=[employee.pk])
    ).content.decode()
    assert "Changed" in content
    assert "admin" in content


def delete_in_admin(admin_client, employee):
    return admin_client.post(reverse("admin:employees_employee_delete", args=[employee.pk]), {"post": "yes"})


def restore_url(deletion):
    return reverse("admin:employees_employee_simple_history", args=[deletion.id, deletion.history_id])


def test_admin_deletion_is_recorded_and_listed_with_a_link_to_restore(admin_client):
    employee = EmployeeFactory(full_name="Ana García")
    assert delete_in_admin(admin_client, employee).status_code == 302
    assert not Employee.objects.filter(pk=employee.pk).exists()
    deletion = Employee.history.get(id=employee.pk, history_type="-")
    assert deletion.history_user.username == "admin"

    deleted = admin_client.get(
        reverse("admin:employees_historicalemployee_changelist"), {"history_type": "-"}
    ).content.decode()
    assert "Ana García" in deleted
    history_url = reverse("admin:employees_employee_history", args=[employee.pk])
    assert history_url in deleted
    assert restore_url(deletion) in admin_client.get(history_url).content.decode()


def test_admin_asks_before_restoring_a_deleted_employee(admin_client):
    employee = EmployeeFactory(full_name="Ana García")
    delete_in_admin(admin_client, employee)
    deletion = Employee.history.get(id=employee.pk, history_type="-")
    response = admin_client.get(restore_url(deletion))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Restore Ana García?" in content
    assert 'value="Restore"' in content
    assert not Employee.objects.filter(pk=employee.pk).exists()


def test_admin_restores_a_deleted_employee_with_badges_and_skills(admin_client, coffee, gamer):
    python = SkillFactory(name="Python")
    employee = EmployeeFactory(
        full_name="Ana García",
        job_title="Engineer",
        location="Madrid",
        badges=[coffee, gamer],
        skills=[python],
    )
    delete_in_admin(admin_client, employee)
    deletion = Employee.history.get(id=employee.pk, history_type="-")

    response = admin_client.post(restore_url(deletion), follow=True)

    change_url = reverse("admin:employees_employee_change", args=[employee.pk])
    assert response.redirect_chain == [(change_url, 302)]
    assert "Ana García was restored." in response.content.decode()
    restored = Employee.objects.get(pk=employee.pk)
    assert (restored.full_name, restored.job_title, restored.location_name) == (
        "Ana García",
        "Engineer",
        "Madrid",
    )
    assert set(restored.badges.all()) == {coffee, gamer}
    assert list(restored.skills.all()) == [python]
    assert list(Employee.objects.search("python")) == [restored]
    restore = restored.history.latest()
    assert (restore.history_type, restore.history_change_reason) == ("+", "Restored")
    assert restore.history_user.username == "admin"


def test_restoring_someone_whose_location_was_deleted_since_adds_it_back(admin_client):
    employee = EmployeeFactory(full_name="Ana García", location="Lisbon")
    delete_in_admin(admin_client, employee)
    Location.objects.get(name="Lisbon").delete()
    deletion = Employee.history.get(id=employee.pk, history_type="-")

    admin_client.post(restore_url(deletion))

    assert Employee.objects.get(pk=employee.pk).location_name == "Lisbon"
    assert Location.objects.filter(name="Lisbon").exists()


def test_admin_deletes_a_manager_and_restoring_them_gives_their_reports_back(admin_client):
    boss = EmployeeFactory(full_name="Boss")
    manager = EmployeeFactory(full_name="Manager", manager=boss)
    ana = EmployeeFactory(full_name="Ana", manager=manager)
    assert delete_in_admin(admin_client, manager).status_code == 302
    ana.refresh_from_db()
    assert ana.manager == boss
    assert ana.history.latest().history_change_reason == "Their manager was deleted"

    deletion = Employee.history.get(id=manager.pk, history_type="-")
    assert admin_client.post(restore_url(deletion)).status_code == 302
    ana.refresh_from_db()
    assert ana.manager == Employee.objects.get(pk=manager.pk)
    assert Employee.objects.get(pk=manager.pk).manager == boss


def test_the_delete_action_moves_the_reports_of_a_manager_to_the_manager_above(admin_client):
    boss = EmployeeFactory(full_name="Boss")
    manager = EmployeeFactory(full_name="Manager", manager=boss)
    ana = EmployeeFactory(full_name="Ana", manager=manager)
    ben = EmployeeFactory(full_name="Ben")
    action = {"action": "delete_selected", "_selected_action": [manager.pk, ben.pk], "post": "yes"}
    assert admin_client.post(CHANGELIST, action).status_code == 302
    assert list(Employee.objects.values_list("full_name", flat=True)) == ["Ana", "Boss"]
    ana.refresh_from_db()
    assert ana.manager == boss
    deletions = Employee.history.filter(history_type="-")
    assert {(record.full_name, record.history_user.username) for record in deletions} == {
        ("Ben", "admin"),
        ("Manager", "admin"),
    }


def test_restoring_needs_the_add_permission(client):
    employee = EmployeeFactory(full_name="Ana García")
    pk = employee.pk
    services.delete_employee(employee)
    deletion_url = restore_url(Employee.history.get(id=pk, history_type="-"))
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_employee", "change_employee"]))
    client.force_login(staff)
    assert client.get(deletion_url).status_code == 403
    assert client.post(deletion_url).status_code == 403
    assert not Employee.objects.filter(pk=pk).exists()


# Import


IMPORT = reverse("admin:employees_employee_import")
PROCESS_IMPORT = reverse("admin:employees_employee_process_import")
CSV_FORMAT, XLSX_FORMAT = "0", "1"


def upload(admin_client, content, name="employees.csv", file_format=CSV_FORMAT):
    return admin_client.post(
        IMPORT, {"format": file_format, "import_file": SimpleUploadedFile(name, content)}
    )


def confirm(admin_client, preview):
    return admin_client.post(PROCESS_IMPORT, preview.context["confirm_form"].initial)


def test_import_previews_new_and_updated_rows_and_writes_nothing_until_confirmed(admin_client, coffee):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    content = (
        "\ufeffid,full_name,job_title,location,badges\r\n"
        f"{ana.pk},Ana García,Architect,Madrid,Coffee Snob\r\n"
        ",Zoë Ångström,Designer,Paris,coffee-snob\r\n"
    ).encode()
    preview = upload(admin_client, content)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Zoë Ångström" in page
    assert "New" in page
    assert "Update" in page
    assert Employee.objects.count() == 1
    assert Employee.objects.get().job_title == "Engineer"

    response = confirm(admin_client, preview)
    assert response.status_code == 302
    assert Employee.objects.count() == 2
    ana.refresh_from_db()
    assert ana.job_title == "Architect"
    assert list(ana.badges.all()) == [coffee]
    assert Employee.objects.get(full_name="Zoë Ångström").badges.get() == coffee


def test_import_preview_lists_invalid_rows_with_reasons_and_offers_no_confirm(admin_client):
    content = b"full_name,job_title,location,badges\nAna,Engineer,Madrid,chess\n ,Engineer,Madrid,\n"
    preview = upload(admin_client, content)
    page = preview.content.decode()
    assert "Unknown badge: chess." in page
    assert "This field cannot be blank." in page
    assert "confirm_form" not in preview.context
    assert not Employee.objects.exists()


def test_import_preview_shows_valid_and_invalid_rows_together_with_each_error_in_its_row(admin_client):
    content = (
        "full_name,job_title,location,department\n"
        "Ana,Engineer,Madrid,\n"
        "Ben,,Paris,Nowhere\n"
        "Chloé,Designer,paris ,\n"
    ).encode()
    page = upload(admin_client, content).content.decode()
    rows = re.findall(r'<tr class="(\w+)">\s*<td>(\d)</td>.*?<td class="errors">(.*?)</td>', page, re.S)
    assert [(kind, number) for kind, number, _ in rows] == [("new", "1"), ("invalid", "2"), ("new", "3")]
    assert rows[0][2] == rows[2][2] == ""
    assert "<strong>job_title</strong>: This field cannot be blank." in rows[1][2]
    assert "<strong>department</strong>: Unknown department: Nowhere." in rows[1][2]
    assert "validation-error-container" not in page  # no error kept for hovering
    assert not Employee.objects.exists()


def test_import_of_a_file_without_a_required_column_reports_every_row(admin_client):
    preview = upload(admin_client, b"name,job_title,location\nAna,Engineer,Madrid\n")
    assert "This field cannot be blank." in preview.content.decode()
    assert preview.context["result"].invalid_rows[0].field_specific_errors == {
        "full_name": ["This field cannot be blank."]
    }
    assert "confirm_form" not in preview.context
    assert not Employee.objects.exists()


def test_import_confirmed_after_a_row_became_invalid_imports_nothing(admin_client, coffee):
    content = b"full_name,job_title,location,badges\nAna,A,Madrid,\nBen,B,Paris,coffee-snob\n"
    preview = upload(admin_client, content)
    assert "confirm_form" in preview.context
    coffee.delete()
    confirm(admin_client, preview)
    assert not Employee.objects.exists()


def test_an_edit_made_after_the_preview_is_a_conflict_and_nothing_is_imported(admin_client, editor):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    ben = EmployeeFactory(full_name="Ben Okafor", job_title="Designer", location="Lagos")
    content = f"id,full_name,job_title,location\n{ana.pk},Ana García,Architect,Madrid\n"
    content += f"{ben.pk},Ben Okafor,Lead,Lagos\n"
    preview = upload(admin_client, content.encode())
    assert "confirm_form" in preview.context
    ana.job_title = "Principal Engineer"  # an editor saves Ana while the preview is on screen
    services.save_employee(ana, user=editor, version=ana.version)

    response = admin_client.post(PROCESS_IMPORT, preview.context["confirm_form"].initial, follow=True)
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Ana García was changed by someone else after the preview" in page
    assert "Import finished" not in page
    assert Employee.objects.get(pk=ana.pk).job_title == "Principal Engineer"
    assert Employee.objects.get(pk=ben.pk).job_title == "Designer"


def test_an_import_row_saved_over_a_newer_version_is_a_conflict(admin_user, editor):
    ana = EmployeeFactory(full_name="Ana García", job_title="Engineer", location="Madrid")
    dataset = tablib.Dataset(
        [str(ana.pk), "Ana García", "Architect", "Madrid"],
        headers=["id", "full_name", "job_title", "location"],
    )
    resource = EmployeeResource()
    stale = Employee.objects.get(pk=ana.pk)
    ana.job_title = "Principal Engineer"
    services.save_employee(ana, user=editor, version=ana.version)
    resource.before_import(dataset, user=admin_user)
    stale.job_title = "Architect"  # the row was read before the editor's save, and written after it
    with pytest.raises(ValidationError, match="changed by someone else"):
        resource.save_instance(stale, False, dataset.dict[0])
    assert Employee.objects.get(pk=ana.pk).job_title == "Principal Engineer"


def test_import_reads_xlsx(admin_client, gamer):
    headers = ["full_name", "job_title", "location", "badges"]
    workbook = tablib.Dataset(["Ana García", "Engineer", "Madrid", "Gamer"], headers=headers)
    preview = upload(admin_client, workbook.export("xlsx"), name="employees.xlsx", file_format=XLSX_FORMAT)
    assert "Ana García" in preview.content.decode()
    confirm(admin_client, preview)
    assert Employee.objects.get().badges.get() == gamer


def test_import_of_an_unreadable_file_says_so(admin_client):
    preview = upload(admin_client, b"not a workbook", name="employees.xlsx", file_format=XLSX_FORMAT)
    assert preview.status_code == 200
    assert "Ensure you have chosen the correct format for the file." in preview.content.decode()
    assert not Employee.objects.exists()


def xlsx(*cells):
    """A workbook with ``cells`` ((coordinate, value) pairs) on its first sheet."""
    workbook = openpyxl.Workbook()
    for coordinate, value in cells:
        workbook.active[coordinate] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_import_refuses_a_spreadsheet_that_claims_every_column_without_reading_them(admin_client):
    """One cell at column XFD made a 22 KB file take 460 MB and 40 s: every row padded to 16,384 cells."""
    content = xlsx(("A1", "full_name"), ("B1", "job_title"), ("C1", "location"), ("XFD1", "x"))
    preview = upload(admin_client, content, name="employees.xlsx", file_format=XLSX_FORMAT)
    assert "The file has more than 50 columns." in preview.content.decode()
    assert "confirm_form" not in preview.context


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_import_refuses_more_rows_than_the_limit_and_reads_no_row(admin_client, monkeypatch, file_format):
    monkeypatch.setattr(resources, "MAX_ROWS", 3)
    rows = [["full_name", "job_title", "location"], *[[f"Ana {n}", "Engineer", "Madrid"] for n in range(4)]]
    if file_format == CSV_FORMAT:
        content = "".join(",".join(row) + "\n" for row in rows).encode()
    else:
        content = xlsx(
            *(
                (f"{'ABC'[col]}{line + 1}", value)
                for line, row in enumerate(rows)
                for col, value in enumerate(row)
            )
        )
    preview = upload(admin_client, content, name="employees.xlsx", file_format=file_format)
    assert "The file has more than 3 rows. Import it in parts." in preview.content.decode()
    assert "confirm_form" not in preview.context
    assert not Employee.objects.exists()


def test_the_confirmation_never_reads_a_path_it_is_sent(admin_client, tmp_path):
    victim = tmp_path / "victim.csv"
    victim.write_text("full_name,job_title,location\nEve,Thief,Nowhere\n")
    preview = upload(admin_client, b"full_name,job_title,location\nAna,Engineer,Madrid\n")
    name = os.path.relpath(victim, tempfile.gettempdir())
    response = admin_client.post(
        PROCESS_IMPORT, {**preview.context["confirm_form"].initial, "import_file_name": name}, follow=True
    )
    assert "This file is no longer here" in response.content.decode()
    assert victim.read_text().startswith("full_name")
    assert not Employee.objects.exists()


def test_an_upload_is_kept_between_preview_and_confirmation_and_removed_after(admin_client):
    preview = upload(admin_client, b"full_name,job_title,location\nAna,Engineer,Madrid\n")
    stored = ImportUploads(name=preview.context["confirm_form"].initial["import_file_name"])
    assert "Ana,Engineer,Madrid" in str(stored.read())
    assert ImportUploads.CACHE_LIFETIME == 3600
    confirm(admin_client, preview)
    assert Employee.objects.get().full_name == "Ana"
    with pytest.raises(ImportRefused):
        stored.read()


def test_a_confirmation_after_the_upload_expired_asks_for_it_again(admin_client):
    preview = upload(admin_client, b"full_name,job_title,location\nAna,Engineer,Madrid\n")
    cache.clear()  # as an hour later
    response = admin_client.post(PROCESS_IMPORT, preview.context["confirm_form"].initial, follow=True)
    assert "This file is no longer here: an hour has passed" in response.content.decode()
    assert not Employee.objects.exists()


def test_a_nul_character_in_a_cell_is_that_rows_error(admin_client):
    content = b"full_name,job_title,location\nAna\x00,Engineer,Madrid\nBen,Engineer,Paris\n"
    preview = upload(admin_client, content)
    page = preview.content.decode()
    assert "Null characters are not allowed." in page
    assert "Traceback" not in page
    result = preview.context["result"]
    assert [row.field_specific_errors for row in result.invalid_rows] == [
        {"full_name": ["Null characters are not allowed."]}
    ]
    assert not Employee.objects.exists()


def test_import_needs_the_add_and_change_permissions(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_employee"))
    client.force_login(staff)
    assert client.get(IMPORT).status_code == 403
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_employee", "change_employee"]))
    assert client.get(IMPORT).status_code == 200


@pytest.mark.slow
def test_300_imported_rows_are_saved_as_the_importer_and_their_export_imports_back_unchanged(
    admin_client, coffee, gamer
):
    lines = ["full_name,job_title,location,badges"]
    for n in range(20):
        LocationFactory(name=f"City {n}")
    badges = ["", "coffee-snob", "Gamer", '"coffee-snob, Gamer"']
    lines += [f"Person {n},Title {n % 50},City {n % 20},{badges[n % 4]}" for n in range(300)]
    response = confirm(admin_client, upload(admin_client, "\n".join(lines).encode()))
    assert response.status_code == 302

    assert Employee.objects.count() == 300
    assert coffee.employees.count() == gamer.employees.count() == 150
    person = Employee.objects.get(full_name="Person 7")
    assert (person.job_title, person.location_name) == ("Title 7", "City 7")
    assert set(person.badges.all()) == {coffee, gamer}
    assert Employee.history.count() == Employee.history.filter(history_user__username="admin").count() == 300

    def state():
        rows = Employee.objects.values_list(
            "id", "full_name", "job_title", "location", "version", "updated_at"
        )
        links = Employee.badges.through.objects.values_list("employee", "badge")
        return set(rows), set(links), Employee.history.count()

    before = state()
    export = b"".join(admin_client.get(reverse("employees:export-csv")).streaming_content)
    preview = upload(admin_client, export)
    assert preview.context["result"].totals[RowResult.IMPORT_TYPE_SKIP] == 300
    confirm(admin_client, preview)
    assert state() == before
