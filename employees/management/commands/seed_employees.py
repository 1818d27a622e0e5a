"""Add realistic synthetic employees, for trying the directory on a company's scale."""

import datetime
import json
import random
import time
import uuid
from pathlib import Path

import phonenumbers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from employees import services
from employees.models import HISTORY, Badge, Department, Employee, Location, Visibility
from employees.search import fold

WORDS = json.loads((Path(__file__).with_name("seed_data.json")).read_text())
# Each manager has about this many direct reports.
SPAN = 7
VISIBILITIES = [Visibility.EVERYONE] * 3 + [Visibility.MANAGERS] * 5 + [Visibility.EDITORS] * 2


def phone_prefix(region, kind):
    """A valid number of ``region`` and ``kind`` less its last four digits (any four will do)."""
    number = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[:-4]


class Company:
    """Synthetic people, the same ones for the same seed: departments, roles, places, tags and managers."""

    def __init__(self, rng):
        self.rng = rng
        self.departments = {}
        for department in WORDS["departments"]:
            self.departments[department["slug"]] = Department.objects.get_or_create(
                slug=department["slug"],
                defaults={"name": department["name"], "parent": self.departments.get(department["parent"])},
            )[0]
        for name, (region, time_zone) in WORDS["places"].items():
            Location.objects.get_or_create(name=name, defaults={"country": region, "time_zone": time_zone})
        self.shares = [department["share"] for department in WORDS["departments"]]
        self.skills = [services.saved_skill(name) for name in WORDS["skills"]]
        self.badges = list(Badge.objects.all())
        kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        regions = {region for region, _ in WORDS["places"].values()}
        self.phones = {region: [phone_prefix(region, kind) for kind in kinds] for region in regions}

    def employee(self, manager_id):
        """A new employee reporting to ``manager_id`` (the head of the company if None), as the site would
        write it, with its badges and its skills."""
        rng = self.rng
        department = rng.choices(WORDS["departments"], self.shares)[0]
        job_title = rng.choice(WORDS["seniorities"]) + rng.choice(department["roles"])
        if manager_id is None:
            department, job_title = WORDS["departments"][0], "Chief Executive Officer"
        first, last = rng.choice(WORDS["first_names"]), rng.choice(WORDS["last_names"])
        extra = f" {rng.choice(WORDS['last_names'])}" if rng.random() < 0.2 else ""
        employee = Employee(full_name=f"{first} {last}{extra}", job_title=job_title, manager_id=manager_id)
        employee.location_id = rng.choice(list(WORDS["places"]))
        employee.department = self.departments[department["slug"]]
        badges = rng.sample(self.badges, rng.choice([0, 0, 1, 1, 1, 2, 2, 3]))
        skills = rng.sample(self.skills, rng.choice([0, 1, 2, 2, 3, 3, 4, 5]))
        services.search_fields(employee, badges, skills)
        for name, value in self.contact(first, last, employee.location_id).items():
            setattr(employee, name, value)
        return employee, badges, skills

    def contact(self, first, last, location):
        rng, pk = self.rng, uuid.UUID(int=self.rng.getrandbits(128), version=4)
        region, time_zone = WORDS["places"][location]
        mobile, landline = self.phones[region]
        return {
            "id": pk,
            "work_email": f"{fold(f'{first} {last}').replace(' ', '.')}.{pk.hex[:12]}@example.com",
            "work_phone": f"{landline}{rng.randrange(10_000):04}",
            "mobile": f"{mobile}{rng.randrange(10_000):04}",
            "mobile_visibility": rng.choice(VISIBILITIES),
            "office": f"{location} office, floor {rng.randint(1, 9)}",
            "time_zone": time_zone,
            "pronouns": rng.choice(WORDS["pronouns"]) if rng.random() < 0.4 else "",
            "start_date": datetime.date(2005, 1, 1) + datetime.timedelta(days=rng.randrange(7300)),
            "start_date_visibility": rng.choice(VISIBILITIES),
        }


class Command(BaseCommand):
    help = "Add N synthetic employees: names with accents, departments, managers, skills, badges, contacts."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many employees to add")
        parser.add_argument("--seed", type=int, help="random seed: the same seed adds the same employees")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per insert (default 5,000)")
        parser.add_argument(
            "--clear", action="store_true", help="delete every employee and their history first"
        )

    def handle(self, *args, count, seed, batch_size, clear, verbosity, **options):
        if count < 1 or batch_size < 1:
            raise CommandError("--count and --batch-size must be positive.")
        seed = random.SystemRandom().randrange(2**32) if seed is None else seed
        started = time.monotonic()
        if not Badge.objects.exists():
            call_command("loaddata", "badges", verbosity=0)
        with transaction.atomic():
            if clear:
                self.clear()
            company = Company(random.Random(seed))  # noqa: S311 (synthetic data, not secrets)
            # The first reports to the head of the company, or is the head; the others to someone before them.
            heads = Employee.objects.filter(manager=None).order_by("created_at")
            top = heads.values_list("pk", flat=True).first()
            ids = []
            for start in range(0, count, batch_size):
                people = []
                for number in range(start, min(start + batch_size, count)):
                    people.append(company.employee(ids[(number - 1) // SPAN] if number else top))
                    ids.append(people[-1][0].pk)
                self.insert(people)
                if verbosity > 1:
                    self.stdout.write(f"{time.monotonic() - started:7.1f} s  {len(ids):,} employees")
        if verbosity:
            elapsed = time.monotonic() - started
            self.stdout.write(f"Added {count:,} employees in {elapsed:.1f} s (--seed {seed}).")

    @staticmethod
    def insert(people):
        Employee.objects.bulk_create(employee for employee, _, _ in people)
        Badges, Skills = Employee.badges.through, Employee.skills.through
        Badges.objects.bulk_create(
            Badges(employee=employee, badge=badge) for employee, badges, _ in people for badge in badges
        )
        Skills.objects.bulk_create(
            Skills(employee=employee, skill=skill) for employee, _, skills in people for skill in skills
        )

    @staticmethod
    def clear():
        """Every employee, their tags and their history gone at once: deleting them one by one would record
        each deletion in the history, a million times over."""
        models = [Employee, Employee.badges.through, Employee.skills.through, Employee.history.model]
        models += HISTORY.m2m_models.values()
        with connection.cursor() as cursor:
            for model in reversed(models):
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
