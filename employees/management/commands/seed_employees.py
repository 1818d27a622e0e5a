import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from employees.models import Badge, Employee
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


class Command(BaseCommand):
    help = "Add N realistic synthetic employees (names with accents, many titles and locations, badges)."

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
        badges = list(Badge.objects.values_list("pk", "name"))
        postgresql = connection.vendor == "postgresql"
        # COPY FREEZE into tables emptied in the same transaction: rows are written visible to all, so that
        # neither VACUUM nor the first searches rewrite every page to mark them so.
        insert = partial(self.copy_batch, freeze=clear) if postgresql else self.create_batch
        # Inside a caller's transaction (as in tests) other sessions cannot see the rows: no parallel build.
        in_parallel = not connection.in_atomic_block
        with transaction.atomic():
            if clear:
                self.clear()
            # PostgreSQL builds an index and checks a foreign key faster in one go than row by row: drop,
            # load, rebuild.
            indexes, constraints = (
                self.drop_secondary_indexes() if postgresql and count >= 10_000 else ([], [])
            )
            with tqdm(total=count, unit=" employees", disable=verbosity == 0) as progress:
                for start in range(0, count, batch_size):
                    size = min(batch_size, count - start)
                    insert(self.fake_employee(rng, badges) for _ in range(size))
                    progress.update(size)
            if indexes and not in_parallel:
                self.rebuild(indexes, constraints)
        if indexes and in_parallel:
            self.rebuild_in_parallel(indexes, constraints)
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Employee._meta.db_table}, {Employee.badges.through._meta.db_table}")
        forget_facets()
        if verbosity:
            seconds = time.monotonic() - started
            self.stdout.write(f"Added {count:,} employees in {seconds:.1f} s (--seed {seed}).")

    def fake_employee(self, rng, badges):
        full_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if rng.random() < 0.15:
            full_name += f" {rng.choice(LAST_NAMES)}"
        job_title = rng.choice(SENIORITIES) + rng.choice(ROLES)
        # A few big offices and many small ones, as in real companies.
        location = (
            LOCATIONS[min(int(rng.paretovariate(1.2)) - 1, len(LOCATIONS) - 1)]
            if rng.random() < 0.5
            else (rng.choice(LOCATIONS))
        )
        # In catalogue order, as Employee.build_search_text lists them.
        employee_badges = [
            badges[i] for i in sorted(rng.sample(range(len(badges)), k=rng.choice(BADGE_COUNTS)))
        ]
        search_text = " ".join([full_name, job_title, location, *(name for _, name in employee_badges)])
        employee_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        return employee_id, full_name, job_title, location, search_text, [pk for pk, _ in employee_badges]

    def clear(self):
        tables = [Employee.badges.through._meta.db_table, Employee._meta.db_table]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Inside a longer transaction, foreign key checks may still be pending; TRUNCATE needs none.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
            else:
                for table in tables:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table names from the models)

    def drop_secondary_indexes(self):
        """Drop the indexes of the employee tables that back no constraint, and the foreign keys and unique
        constraint of the badge links; return the statements that recreate the indexes and the constraints."""
        tables = [Employee._meta.db_table, Employee.badges.through._meta.db_table]
        links = Employee.badges.through._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary",
                [tables],
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
                [links],
            )
            constraints = cursor.fetchall()
            for name, _ in constraints:
                cursor.execute(f"ALTER TABLE {links} DROP CONSTRAINT {name}")
        return [definition for _, definition in indexes], [
            f"ALTER TABLE {links} ADD CONSTRAINT {name} {definition}" for name, definition in constraints
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

    def copy_batch(self, rows, freeze=False):
        """PostgreSQL: COPY, an order of magnitude faster than INSERT for a million rows.

        ``rows`` is a generator: PostgreSQL stores each row while the next one is made up.
        """
        now = timezone.now()
        links = []
        Through = Employee.badges.through
        with connection.cursor() as cursor:
            # Every NOT NULL column without a database default, which COPY would otherwise leave NULL.
            columns = (
                "id, full_name, job_title, location, search_text, created_at, updated_at, "
                "photo, photo_thumbnail, version"
            )
            options = " WITH (FREEZE)" if freeze else ""
            with cursor.cursor.copy(
                f"COPY {Employee._meta.db_table} ({columns}) FROM STDIN{options}"
            ) as copy:
                for employee_id, full_name, job_title, location, search_text, badge_ids in rows:
                    copy.write_row(
                        (employee_id, full_name, job_title, location, search_text, now, now, "", "", 1)
                    )
                    links.extend((employee_id, badge_id) for badge_id in badge_ids)
            with cursor.cursor.copy(
                f"COPY {Through._meta.db_table} (employee_id, badge_id) FROM STDIN{options}"
            ) as copy:
                for link in links:
                    copy.write_row(link)

    def create_batch(self, rows):
        rows = list(rows)
        Employee.objects.bulk_create(
            Employee(id=employee_id, full_name=name, job_title=title, location=location, search_text=text)
            for employee_id, name, title, location, text, _ in rows
        )
        Employee.badges.through.objects.bulk_create(
            Employee.badges.through(employee_id=employee_id, badge_id=badge_id)
            for employee_id, *_, badge_ids in rows
            for badge_id in badge_ids
        )
