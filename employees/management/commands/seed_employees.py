import datetime
import functools
import itertools
import random
import time
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import phonenumbers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from employees.models import CONTACT_FIELDS, Badge, Department, Employee, Skill, Visibility
from employees.signals import forget_facets

# Word lists read best as text, so they are split rather than written as list literals.
FIRST_NAMES = (  # noqa: SIM905
    "Ana Adrián Aisha Akira Alejandro Amélie Anders Andrés Anh Annika Antoine Aoife Arjun Astrid Aylin "
    "Beatriz Benoît Björn Carmen Catalina Cédric Chiara Chloé Chidi Darius Diego Dmitri Đorđe Elena Élise "
    "Emeka Emma Erik Fatima François Freya Gaël Giulia Grzegorz Hana Hélène Henrik Ibrahim Inès Ingrid "
    "Ioana Isabel Jana Javier Jiří João John Jonas José Juan Julia Kai Kateřina Kenji Kofi Laura Leilani "
    "Léa Liam Lucía Łukasz Magnus Malik Manon María Mateo Mei Miguel Mikael Mohammed Nadia Naoko Nicolás "
    "Noémie Nuno Olivia Oskar Pablo Paweł Pedro Priya Quentin Rafael Raúl Renée Rosa Sakura Samir Santiago "
    "Saoirse Sebastián Siddharth Sofía Søren Stéphane Tanvir Thomas Tomás Uxía Valentina Vikram Wei Xavier "
    "Yasmin Yusuf Zoë Zoltán"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Abe Adeyemi Ahmed Almeida Álvarez Andersson Bakker Bello Bernard Blanco Brandão Brown Carvalho Castillo "
    "Chen Costa Cruz Dąbrowski Díaz Dubois Dvořák Eriksson Fernández Ferreira Fischer García Gómez González "
    "Gutiérrez Haddad Hansen Hernández Hoffmann Horváth Ibáñez Ivanova Jansen Jiménez Johansson Jones Kim "
    "Kowalski Kumar Larsen Laurent Lefèvre López Martín Martínez Moreau Müller Muñoz Nakamura Navarro Nguyen "
    "Novák Núñez O'Brien Okafor Olsen Ortiz Papadopoulos Pérez Petrova Popescu Quintero Rahman Ramírez Reyes "
    "Rodríguez Romero Rossi Ruiz Sánchez Santos Schäfer Schmidt Silva Smith Sørensen Suárez Suzuki Svensson "
    "Szabó Tanaka Torres Vázquez Wagner Wang Weiß Williams Wiśniewski Yamamoto Yılmaz Zhang Żukowski"  # noqa: RUF001 (a Turkish name)
).split()
# Memory for each index build: a GIN index builds much faster when its entries fit in it (the search text's
# need about 1.5 GB for a million employees; the other indexes use far less).
INDEX_BUILD_MEMORY = "2GB"
BADGE_COUNTS = [0, 0, 1, 1, 1, 2, 2, 3]
SENIORITIES = ["", "Junior ", "Senior ", "Lead ", "Principal "]
ROLES = (  # noqa: SIM905
    "Software Engineer|Data Engineer|Data Scientist|Product Manager|Product Designer|UX Researcher|"
    "QA Engineer|Site Reliability Engineer|Security Engineer|Engineering Manager|Technical Writer|"
    "Accountant|Financial Analyst|Controller|Payroll Specialist|Recruiter|People Partner|Office Manager|"
    "Legal Counsel|Compliance Officer|Sales Executive|Account Manager|Customer Success Manager|"
    "Support Specialist|Marketing Manager|Content Strategist|Brand Designer|Community Manager|"
    "Procurement Officer|Facilities Coordinator|Executive Assistant|Business Analyst|Solutions Architect"
).split("|")
LOCATIONS = (  # noqa: SIM905
    "Amsterdam|Athens|Auckland|Austin|Bangalore|Barcelona|Berlin|Bogotá|Boston|Brussels|Budapest|"
    "Buenos Aires|Cairo|Cape Town|Chicago|Copenhagen|Dublin|Dubai|Düsseldorf|Edinburgh|Frankfurt|Genève|"
    "Göteborg|Hamburg|Helsinki|Ho Chi Minh City|Hong Kong|Istanbul|Jakarta|Kraków|Kyiv|Lagos|Lima|Lisbon|"
    "London|Los Angeles|Lyon|Madrid|Malmö|Manchester|Medellín|Melbourne|Mexico City|Milan|Montréal|Mumbai|"
    "München|Nairobi|New York|Oslo|Paris|Porto|Prague|Québec|Reykjavík|Rome|San Francisco|Santiago|"
    "São Paulo|Seoul|Seville|Singapore|Stockholm|Sydney|Taipei|Tallinn|Tokyo|Toronto|Valencia|Vienna|"
    "Vilnius|Warsaw|Wrocław|Zürich"
).split("|")


# City, phone region, time zone: phone numbers and time zones follow the office.
PLACES = {
    city: (region, zone)
    for city, region, zone in (
        line.split("|")
        for line in """\
Amsterdam|NL|Europe/Amsterdam
Athens|GR|Europe/Athens
Auckland|NZ|Pacific/Auckland
Austin|US|America/Chicago
Bangalore|IN|Asia/Kolkata
Barcelona|ES|Europe/Madrid
Berlin|DE|Europe/Berlin
Bogotá|CO|America/Bogota
Boston|US|America/New_York
Brussels|BE|Europe/Brussels
Budapest|HU|Europe/Budapest
Buenos Aires|AR|America/Argentina/Buenos_Aires
Cairo|EG|Africa/Cairo
Cape Town|ZA|Africa/Johannesburg
Chicago|US|America/Chicago
Copenhagen|DK|Europe/Copenhagen
Dublin|IE|Europe/Dublin
Dubai|AE|Asia/Dubai
Düsseldorf|DE|Europe/Berlin
Edinburgh|GB|Europe/London
Frankfurt|DE|Europe/Berlin
Genève|CH|Europe/Zurich
Göteborg|SE|Europe/Stockholm
Hamburg|DE|Europe/Berlin
Helsinki|FI|Europe/Helsinki
Ho Chi Minh City|VN|Asia/Ho_Chi_Minh
Hong Kong|HK|Asia/Hong_Kong
Istanbul|TR|Europe/Istanbul
Jakarta|ID|Asia/Jakarta
Kraków|PL|Europe/Warsaw
Kyiv|UA|Europe/Kyiv
Lagos|NG|Africa/Lagos
Lima|PE|America/Lima
Lisbon|PT|Europe/Lisbon
London|GB|Europe/London
Los Angeles|US|America/Los_Angeles
Lyon|FR|Europe/Paris
Madrid|ES|Europe/Madrid
Malmö|SE|Europe/Stockholm
Manchester|GB|Europe/London
Medellín|CO|America/Bogota
Melbourne|AU|Australia/Melbourne
Mexico City|MX|America/Mexico_City
Milan|IT|Europe/Rome
Montréal|CA|America/Toronto
Mumbai|IN|Asia/Kolkata
München|DE|Europe/Berlin
Nairobi|KE|Africa/Nairobi
New York|US|America/New_York
Oslo|NO|Europe/Oslo
Paris|FR|Europe/Paris
Porto|PT|Europe/Lisbon
Prague|CZ|Europe/Prague
Québec|CA|America/Toronto
Reykjavík|IS|Atlantic/Reykjavik
Rome|IT|Europe/Rome
San Francisco|US|America/Los_Angeles
Santiago|CL|America/Santiago
São Paulo|BR|America/Sao_Paulo
Seoul|KR|Asia/Seoul
Seville|ES|Europe/Madrid
Singapore|SG|Asia/Singapore
Stockholm|SE|Europe/Stockholm
Sydney|AU|Australia/Sydney
Taipei|TW|Asia/Taipei
Tallinn|EE|Europe/Tallinn
Tokyo|JP|Asia/Tokyo
Toronto|CA|America/Toronto
Valencia|ES|Europe/Madrid
Vienna|AT|Europe/Vienna
Vilnius|LT|Europe/Vilnius
Warsaw|PL|Europe/Warsaw
Wrocław|PL|Europe/Warsaw
Zürich|CH|Europe/Zurich""".splitlines()
    )
}
# Slug, name, parent slug, share of the people, and the roles people there have. Parents come first.
DEPARTMENTS = [
    line.split("|")
    for line in """\
executive|Executive Office||1|Executive Assistant
engineering|Engineering||2|Engineering Manager;Solutions Architect
platform|Platform|engineering|6|Site Reliability Engineer;Software Engineer
infrastructure|Infrastructure|platform|5|Site Reliability Engineer;Security Engineer
developer-experience|Developer Experience|platform|3|Software Engineer;Technical Writer
product-engineering|Product Engineering|engineering|8|Software Engineer;QA Engineer
web|Web|product-engineering|7|Software Engineer;QA Engineer
mobile|Mobile|product-engineering|5|Software Engineer;QA Engineer
data|Data|engineering|5|Data Engineer;Data Scientist
security|Security|engineering|3|Security Engineer
product|Product||3|Product Manager;Business Analyst
design|Design|product|3|Product Designer;UX Researcher
research|Research|product|2|UX Researcher
sales|Sales||4|Sales Executive;Account Manager
sales-emea|Sales EMEA|sales|5|Sales Executive;Account Manager
sales-americas|Sales Americas|sales|5|Sales Executive;Account Manager
sales-apac|Sales APAC|sales|4|Sales Executive;Account Manager
customer-success|Customer Success||3|Customer Success Manager
support|Support|customer-success|6|Support Specialist
marketing|Marketing||3|Marketing Manager;Content Strategist
brand|Brand|marketing|2|Brand Designer;Content Strategist
community|Community|marketing|2|Community Manager
finance|Finance||2|Financial Analyst;Controller
accounting|Accounting|finance|2|Accountant
payroll|Payroll|finance|1|Payroll Specialist
people|People||2|People Partner
recruiting|Recruiting|people|3|Recruiter
legal|Legal||2|Legal Counsel;Compliance Officer
operations|Operations||2|Business Analyst
facilities|Facilities|operations|2|Facilities Coordinator;Office Manager
procurement|Procurement|operations|1|Procurement Officer
it|IT|operations|3|Support Specialist;Site Reliability Engineer""".splitlines()
]
SKILLS = (  # noqa: SIM905
    "Python|Django|Flask|FastAPI|JavaScript|TypeScript|React|Vue.js|Angular|Node.js|Go|Rust|Java|Kotlin|Scala|"
    "C|C++|C#|.NET|Ruby|Ruby on Rails|PHP|Swift|Objective-C|Elixir|Erlang|Haskell|Clojure|R|Julia|SQL|"
    "PostgreSQL|MySQL|SQLite|MongoDB|Redis|Elasticsearch|Kafka|RabbitMQ|GraphQL|REST APIs|gRPC|HTML|CSS|"
    "Sass|Tailwind CSS|Webpack|Docker|Kubernetes|Helm|Terraform|Ansible|AWS|Azure|Google Cloud|Linux|Bash|"
    "Git|CI/CD|GitHub Actions|Jenkins|Prometheus|Grafana|Observability|Networking|Security|"
    "Penetration testing|"
    "Cryptography|Identity and access management|Machine learning|Deep learning|PyTorch|TensorFlow|pandas|"
    "Apache Spark|Airflow|dbt|Data modelling|Statistics|A/B testing|Data visualisation|Tableau|Power BI|"
    "Excel|"
    "Product management|Roadmapping|User research|UX design|UI design|Figma|Prototyping|Accessibility|"
    "Interaction design|Design systems|Technical writing|Copywriting|Content strategy|SEO|Social media|"
    "Brand strategy|Photography|Video editing|Illustration|Public speaking|Presentations|Negotiation|"
    "Salesforce|"
    "Account management|Customer success|Customer support|Zendesk|Recruiting|Interviewing|Coaching|Mentoring|"
    "Leadership|People management|Employment law|Contract law|Privacy law|Compliance|Financial modelling|"
    "Accounting|Payroll|Budgeting|Procurement|Vendor management|Event planning|Facilities|Project management|"
    "Agile|Scrum|Kanban|Jira|Risk management|Business analysis|Strategy|Spanish|French|German|Italian|"
    "Portuguese|Dutch|Swedish|Polish|Japanese|Mandarin|Korean|Arabic|Hindi|Turkish|Russian|Sign language"
).split("|")
SKILL_COUNTS = [0, 1, 2, 2, 3, 3, 4, 5]
PRONOUNS = ["she/her", "he/him", "they/them", "she/they", "he/they"]
VISIBILITIES = [Visibility.EVERYONE] * 3 + [Visibility.MANAGERS] * 5 + [Visibility.EDITORS] * 2


def phone_prefixes():
    """Per region, a valid mobile and landline number less their last four digits (any four will do)."""
    prefixes = {}
    for region in {region for region, _ in PLACES.values()}:
        numbers = [
            phonenumbers.example_number_for_type(region, kind)
            for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
        ]
        prefixes[region] = [
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[:-4] for number in numbers
        ]
    return prefixes


@functools.cache
def ascii_word(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalpha()).lower()


class Command(BaseCommand):
    help = (
        "Add N realistic synthetic employees: names with accents, departments, a reporting hierarchy, "
        "skills, badges and contact details."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="how many employees to add")
        parser.add_argument("--seed", type=int, help="random seed: the same seed adds the same employees")
        parser.add_argument("--batch-size", type=int, default=10_000, help="rows per insert (default 10,000)")
        parser.add_argument("--clear", action="store_true", help="delete every employee first")

    def handle(self, *args, count, seed, batch_size, clear, verbosity, **options):
        if count < 1 or batch_size < 1:
            raise CommandError("--count and --batch-size must be positive.")
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        self.verbosity = verbosity
        self.started = time.monotonic()
        if not Badge.objects.exists():
            call_command("loaddata", "badges", verbosity=0)
        postgresql = connection.vendor == "postgresql"
        batches = [(start, min(start + batch_size, count)) for start in range(0, count, batch_size)]
        # Inside a caller's transaction (as in tests) other sessions cannot see its rows: one session does it.
        in_parallel = postgresql and not connection.in_atomic_block
        with transaction.atomic():
            if clear:
                self.clear()
            company = Company(rng, departments(), skills())
            # PostgreSQL builds an index and checks a constraint faster in one go than row by row: drop, load,
            # rebuild.
            dropped = self.drop_indexes_and_constraints() if postgresql and count >= 10_000 else ([], [], [])
            if not postgresql:
                self.load(map(partial(self.create_batch, company), batches), count)
            elif not in_parallel:
                self.load_postgresql(company, batches, *dropped, run=map)
        if in_parallel:
            self.load_postgresql(company, batches, *dropped, run=in_sessions)
        forget_facets()
        if verbosity:
            seconds = time.monotonic() - self.started
            self.stdout.write(f"Added {count:,} employees in {seconds:.1f} s (--seed {seed}).")

    def step(self, done):
        """With -v 2, how long the load has taken so far."""
        if self.verbosity > 1:
            self.stdout.write(f"{time.monotonic() - self.started:7.1f} s  {done}")

    def load(self, batches, count):
        """Run the inserts of ``batches`` (each returns its number of employees) with a progress bar."""
        with tqdm(total=count, unit=" employees", disable=self.verbosity == 0) as progress:
            for size in batches:
                progress.update(size)
        self.step("rows loaded")

    def load_postgresql(self, company, batches, indexes, constraints, checks, run):
        """PostgreSQL makes up the rows itself; then the indexes are built, the constraints added back and
        checked, and the tables analyzed. ``run`` is ``map`` in the caller's transaction, ``in_sessions``
        otherwise: two at a time, each in a session of its own.

        PostgreSQL before 18 builds a GIN index on one core, and the search text's takes the longest: it
        starts first, and the other indexes are built beside it. The constraints come after, as they lock
        the tables the indexes are being built on. A load interrupted before the end has some rows but not
        all its indexes: run it again with --clear.
        """

        def insert(statements, batch):
            start, stop = batch
            self.run_sql(statements, {**company.sql_parameters, "start": start, "stop": stop})
            return stop - start

        self.load(run(partial(insert, company.inserts), batches), count=batches[-1][-1])
        if connection.in_atomic_block:
            # Check the deferred foreign keys now: PostgreSQL builds no index over pending checks.
            self.run_sql(["SET CONSTRAINTS ALL IMMEDIATE"])
        # The GIN indexes first, the largest of all (the search text's) at the head.
        indexes = sorted(indexes, key=lambda statement: ("gin" not in statement, "search" not in statement))
        list(run(self.build, indexes))
        self.step("indexes built")
        with transaction.atomic():
            self.run_sql(constraints)
        list(
            run(
                lambda statement: self.run_sql([statement]),
                [*checks, *(f"ANALYZE {t}" for t in self.tables())],
            )
        )
        self.step("constraints checked, tables analyzed")

    def build(self, statement):
        self.run_sql([f"SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'", statement])
        self.step(statement.split(" ON ")[0])

    @staticmethod
    def run_sql(statements, parameters=None):
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, parameters)

    @staticmethod
    def tables():
        return [Employee._meta.db_table, *(through._meta.db_table for through in link_tables())]

    def clear(self):
        tables = [*(through._meta.db_table for through in link_tables()), Employee._meta.db_table]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Inside a longer transaction, foreign key checks may still be pending; TRUNCATE needs none.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table names from the models)

    def drop_indexes_and_constraints(self):
        """Drop the indexes of the employee tables, primary keys included, and their foreign keys and unique
        constraints (their checks stay). Return the statements that build the indexes again, those that add
        the constraints back (primary keys and unique constraints on their rebuilt indexes, foreign keys not
        yet checked), and those that check the foreign keys, in one pass each."""
        kinds = {"p": "PRIMARY KEY", "u": "UNIQUE"}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                " WHERE indrelid = ANY(%s::regclass[])",
                [self.tables()],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid),"
                " conindid::regclass::text FROM pg_constraint"
                " WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u', 'f') ORDER BY contype = 'f'",
                [self.tables()],
            )
            constraints = cursor.fetchall()
            for table, name, *_ in reversed(constraints):
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            dropped = {index for _, _, kind, _, index in constraints if kind in kinds}
            for name, _ in indexes:
                if name not in dropped:
                    cursor.execute(f"DROP INDEX {name}")
        return (
            [definition for _, definition in indexes],
            [
                f"ALTER TABLE {table} ADD CONSTRAINT {name} "
                + (f"{kinds[kind]} USING INDEX {index}" if kind in kinds else f"{definition} NOT VALID")
                for table, name, kind, definition, index in constraints
            ],
            [
                f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}"
                for table, name, kind, *_ in constraints
                if kind not in kinds
            ],
        )

    def create_batch(self, company, batch):
        start, stop = batch
        employees = [company.employee(number) for number in range(start, stop)]
        Employee.objects.bulk_create(
            Employee(**{column: employee[column] for column in COLUMNS}) for employee in employees
        )
        Employee.badges.through.objects.bulk_create(
            Employee.badges.through(employee_id=employee["id"], badge_id=badge)
            for employee in employees
            for badge in employee["badges"]
        )
        Employee.skills.through.objects.bulk_create(
            Employee.skills.through(employee_id=employee["id"], skill_id=skill)
            for employee in employees
            for skill in employee["skills"]
        )
        return stop - start


def in_sessions(function, items):
    """``function`` of each of ``items``, two at a time, each in a database session of its own."""

    def run(item):
        try:
            return function(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        yield from pool.map(run, items)


COLUMNS = [
    "id",
    "full_name",
    "job_title",
    "location",
    "search_text",
    "department_id",
    "manager_id",
    *CONTACT_FIELDS,
]


def link_tables():
    return [Employee.badges.through, Employee.skills.through]


def departments():
    """The departments of DEPARTMENTS, created if missing, parents first, as (department, weight, roles)."""
    existing = {department.slug: department for department in Department.objects.all()}
    tree = []
    for slug, name, parent, weight, roles in DEPARTMENTS:
        department = existing.get(slug)
        if department is None:
            department = Department.objects.create(slug=slug, name=name, parent=existing.get(parent))
            existing[slug] = department
        tree.append((department, int(weight), roles.split(";")))
    return tree


def skills():
    """The skills of SKILLS, created if missing, as (id, name) in the order Employee.skills lists them."""
    known = {name.lower() for name in Skill.objects.values_list("name", flat=True)}
    for name in SKILLS:
        if name.lower() not in known:
            Skill.objects.create(name=name)
    return list(Skill.objects.filter(name__in=SKILLS).values_list("pk", "name"))


class Company:
    """Made-up employees: the first of a run heads the company, the next ones each head a department, and
    everyone else joins the departments in turn, in proportion to their weights, under someone already there.

    An employee's id encodes the run, the department and their place in it, and both follow from the
    employee's number in the run: a manager's id is computed, never stored, so a million employees need no
    more memory than ten. Within a department, person n reports to person (n - 1) // span, so every manager
    has ``span`` (5 to 10) direct reports.

    ``employee(number)`` makes one up in Python (SQLite); ``people_sql()`` and the inserts built on it
    describe the same hierarchy and choices to PostgreSQL, which makes up a whole batch itself from a hash of
    the run and each number (so a seed gives other people there than in Python, the same ones every time).
    """

    def __init__(self, rng, departments, skills):
        self.rng = rng
        self.departments = departments
        self.skills = skills
        self.badges = list(Badge.objects.values_list("pk", "name"))
        self.run = rng.getrandbits(60)
        self.tag = f"{self.run & 0xFFFFFFF:07x}"
        # The run in the high bits, with the bits of a version 4 UUID set: the rest is department and member.
        self.high = uuid.UUID(int=self.run << 64, version=4).int
        index = {department.pk: number for number, (department, _, _) in enumerate(departments)}
        # Heads report to the head of the parent department; the heads of the top departments to the first.
        self.parents = [
            index[head.parent_id] if head.parent_id is not None else (0 if number else None)
            for number, (head, _, _) in enumerate(departments)
        ]
        self.spans = [rng.randint(5, 10) for _ in departments]
        self.weights = [weight for _, weight, _ in departments]
        # One turn of the wheel gives each department as many newcomers as its weight.
        self.wheel = [
            (department, offset) for department, weight in enumerate(self.weights) for offset in range(weight)
        ]
        self.salt = rng.getrandbits(48)
        self.phones = phone_prefixes()
        self.today = datetime.date.today()

    def employee_id(self, department, member):
        return uuid.UUID(int=self.high | (department << 32) | member)

    def place(self, number):
        """The department (its index) and the place in it of the employee ``number`` of this run."""
        if number < len(self.departments):
            return number, 0  # the first people head the departments, parents first
        turn, slot = divmod(number - len(self.departments), len(self.wheel))
        department, offset = self.wheel[slot]
        return department, 1 + turn * self.weights[department] + offset

    def manager(self, department, member):
        if member > 0:
            return self.employee_id(department, (member - 1) // self.spans[department])
        parent = self.parents[department]
        return None if parent is None else self.employee_id(parent, 0)

    def pick(self, items):
        """``rng.choice``, a few times faster: this runs ten times per employee."""
        return items[int(self.rng.random() * len(items))]

    def pick_some(self, items, counts):
        """Some of ``items`` in their order, each at most once: the i-th of n from the i-th n-th of them."""
        return [
            items[low + int(self.rng.random() * (high - low))]
            for low, high in strata(len(items), self.pick(counts))
        ]

    def employee(self, number):
        rng = self.rng
        department, member = self.place(number)
        head, _, roles = self.departments[department]
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        full_name = f"{first} {last}"
        if rng.random() < 0.15:
            full_name += f" {self.pick(LAST_NAMES)}"
        if member > 0:
            job_title = self.pick(SENIORITIES) + (
                self.pick(roles) if rng.random() < 0.8 else self.pick(ROLES)
            )
        elif department > 0:
            job_title = f"Head of {head.name}"
        else:
            job_title = "Chief Executive Officer"
        # A few big offices and many small ones, as in real companies.
        location = (
            LOCATIONS[min(int(rng.paretovariate(1.2)) - 1, len(LOCATIONS) - 1)]
            if rng.random() < 0.5
            else (self.pick(LOCATIONS))
        )
        region, time_zone = PLACES[location]
        mobile_prefix, landline_prefix = self.phones[region]
        # In catalogue order, as Employee.build_search_text lists them.
        badges = self.pick_some(self.badges, BADGE_COUNTS)
        skills = self.pick_some(self.skills, SKILL_COUNTS)
        search_text = " ".join(
            [
                full_name,
                job_title,
                location,
                head.name,
                *(name for _, name in badges),
                *(name for _, name in skills),
            ]
        )
        return {
            "id": self.employee_id(department, member),
            "full_name": full_name,
            "job_title": job_title,
            "location": location,
            "search_text": search_text,
            "department_id": head.pk,
            "manager_id": self.manager(department, member),
            "work_email": f"{ascii_word(first)}.{ascii_word(last)}.{self.tag}{number}@example.com",
            "work_phone": f"{landline_prefix}{int(rng.random() * 10_000):04}",
            "mobile": f"{mobile_prefix}{int(rng.random() * 10_000):04}" if rng.random() < 0.8 else "",
            "mobile_visibility": self.pick(VISIBILITIES),
            "office": f"{location}, floor {1 + int(rng.random() * 12)}, desk {1 + int(rng.random() * 150)}",
            "time_zone": time_zone,
            "pronouns": self.pick(PRONOUNS) if rng.random() < 0.3 else "",
            "start_date": self.today - datetime.timedelta(days=int(rng.random() * 15 * 365)),
            "start_date_visibility": self.pick(VISIBILITIES),
            "badges": [pk for pk, _ in badges],
            "skills": [pk for pk, _ in skills],
        }

    # PostgreSQL: the same company, made up by the database.

    def people_sql(self):
        """A query of the employees number %(start)s to %(stop)s - 1 of this run, with every column of the
        employee table, and their badges and skills as 1-based indexes into the catalogues (b0, b1, ... and
        s0, s1, ..., in order, NULL when fewer).

        Each random choice is a hash of the employee's number salted by the run and the choice, so that the
        same seed gives the same people however they are batched. ``OFFSET 0`` keeps a layer's columns from
        being computed again for each use in the next one.
        """
        draws = itertools.count(self.salt)

        def draw():
            """A new random integer of the row in [0, 2**31)."""
            return f"(hashint8extended(n, {next(draws)}) & 2147483647)::int"

        def chance(probability):
            return f"{draw()} < {int(probability * 2**31)}"

        def index(size):
            return f"1 + mod({draw()}, {size})"

        def array(name):
            numbers = all(isinstance(item, int | None) for item in self.sql_parameters[name])
            kind = "bigint" if numbers else "text"
            return f"(%({name})s::{kind}[])"

        def pick(name):
            return f"{array(name)}[{index(len(self.sql_parameters[name]))}]"

        def some(size, count, name, most):
            """pick_some's choice of ``count`` of ``size`` items, as ``most`` columns."""
            slots = []
            for j in range(most):
                low, high = (
                    f"({j} * {size} + {count} - 1) / {count}",
                    f"({j + 1} * {size} + {count} - 1) / {count}",
                )
                slots.append(
                    f"CASE WHEN {count} > {j} THEN 1 + {low} + mod({draw()}, {high} - {low}) END AS {name}{j}"
                )
            return ", ".join(slots)

        def employee_id(department, member):
            """Company.employee_id: the run, the variant bits, the department and the member."""
            low = f"({department})::bigint << 32 | ({member}) | x'8000000000000000'::bigint"
            return f"(%(run)s::text || to_hex({low}))::uuid"

        def phone(prefixes):
            return f"{array(prefixes)}[l] || lpad(mod({draw()}, 10000)::text, 4, '0')"

        heads, turn = len(self.departments), len(self.wheel)
        slot = f"1 + mod(n - {heads}, {turn})"
        department = f"{array('wheel_departments')}[{slot}]"
        return f"""
        SELECT n, {employee_id("d - 1", "member")} AS id,
            CASE WHEN member > 0 THEN {employee_id("d - 1", f"(member - 1) / {array('spans')}[d]")}
                ELSE {employee_id(f"{array('parents')}[d]", "0")} END AS manager_id,
            {array("first_names")}[f] || ' ' || {array("last_names")}[s]
                || coalesce(' ' || {array("last_names")}[s2], '') AS full_name,
            CASE WHEN member > 0 THEN {pick("seniorities")} || CASE WHEN {chance(0.8)}
                    THEN {array("roles")}[{array("role_starts")}[d]
                        + mod({draw()}, {array("role_counts")}[d])]
                    ELSE {pick("all_roles")} END
                WHEN d > 1 THEN 'Head of ' || {array("department_names")}[d]
                ELSE 'Chief Executive Officer' END AS job_title,
            {array("locations")}[l] AS location,
            {array("department_names")}[d] AS department_name,
            {array("department_ids")}[d] AS department_id,
            {array("first_ascii")}[f] || '.' || {array("last_ascii")}[s] || '.' || %(tag)s::text || n
                || '@example.com' AS work_email,
            {phone("landline_prefixes")} AS work_phone,
            CASE WHEN {chance(0.8)} THEN {phone("mobile_prefixes")} ELSE '' END AS mobile,
            {pick("visibilities")} AS mobile_visibility,
            {array("locations")}[l] || ', floor ' || {index(12)} || ', desk ' || {index(150)} AS office,
            {array("time_zones")}[l] AS time_zone,
            CASE WHEN {chance(0.3)} THEN {pick("pronouns")} ELSE '' END AS pronouns,
            %(today)s::date - mod({draw()}, 15 * 365) AS start_date,
            {pick("visibilities")} AS start_date_visibility,
            {some(len(self.badges), "badges", "b", max(BADGE_COUNTS))},
            {some(len(self.skills), "skills", "s", max(SKILL_COUNTS))}
        FROM (
            SELECT n,
                CASE WHEN n < {heads} THEN n + 1 ELSE {department} END AS d,
                CASE WHEN n < {heads} THEN 0
                    ELSE 1 + (n - {heads}) / {turn} * {array("weights")}[{department}]
                        + {array("wheel_offsets")}[{slot}] END AS member,
                {index(len(FIRST_NAMES))} AS f,
                {index(len(LAST_NAMES))} AS s,
                CASE WHEN {chance(0.15)} THEN {index(len(LAST_NAMES))} END AS s2,
                -- As random.paretovariate(1.2), for a few big offices and many small ones.
                CASE WHEN {chance(0.5)}
                    THEN least(floor(power(({draw()} + 1) / 2147483648.0::float8, -1 / 1.2))::int,
                        {len(LOCATIONS)})
                    ELSE {index(len(LOCATIONS))} END AS l,
                {pick("badge_counts")} AS badges,
                {pick("skill_counts")} AS skills
            FROM generate_series(%(start)s, %(stop)s - 1) AS n
            OFFSET 0
        ) AS numbers
        OFFSET 0
        """  # noqa: S608 (no user input)

    @functools.cached_property
    def inserts(self):
        """The INSERTs of a batch's employees, badge links and skill links."""
        columns = ", ".join(["created_at", "updated_at", "photo", "photo_thumbnail", "version", *COLUMNS])
        badges = ", ".join(f"(%(badge_names)s::text[])[b{j}]" for j in range(max(BADGE_COUNTS)))
        skills = ", ".join(f"(%(skill_names)s::text[])[s{j}]" for j in range(max(SKILL_COUNTS)))
        return [
            f"""
            INSERT INTO {Employee._meta.db_table} ({columns})
            SELECT %(now)s::timestamptz, %(now)s::timestamptz, '', '', 1, id, full_name, job_title, location,
                concat_ws(' ', full_name, job_title, location, department_name, {badges}, {skills}),
                {", ".join(COLUMNS[5:])}
            FROM ({self.people_sql()}) AS people
            """,  # noqa: S608 (no user input)
            *(
                f"""
                INSERT INTO {through._meta.db_table} (employee_id, {column})
                SELECT id, (%({catalogue})s::bigint[])[slot]
                FROM ({self.people_sql()}) AS people,
                    unnest(ARRAY[{", ".join(f"{slots}{j}" for j in range(most))}]) AS slot
                WHERE slot IS NOT NULL
                """  # noqa: S608 (no user input)
                for through, column, catalogue, slots, most in [
                    (Employee.badges.through, "badge_id", "badge_ids", "b", max(BADGE_COUNTS)),
                    (Employee.skills.through, "skill_id", "skill_ids", "s", max(SKILL_COUNTS)),
                ]
            ),
        ]

    @functools.cached_property
    def sql_parameters(self):
        roles = [department_roles for _, _, department_roles in self.departments]
        return {
            "run": f"{self.high >> 64:016x}",
            "tag": self.tag,
            "now": timezone.now(),
            "today": self.today,
            "first_names": FIRST_NAMES,
            "first_ascii": [ascii_word(name) for name in FIRST_NAMES],
            "last_names": LAST_NAMES,
            "last_ascii": [ascii_word(name) for name in LAST_NAMES],
            "seniorities": SENIORITIES,
            "all_roles": ROLES,
            "roles": [role for department_roles in roles for role in department_roles],
            "role_starts": list(itertools.accumulate([1] + [len(r) for r in roles[:-1]])),
            "role_counts": [len(r) for r in roles],
            "locations": LOCATIONS,
            "time_zones": [PLACES[location][1] for location in LOCATIONS],
            "mobile_prefixes": [self.phones[PLACES[location][0]][0] for location in LOCATIONS],
            "landline_prefixes": [self.phones[PLACES[location][0]][1] for location in LOCATIONS],
            "visibilities": [str(visibility) for visibility in VISIBILITIES],
            "pronouns": PRONOUNS,
            "department_names": [head.name for head, _, _ in self.departments],
            "department_ids": [head.pk for head, _, _ in self.departments],
            "parents": self.parents,
            "spans": self.spans,
            "weights": self.weights,
            "wheel_departments": [department + 1 for department, _ in self.wheel],
            "wheel_offsets": [offset for _, offset in self.wheel],
            "badge_counts": BADGE_COUNTS,
            "skill_counts": SKILL_COUNTS,
            "badge_ids": [pk for pk, _ in self.badges],
            "badge_names": [name for _, name in self.badges],
            "skill_ids": [pk for pk, _ in self.skills],
            "skill_names": [name for _, name in self.skills],
        }


def strata(size, count):
    """``count`` consecutive ranges (start, stop) that together cover range(size) as evenly as they can."""
    return [((j * size + count - 1) // count, ((j + 1) * size + count - 1) // count) for j in range(count)]
