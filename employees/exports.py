"""CSV and vCard files of employees, written row by row: any number of them streams in constant memory."""

import csv
from datetime import UTC

import vobject

from .resources import EmployeeResource, escape_formula

CSV_BOM = "\ufeff"
# Employees fetched per database round trip, badges included.
CHUNK_SIZE = 2000
# After the columns the import reads, for reading only. Private fields are the values the viewer may see
# (EmployeeQuerySet.with_private_fields), empty when hidden.
CONTACT_COLUMNS = {
    "work_email": "work_email",
    "work_phone": "work_phone",
    "mobile": "visible_mobile",
    "office": "office",
    "time_zone": "time_zone",
    "pronouns": "pronouns",
    "start_date": "visible_start_date",
}


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value):
        return value


def csv_lines(employees):
    """The CSV file, line by line: a UTF-8 BOM, the header, then one line per employee.

    The first columns are those the admin import reads, so an export can be edited and imported back; the
    contact columns after them are for reading (the import ignores them). ``employees`` comes from
    ``with_private_fields``.
    """
    resource = EmployeeResource()
    writer = csv.writer(_Echo())
    yield CSV_BOM + writer.writerow([*resource.get_export_headers(), *CONTACT_COLUMNS])
    for employee in employees.iterator(chunk_size=CHUNK_SIZE):
        contact = [getattr(employee, attribute) for attribute in CONTACT_COLUMNS.values()]
        values = [*resource.export_resource(employee), *("" if value is None else value for value in contact)]
        yield writer.writerow([escape_formula(str(value)) for value in values])


def vcard(employee, url=""):
    """One employee, from ``with_private_fields``, as a vCard 3.0 (RFC 2426) string."""
    card = vobject.vCard()
    card.add("uid").value = f"urn:uuid:{employee.pk}"
    card.add("fn").value = employee.full_name
    # N is required by vCard 3.0; FN keeps the name exactly as written.
    given, _, family = employee.full_name.rpartition(" ")
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    card.add("title").value = employee.job_title
    work_address = card.add("adr")
    work_address.value = vobject.vcard.Address(extended=employee.office, city=employee.location)
    work_address.type_param = "WORK"
    if employee.work_email:
        email = card.add("email")
        email.value = employee.work_email
        email.type_paramlist = ["INTERNET", "WORK"]
    for number, kind in [(employee.work_phone, "WORK"), (employee.visible_mobile, "CELL")]:
        if number:
            phone = card.add("tel")
            phone.value = number.as_e164
            phone.type_param = kind
    badge_names = [badge.name for badge in employee.badges.all()]
    if badge_names:
        card.add("categories").value = badge_names
    if url:
        card.add("url").value = url
    card.add("rev").value = employee.updated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return card.serialize()


def vcards(employees, build_url):
    """Many employees as one .vcf file, card by card."""
    for employee in employees.iterator(chunk_size=CHUNK_SIZE):
        yield vcard(employee, build_url(employee.get_absolute_url()))
