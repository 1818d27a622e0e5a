"""CSV, XLSX and vCard files of employees, written row by row: any number of them in constant memory."""

import base64
import csv
import logging
import re
import threading
from datetime import UTC

import openpyxl
from django.db.models import ExpressionWrapper, F, TextField
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .models import CONTACT_FIELDS, Skill

logger = logging.getLogger(__name__)

CSV_BOM = "\ufeff"
# Employees read per round trip.
CHUNK_SIZE = 1000
# Exports streaming at once in one process: its other threads keep serving pages, even when the client of
# one stops reading (tools/fault_drills.py, drill 3).
AT_ONCE = 1
RUNNING = threading.BoundedSemaphore(AT_ONCE)
# Every column the import reads (employees/resources.py), in the order the import has always read the first
# five. Private fields are the values the reader may see (EmployeeQuerySet.with_private_fields), empty when
# hidden. The department is its name, the manager their work email (their id if they have none), the skills
# their names.
COLUMNS = ["id", "full_name", "job_title", "location", "badges", "department", "manager", "skills"]
COLUMNS += CONTACT_FIELDS
# Read with the employee's own row, joined: one query per chunk of employees, never one per employee. Phone
# numbers as the text stored (E.164), which their field would parse into objects, number by number, only to
# write the same text back: that parsing took most of an export's time.
ATTRIBUTES = {
    "badges": "badge_slugs",
    "department": "department__name",
    "manager": "manager__work_email",
    "skills": "skill_slugs",
    "work_phone": ExpressionWrapper(F("work_phone"), output_field=TextField()),
    "mobile": ExpressionWrapper(F("visible_mobile"), output_field=TextField()),
    "start_date": "visible_start_date",
}
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"). A leading
# apostrophe makes it show the rest as text; text that starts with an apostrophe gets one more, so that
# importing an export gives back exactly what was exported.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ESCAPED_STARTS = (*FORMULA_TRIGGERS, "'")
# Except a phone number: "+" and ASCII digits (and spaces) is at most arithmetic on constants, with no
# function, reference or link to run, so it is written as it is (docs/import-export.md).
PHONE_NUMBER = re.compile(r"\+[0-9][0-9 ]*")


def escape_formula(value):
    if value.startswith(ESCAPED_STARTS) and not PHONE_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def unescape_formula(value):
    return value[1:] if value.startswith("'") and value[1:].startswith(ESCAPED_STARTS) else value


class Echo:
    """A file whose write returns the line, so that csv.writer can feed a streaming response."""

    def write(self, value):
        return value


def rows(employees):
    """A list of COLUMNS' cells per employee of ``employees`` (from ``with_private_fields``), as text, every
    cell safe to open in a spreadsheet: the CSV and the XLSX files hold the same. One query reads the skills'
    names, then one each chunk of employees, with their departments and managers joined."""
    skills = skill_cells()
    values = employees.values_list(*(ATTRIBUTES.get(column, column) for column in COLUMNS), "manager_id")
    for *row, manager_id in values.iterator(chunk_size=CHUNK_SIZE):
        cells = dict(zip(COLUMNS, row, strict=True))
        cells["badges"] = ",".join(cells["badges"])
        cells["skills"] = ", ".join(
            sorted((skills[slug] for slug in cells["skills"] if slug in skills), key=str.lower)
        )
        cells["manager"] = cells["manager"] or manager_id
        yield [escape_formula("" if cell is None else str(cell)) for cell in cells.values()]


def skill_cells():
    """Each skill's name by slug; its slug for a name with a comma, which the import would take for two."""
    return {slug: slug if "," in name else name for slug, name in Skill.objects.values_list("slug", "name")}


def csv_lines(employees):
    """The CSV file, line by line: a UTF-8 BOM, the header, then a line per employee of ``employees``."""
    writer = csv.writer(Echo())
    yield CSV_BOM + writer.writerow(COLUMNS)
    for row in rows(employees):
        yield writer.writerow(row)


def write_xlsx(rows, file):
    """An Excel workbook of ``rows`` (from ``rows()``, or any iterable of them) under COLUMNS, written to
    ``file`` a row at a time (openpyxl's write-only mode). Every cell is a text cell, never a formula (no cell
    of ``rows()`` starts with "="). Characters a workbook cannot hold are left out."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Employees")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    workbook.save(file)


def vcard(employee, url="", *, photo=True):
    """One employee, from ``with_private_fields`` with their department and location, as a vCard 3.0
    (RFC 2426) string; without the PHOTO line if not ``photo``."""
    given, _, family = employee.full_name.rpartition(" ")
    location = employee.location
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:urn:uuid:{employee.pk}",
        f"FN:{vcard_text(employee.full_name)}",
        f"N:{vcard_text(family)};{vcard_text(given)};;;",  # required by vCard 3.0; FN is the name as written
        f"TITLE:{vcard_text(employee.job_title)}",
        *([f"ORG:{vcard_text(employee.department.name)}"] if employee.department else []),
        # Box; extended address (the office or desk); street; locality; region; postal code; country
        f"ADR;TYPE=WORK:;{vcard_text(employee.office)};{vcard_text(location.address)};"
        f"{vcard_text(location.name)};;;{vcard_text(location.country)}",
    ]
    if employee.work_email:
        lines.append(f"EMAIL;TYPE=INTERNET,WORK:{vcard_text(employee.work_email)}")
    for number, kind in [(employee.work_phone, "WORK"), (employee.visible_mobile, "CELL")]:
        if number:
            lines.append(f"TEL;TYPE={kind}:{number.as_e164}")
    if badges := [vcard_text(badge.name) for badge in employee.badges.all()]:
        lines.append(f"CATEGORIES:{','.join(badges)}")
    if url:
        lines.append(f"URL:{url}")
    if photo and (photo_line := vcard_photo(employee)):
        lines.append(photo_line)
    lines += [f"REV:{employee.updated_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}", "END:VCARD"]
    return "".join(f"{folded(line)}\r\n" for line in lines)


def vcard_photo(employee):
    """The PHOTO line of ``employee``'s thumbnail, inline in base64; empty when they have none, or when it
    cannot be read, so that one lost file does not stop an export of everyone."""
    thumbnail = employee.photo_thumbnail
    if not thumbnail:
        return ""
    try:
        with thumbnail.open("rb") as file:
            data = file.read()
    except OSError:
        logger.warning("The photo thumbnail of %s could not be read for a vCard", employee.pk, exc_info=True)
        return ""
    kind = thumbnail.name.rpartition(".")[2].upper().replace("JPG", "JPEG")
    return f"PHOTO;ENCODING=b;TYPE={kind}:{base64.b64encode(data).decode()}"


def vcard_text(value):
    for char, escaped in [("\\", "\\\\"), ("\n", "\\n"), (",", "\\,"), (";", "\\;")]:
        value = value.replace(char, escaped)
    return value.replace("\r", "")


def folded(line, width=75):
    """``line`` folded into lines of at most ``width`` bytes in UTF-8, each after the first led by a space."""
    if len(line.encode()) <= width:
        return line
    parts, part = [], ""
    for char in line:
        if len((part + char).encode()) > width - (1 if parts else 0):
            parts.append(part)
            part = ""
        part += char
    return "\r\n ".join([*parts, part])


def vcards(employees, build_url):
    employees = employees.select_related("department", "location").prefetch_related("badges")
    for employee in employees.iterator(chunk_size=CHUNK_SIZE):
        yield vcard(employee, build_url(employee.get_absolute_url()))


class Running:
    """An export's lines, holding a place among RUNNING until the response is closed, as every WSGI server
    closes it, read to the end or not."""

    def __init__(self, lines):
        self.lines = lines

    def __iter__(self):
        return iter(self.lines)

    def close(self):
        RUNNING.release()


def started(lines):
    """``lines`` as a running export, or None when AT_ONCE exports are running in this process already."""
    return Running(lines) if RUNNING.acquire(blocking=False) else None
