import bisect
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
# Memory for each index build: GIN indexes build much faster when their entries fit in it.
INDEX_BUILD_MEMORY = "512MB"
BADGE_COUNTS = [0, 0, 1, 1, 1, 2, 2, 3]
SENIORITIES = ["", "Junior ", "Senior ", "Lead ", "Principal ", "Head of "]
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
        started = time.monotonic()
        if not Badge.objects.exists():
            call_command("loaddata", "badges", verbosity=0)
        postgresql = connection.vendor == "postgresql"
        # COPY FREEZE into tables emptied in the same transaction: rows are written visible to all, so that
        # neither VACUUM nor the first searches rewrite every page to mark them so.
        insert = partial(self.copy_batch, freeze=clear) if postgresql else self.create_batch
        # Inside a caller's transaction (as in tests) other sessions cannot see the rows: no parallel build.
        in_parallel = not connection.in_atomic_block
        with transaction.atomic():
            if clear:
                self.clear()
            company = Company(rng, departments(), skills())
            # PostgreSQL builds an index and checks a foreign key faster in one go than row by row: drop,
            # load, rebuild.
            indexes, constraints = (
                self.drop_secondary_indexes() if postgresql and count >= 10_000 else ([], [])
            )
            with tqdm(total=count, unit=" employees", disable=verbosity == 0) as progress:
                for start in range(0, count, batch_size):
                    size = min(batch_size, count - start)
                    insert(company.employee(number) for number in range(start, start + size))
                    progress.update(size)
            if indexes and not in_parallel:
                self.rebuild(indexes, constraints)
        if indexes and in_parallel:
            self.rebuild_in_parallel(indexes, constraints)
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(self.tables())}")
        forget_facets()
        if verbosity:
            seconds = time.monotonic() - started
            self.stdout.write(f"Added {count:,} employees in {seconds:.1f} s (--seed {seed}).")

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

    def drop_secondary_indexes(self):
        """Drop the indexes of the employee tables that back no constraint, the employee table's foreign keys
        (checked row by row otherwise), and the foreign keys and unique constraints of the badge and skill
        links; return the statements that recreate the indexes and those that recreate the constraints."""
        links = [through._meta.db_table for through in link_tables()]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary",
                [self.tables()],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE (conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u'))"
                " OR (conrelid = %s::regclass AND contype = 'f')",
                [links, Employee._meta.db_table],
            )
            constraints = cursor.fetchall()
            for table, name, _ in constraints:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        return [definition for _, definition in indexes], [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
            for table, name, definition in constraints
        ]

    def rebuild(self, indexes, constraints):
        with connection.cursor() as cursor:
            # Check the deferred foreign keys now: PostgreSQL builds no index over pending checks.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for statement in indexes + constraints:
                cursor.execute(statement)

    def rebuild_in_parallel(self, indexes, constraints):
        """Build the indexes of the committed rows two at a time, each in a session of its own.

        PostgreSQL before 18 builds a GIN index on one core, and the trigram index of the search text takes
        about half of a large load: the other indexes are built beside it. The constraints come after, as
        they lock the tables the indexes are being built on. A load interrupted here has its rows but not
        all its indexes: run it again with --clear.
        """

        def build(statement):
            try:
                with connection.cursor() as cursor:
                    cursor.execute(f"SET maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
                    cursor.execute(statement)
            finally:
                connection.close()

        # The GIN indexes first, the largest of all (the search text's) at the head.
        indexes = sorted(indexes, key=lambda statement: ("gin" not in statement, "search" not in statement))
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(build, indexes))
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in constraints:
                cursor.execute(statement)

    def copy_batch(self, employees, freeze=False):
        """PostgreSQL: COPY, an order of magnitude faster than INSERT for a million rows.

        ``employees`` is a generator: PostgreSQL stores each row while the next one is made up.
        """
        now = timezone.now()
        badge_links, skill_links = [], []
        # Every NOT NULL column without a database default, which COPY would otherwise leave NULL.
        columns = ", ".join(["created_at", "updated_at", "photo", "photo_thumbnail", "version", *COLUMNS])
        with connection.cursor() as cursor:
            options = " WITH (FREEZE)" if freeze else ""
            with cursor.cursor.copy(
                f"COPY {Employee._meta.db_table} ({columns}) FROM STDIN{options}"
            ) as copy:
                for employee in employees:
                    copy.write_row((now, now, "", "", 1, *(employee[column] for column in COLUMNS)))
                    badge_links.extend((employee["id"], badge) for badge in employee["badges"])
                    skill_links.extend((employee["id"], skill) for skill in employee["skills"])
            for through, links, column in [
                (Employee.badges.through, badge_links, "badge_id"),
                (Employee.skills.through, skill_links, "skill_id"),
            ]:
                with cursor.cursor.copy(
                    f"COPY {through._meta.db_table} (employee_id, {column}) FROM STDIN{options}"
                ) as copy:
                    for link in links:
                        copy.write_row(link)

    def create_batch(self, employees):
        employees = list(employees)
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
    """Made-up employees, one at a time: the first of a run heads the company, the next ones each head a
    department, and everyone else joins a department under someone already there.

    An employee's id encodes the run, the department and their place in it, so a manager's id is computed,
    never stored: a million employees need no more memory than ten. Within a department, person n reports to
    person (n - 1) // span, so every manager has ``span`` (5 to 10) direct reports.
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
        self.index = {department.pk: number for number, (department, _, _) in enumerate(departments)}
        self.spans = [rng.randint(5, 10) for _ in departments]
        self.members = [0] * len(departments)
        self.cumulative_weights = list(itertools.accumulate(weight for _, weight, _ in departments))
        self.phones = phone_prefixes()
        self.today = datetime.date.today()

    def employee_id(self, department, member):
        return uuid.UUID(int=self.high | (department << 32) | member)

    def pick(self, items):
        """``rng.choice``, a few times faster: this runs ten times per employee."""
        return items[int(self.rng.random() * len(items))]

    def pick_some(self, items, counts):
        """Some of ``items``, each at most once, in their order."""
        indexes = {int(self.rng.random() * len(items)) for _ in range(self.pick(counts))}
        return [items[i] for i in sorted(indexes)]

    def employee(self, number):
        rng = self.rng
        if number < len(self.departments):
            department = number  # the first people head the departments, parents first
        else:
            total = self.cumulative_weights[-1]
            department = bisect.bisect_right(self.cumulative_weights, rng.random() * total)
        member = self.members[department]
        self.members[department] += 1
        head, _, roles = self.departments[department]
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        full_name = f"{first} {last}"
        if rng.random() < 0.15:
            full_name += f" {self.pick(LAST_NAMES)}"
        if member > 0:
            manager = self.employee_id(department, (member - 1) // self.spans[department])
            job_title = self.pick(SENIORITIES[:-1]) + (
                self.pick(roles) if rng.random() < 0.8 else self.pick(ROLES)
            )
        elif head.parent_id is not None:
            manager = self.employee_id(self.index[head.parent_id], 0)
            job_title = f"Head of {head.name}"
        elif department > 0:
            manager = self.employee_id(0, 0)
            job_title = f"Head of {head.name}"
        else:
            manager, job_title = None, "Chief Executive Officer"
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
            "manager_id": manager,
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
