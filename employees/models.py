import itertools
import uuid
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.functions import Length, Lower, Trim, TruncMonth
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import DeletedObject, HistoricalRecords

from . import search


def photo_path(employee, filename):
    """A random name, so a photo's address tells nothing and cannot be guessed from the employee."""
    return f"photos/{uuid.uuid4().hex}.webp"


def field_error(field, message, code, **params):
    return ValidationError({field: ValidationError(message, code=code, params=params)})


def not_blank(field):
    """A check constraint that rejects empty and space-only values of ``field`` in the database itself."""
    return models.CheckConstraint(
        condition=GreaterThan(Length(Trim(field)), 0),
        name=f"%(app_label)s_%(class)s_{field}_not_blank",
        violation_error_message=_("This field cannot be blank."),
    )


# The collation of NameField per database: PostgreSQL's ICU root collation, and on SQLite search.compare,
# registered on each connection (employees/apps.py).
COLLATIONS = {"postgresql": "und-x-icu", "sqlite": "directory"}


class NameField(models.CharField):
    """Text people sort by, ordered as a reader expects whatever the case and accents ("madrid" beside
    "Madrid", "São Paulo" before "Stockholm"), by the database and its indexes alike."""

    def db_parameters(self, connection):
        return {**super().db_parameters(connection), "collation": COLLATIONS.get(connection.vendor)}


class PostgreSQLGinIndex(GinIndex):
    """A GIN index on PostgreSQL. Other databases have no such index and get none (an empty statement)."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


class CatalogueQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)

    def with_headcount(self):
        """Annotate ``headcount``: the people here who work at the company (not those who left)."""
        return self.annotate(
            headcount=models.Count("employees", filter=models.Q(employees__left_on__isnull=True))
        )


class Catalogue(models.Model):
    """Badges, departments and skills: named, and found by slug, the natural key their fixtures use."""

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class Badge(Catalogue):
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    icon = models.CharField(
        _("icon"),
        max_length=50,
        help_text=_("Font Awesome 4.7 icon name without the “fa-” prefix, for example “coffee”."),
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Badges are listed by position, then by name.")
    )

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [not_blank("name"), not_blank("slug")]

    def get_absolute_url(self):
        return f"{reverse('employees:list')}?badge={self.slug}"


class DepartmentQuerySet(CatalogueQuerySet):
    def tree(self):
        """These departments by slug, in name order, each with its ``parent_department``, ``subdepartments``,
        ``headcount`` and the ``total_headcount`` of it and every department under it: one query."""
        departments = {department.pk: department for department in self.with_headcount().order_by("name")}
        for department in departments.values():
            department.subdepartments = []
            department.parent_department = departments.get(department.parent_id)
        for department in departments.values():
            if department.parent_department:
                department.parent_department.subdepartments.append(department)
        for department in departments.values():
            department.total_headcount = sum(node.headcount for node in department.walk())
        return {department.slug: department for department in departments.values()}


class Department(Catalogue):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent department"),
        help_text=_("The department this one is part of; empty for a top-level department."),
    )

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            not_blank("name"),
            not_blank("slug"),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")),
                name="%(app_label)s_%(class)s_not_own_parent",
                violation_error_message=_("A department cannot be its own parent."),
            ),
        ]

    def get_absolute_url(self):
        return reverse("employees:department", kwargs={"slug": self.slug})

    def clean(self):
        """Refuse a parent that is this department or lies under it: the departments would form a loop."""
        super().clean()
        if self.parent_id is None or self.pk is None:
            return
        parents = dict(Department.objects.values_list("pk", "parent"))
        names = dict(Department.objects.values_list("pk", "name"))
        chain, node = [], self.parent_id
        while node is not None and node not in chain:
            chain.append(node)
            if node == self.pk:
                raise field_error(
                    "parent",
                    _("“%(name)s” cannot be part of “%(parent)s”, which is part of it: %(chain)s."),
                    "department_cycle",
                    name=self.name,
                    parent=names[self.parent_id],
                    chain=" → ".join(self.name if pk == self.pk else names[pk] for pk in chain),
                )
            node = parents.get(node)

    def walk(self):
        """This department and every one under it, parents first (on ``Department.objects.tree()``)."""
        seen, stack = set(), [self]
        while stack:
            department = stack.pop()
            if department.pk not in seen:
                seen.add(department.pk)
                yield department
                stack.extend(reversed(department.subdepartments))

    def ancestors(self):
        """The departments above this one, the top first (on ``Department.objects.tree()``)."""
        chain, node = [], self.parent_department
        while node is not None and node not in chain and node != self:
            chain.append(node)
            node = node.parent_department
        return chain[::-1]


def unique_slug(model, text, fallback):
    """A slug for ``text`` that no row of ``model`` has yet: "C++" gives "c-plus-plus", a second "C" "c-2"."""
    base = slugify(text.replace("+", " plus ").replace("#", " sharp "))[:50] or fallback
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class SkillQuerySet(CatalogueQuerySet):
    def for_names(self, names):
        """The skills called ``names`` (any case or spacing), each once, in order; those no skill has yet new
        and unsaved."""
        unique = {}
        for name in (" ".join(name.split()) for name in names):
            unique.setdefault(name.lower(), name)
        matches = self.annotate(lower_name=Lower("name")).filter(lower_name__in=list(unique))
        existing = {skill.name.lower(): skill for skill in matches}
        return [existing.get(key) or Skill(name=name) for key, name in unique.items()]


class Skill(Catalogue):
    name = models.CharField(_("name"), max_length=50)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)

    objects = SkillQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        constraints = [
            not_blank("name"),
            models.UniqueConstraint(
                Lower("name"),
                name="%(app_label)s_%(class)s_name_unique",
                violation_error_message=_("A skill with this name already exists."),
            ),
        ]

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Skill, self.name, "skill")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('employees:list')}?skill={self.slug}"


def catalogues():
    """Every department by id, skill and badge by slug, as (slug, name): one query of three small tables."""
    names = [
        model.objects.values_list(models.Value(kind), "pk", "slug", "name").order_by()
        for kind, model in [("department", Department), ("skill", Skill), ("badge", Badge)]
    ]
    found = {"department": {}, "skill": {}, "badge": {}}
    for kind, pk, slug, name in names[0].union(*names[1:], all=True):
        found[kind][pk if kind == "department" else slug] = (slug, name)
    return found


class Visibility(models.TextChoices):
    """Who may see a private field of an employee (editors and the employee themself always may)."""

    EVERYONE = "everyone", _("Everyone")
    MANAGERS = "managers", _("Their managers and editors")
    EDITORS = "editors", _("Editors only")


# How to reach someone and when they started: the forms, the API and the exports carry them beside the rest.
CONTACT_FIELDS = [
    "work_email",
    "work_phone",
    "mobile",
    "mobile_visibility",
    "office",
    "time_zone",
    "pronouns",
    "start_date",
    "start_date_visibility",
]


TIME_ZONE_NAMES = frozenset(available_timezones())


def validate_time_zone(value):
    if value not in TIME_ZONE_NAMES:
        raise ValidationError(
            _("“%(value)s” is not a time zone name; use one such as “Europe/Madrid” or “America/New_York”."),
            code="invalid_time_zone",
            params={"value": value},
        )


def visibility_field(verbose_name):
    return models.CharField(
        verbose_name, max_length=10, choices=Visibility.choices, default=Visibility.MANAGERS
    )


def valid_choice(field, choices):
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}), name=f"%(app_label)s_%(class)s_{field}_valid"
    )


def readable(value):
    """A history diff's value: many-to-many rows as names, someone deleted since by their last name."""
    if isinstance(value, list):
        linked = [next(other for key, other in row.items() if key != "employee") for row in value]
        return ", ".join(sorted(str(readable(other)) for other in linked))
    # An empty foreign key, as simple-history has it.
    if value is None or getattr(value, "pk", True) is None:
        return ""
    if isinstance(value, DeletedObject) and value.model is Employee:
        return Employee.history.filter(id=value.pk).values_list("full_name", flat=True).first() or value
    return value


# Every change to an employee, with its badges and skills: employees/services.py records each write as one.
HISTORY = HistoricalRecords(
    m2m_fields=["badges", "skills"],
    excluded_fields=[
        *["created_at", "updated_at", "photo_thumbnail"],
        *["search_text", "search_name", "search_vector", "name_vector", "badge_slugs", "skill_slugs"],
    ],
)


class LocationQuerySet(CatalogueQuerySet):
    def get_by_natural_key(self, name):
        return self.get(name=name)

    def named(self, name):
        """The location called ``name``, whatever its case or spacing, or None."""
        name = " ".join(str(name).split())
        return (
            self.annotate(lower_name=Lower("name")).filter(lower_name=name.lower()).first() if name else None
        )

    def for_name(self, name):
        """The location called ``name`` (any case or spacing), created if there is none yet."""
        return self.named(name) or self.get_or_create(name=" ".join(name.split()))[0]


class Location(models.Model):
    """An office or city people work at: editors keep the catalogue; forms, import and SCIM choose from it.
    Employees refer to a location by its name (their ``location_id``), which is what the list sorts and
    filters by; renaming a location moves its people to the new name (employees/signals.py)."""

    name = NameField(_("name"), max_length=100, unique=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    address = models.TextField(_("address"), blank=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [
            not_blank("name"),
            models.UniqueConstraint(
                Lower("name"),
                name="%(app_label)s_%(class)s_name_unique",
                violation_error_message=_("A location with this name already exists."),
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = " ".join(self.name.split())
        # A rename moves the people here to the new name before the database checks their references.
        with transaction.atomic():
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('employees:list')}?{urlencode({'location': self.name})}"

    def natural_key(self):
        return (self.name,)


# No company is this deep; a reporting line that seems longer loops, and is cut here.
MAX_REPORTING_DEPTH = 1000


class EmployeeQuerySet(models.QuerySet):
    def current(self):
        """The people who work here: not those who left."""
        return self.filter(left_on__isnull=True)

    def visible_to(self, user):
        """Leavers are kept, with their history, for those who may edit employees; everyone else sees
        only the people who work here."""
        return self if user.has_perm("employees.change_employee") else self.current()

    def search(self, query):
        return search.search(self, query)

    def for_list(self):
        """Only the columns a list of employees shows, with their badges as a list in ``badge_list``."""
        columns = self.select_related("department", "manager").only(
            "id",
            "full_name",
            "job_title",
            "location",
            "photo_thumbnail",
            "left_on",
            "work_email",
            "work_phone",
            "department__name",
            "department__slug",
            "manager__full_name",
        )
        return columns.prefetch_related(models.Prefetch("badges", to_attr="badge_list"))

    def for_detail(self):
        return self.select_related("department", "location").prefetch_related("badges", "skills")

    def provisioned(self):
        """The people SCIM serves: everyone but the leavers it deleted (or who left with no sign-in name)."""
        return self.exclude(left_on__isnull=False, user_name="").select_related("department")

    def with_user_name(self, name):
        """Who signs in as ``name`` (any case), or, with no sign-in name yet, has it as work email."""
        name = name.lower()
        people = self.alias(user_name_lower=Lower("user_name"), work_email_lower=Lower("work_email"))
        return people.filter(models.Q(user_name_lower=name) | models.Q(user_name="", work_email_lower=name))

    def with_work_email(self, email):
        """Employees whose work email is ``email``, ignoring case (as the unique constraint does)."""
        return self.alias(work_email_lower=Lower("work_email")).filter(work_email_lower=email.lower())

    def reporting_to(self, user):
        """The reports of ``user``'s employee record at any depth; UNION, so that even a loop ends."""
        if user.pk is None:
            return self.none()
        table = connection.ops.quote_name(self.model._meta.db_table)
        reports = models.expressions.RawSQL(  # noqa: S611 (the table name comes from the model)
            f"""
            WITH RECURSIVE reports(id) AS (
                SELECT id FROM {table} WHERE manager_id IN (SELECT id FROM {table} WHERE user_id = %s)
                UNION
                SELECT employee.id FROM {table} employee JOIN reports ON employee.manager_id = reports.id
            )
            SELECT id FROM reports
            """,  # noqa: S608
            [user.pk],
        )
        return self.filter(pk__in=reports)

    def with_private_fields(self, user):
        """Annotate ``visible_mobile`` and ``visible_start_date``: the value if ``user`` may see it, or None.
        The one place that decides it: pages, the API and the exports read these, never the fields."""
        if user.has_perm("employees.change_employee"):
            return self.annotate(visible_mobile=models.F("mobile"), visible_start_date=models.F("start_date"))
        own = models.Q(user=user) if user.pk is not None else models.Q(pk__in=[])
        managed = models.Q(pk__in=self.model.objects.reporting_to(user).values("pk"))

        def visible(field):
            shared = models.Q(**{f"{field}_visibility": Visibility.EVERYONE}) | own
            shared |= models.Q(**{f"{field}_visibility": Visibility.MANAGERS}) & managed
            return models.Case(models.When(shared, then=models.F(field)), default=None)

        return self.annotate(visible_mobile=visible("mobile"), visible_start_date=visible("start_date"))

    def line_from(self, employee_id):
        """The employee ``employee_id`` and their managers up to the top, in that order, at most
        MAX_REPORTING_DEPTH levels so that a loop ends."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"""
            WITH RECURSIVE line (id, depth) AS (
                SELECT id, 0 FROM {table} WHERE id = %s
                UNION ALL
                SELECT employee.manager_id, line.depth + 1
                FROM {table} employee JOIN line ON employee.id = line.id
                WHERE employee.manager_id IS NOT NULL AND line.depth < %s
            )
            SELECT employee.id, employee.full_name, employee.job_title, employee.manager_id,
                   employee.photo_thumbnail
            FROM {table} employee JOIN line ON employee.id = line.id ORDER BY line.depth
        """  # noqa: S608 (the table name comes from the model)
        employee_id = self.model._meta.pk.get_db_prep_value(employee_id, connection)
        return self.model.objects.raw(sql, [employee_id, MAX_REPORTING_DEPTH])

    def top_of_company(self, levels, limit):
        """Org chart rows of the people with no manager and up to ``levels`` below them, at most ``limit``."""
        return self.chart_from("manager_id IS NULL", [], levels, limit)

    def team_of(self, employee_id, levels, limit):
        """Org chart rows of employee ``employee_id`` and up to ``levels`` below them, at most ``limit``."""
        employee_id = self.model._meta.pk.get_db_prep_value(employee_id, connection)
        return self.chart_from("id = %s", [employee_id], levels, limit)

    def chart_from(self, roots, params, levels, limit):
        """Org chart rows of the people who work here matching the SQL condition ``roots`` and up to
        ``levels`` below them, at most ``limit``: when cut, the nearer levels are kept, so that everyone's
        manager is among them (but the roots')."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"""
            WITH RECURSIVE chart (id, depth) AS (
                SELECT id, 0 FROM {table} WHERE {roots} AND left_on IS NULL
                UNION ALL
                SELECT employee.id, chart.depth + 1
                FROM {table} employee JOIN chart ON employee.manager_id = chart.id
                WHERE chart.depth < %s AND employee.left_on IS NULL
            )
            SELECT id FROM chart ORDER BY depth LIMIT %s
        """  # noqa: S608 (the table name comes from the model)
        chart = models.expressions.RawSQL(sql, [*params, levels - 1, limit])  # noqa: S611
        return self.filter(pk__in=chart).org_chart()

    def distinct_values(self, column):
        """Every value of ``column`` in the table, in order: read by skipping through the column's index from
        one value to the next (about a hundred lookups where SELECT DISTINCT reads every row)."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        column = connection.ops.quote_name(self.model._meta.get_field(column).column)
        sql = f"""
            WITH RECURSIVE found (value) AS (
                SELECT MIN({column}) FROM {table}
                UNION ALL
                SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > found.value) FROM found
                WHERE found.value IS NOT NULL
            )
            SELECT value FROM found WHERE value IS NOT NULL
        """  # noqa: S608 (names from the model)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [value for (value,) in cursor.fetchall()]

    def headcount_by_location(self):
        """Each location of these employees, in order, as ``location`` with its ``headcount``."""
        return self.order_by("location").values("location").annotate(headcount=models.Count("pk"))

    def org_chart(self):
        """(id, full name, job title, manager id, photo thumbnail, number of direct reports who work here) of
        these employees, by name: what the org chart shows."""
        reports = models.Count("reports", filter=models.Q(reports__left_on__isnull=True))
        return (
            self.order_by("full_name", "id")
            .annotate(report_count=reports)
            .values_list("id", "full_name", "job_title", "manager_id", "photo_thumbnail", "report_count")
        )

    def joiners_by_month(self, since, until):
        """Each month from ``since`` to ``until`` in which some of these employees started, as ``month`` with
        its ``joiners``: by ``visible_start_date`` (see ``with_private_fields``), so a reader counts only the
        start dates they may see."""
        started = self.filter(visible_start_date__gte=since, visible_start_date__lte=until)
        months = started.annotate(month=TruncMonth("visible_start_date")).order_by("month").values("month")
        return months.annotate(joiners=models.Count("pk"))


class Employee(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = NameField(_("full name"), max_length=100)
    job_title = NameField(_("job title"), max_length=100)
    location = models.ForeignKey(
        Location,
        to_field="name",
        db_column="location",
        on_delete=models.PROTECT,
        related_name="employees",
        verbose_name=_("location"),
        help_text=_("The office or city where this person works."),
        db_index=False,  # employee_location_idx starts with it
    )
    badges = models.ManyToManyField(Badge, blank=True, related_name="employees", verbose_name=_("badges"))
    photo = models.ImageField(
        _("photo"),
        upload_to=photo_path,
        blank=True,
        help_text=_("Optional. A JPEG, PNG or WebP image of at most 5 MB and 4,000 pixels on a side."),
    )
    photo_thumbnail = models.ImageField(
        _("photo thumbnail"), upload_to=photo_path, blank=True, editable=False
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
        verbose_name=_("department"),
        db_index=False,  # employee_department_idx starts with it
    )
    manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("manager"),
        help_text=_("The person this employee reports to; empty for nobody."),
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="employees", verbose_name=_("skills"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
        verbose_name=_("user account"),
        help_text=_("The account this person signs in with; it may edit this profile under “My profile”."),
    )
    work_email = models.EmailField(_("work email"), blank=True)
    work_phone = PhoneNumberField(_("work phone"), blank=True)
    mobile = PhoneNumberField(_("mobile"), blank=True)
    mobile_visibility = visibility_field(_("who sees the mobile number"))
    office = models.CharField(_("office or desk"), max_length=100, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    start_date_visibility = visibility_field(_("who sees the start date"))
    left_on = models.DateField(
        _("left on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The day this person left the company; empty while they work here."),
    )
    # What the company's identity provider knows this person by (SCIM: externalId, userName, employeeNumber).
    external_id = models.CharField(_("identity provider id"), max_length=255, blank=True, editable=False)
    user_name = models.CharField(
        _("sign-in name"),
        max_length=255,
        blank=True,
        editable=False,
        help_text=_("The name this person signs in with at the identity provider, often their email."),
    )
    employee_number = models.CharField(_("employee number"), max_length=64, blank=True)
    # What the search reads (employees/search.py): never contact details, some of which are private.
    search_text = models.TextField(_("search text"), editable=False, blank=True, default="")
    search_name = models.CharField(_("search name"), max_length=200, editable=False, blank=True, default="")
    # The slugs of its badges and skills: a list counts them from the rows it reads (search.count_facets).
    badge_slugs = models.JSONField(_("badge slugs"), editable=False, default=list)
    skill_slugs = models.JSONField(_("skill slugs"), editable=False, default=list)
    search_vector = models.GeneratedField(
        expression=search.Vector("search_text"), output_field=SearchVectorField(), db_persist=True
    )
    name_vector = models.GeneratedField(
        expression=search.Vector("search_name"), output_field=SearchVectorField(), db_persist=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Goes up by one on every save; guards against lost updates.")
    )

    objects = EmployeeQuerySet.as_manager()
    history = HISTORY

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [
            models.Index(fields=["full_name", "id"], name="employee_name_idx"),
            models.Index(fields=["job_title", "full_name", "id"], name="employee_title_idx"),
            models.Index(fields=["location", "full_name", "id"], name="employee_location_idx"),
            models.Index(fields=["department", "full_name", "id"], name="employee_department_idx"),
            PostgreSQLGinIndex(fields=["search_vector"], name="employee_search_vector_idx"),
            PostgreSQLGinIndex(fields=["name_vector"], name="employee_name_vector_idx"),
            PostgreSQLGinIndex(
                OpClass("search_name", name="gin_trgm_ops"), name="employee_search_name_trgm_idx"
            ),
        ]
        constraints = [
            not_blank("full_name"),
            not_blank("job_title"),
            models.UniqueConstraint(
                Lower("work_email"),
                condition=~models.Q(work_email=""),
                name="%(app_label)s_%(class)s_work_email_unique",
                violation_error_message=_("Another employee already has this work email."),
            ),
            models.CheckConstraint(
                condition=~models.Q(manager=models.F("id")),
                name="%(app_label)s_%(class)s_not_own_manager",
                violation_error_message=_("An employee cannot be their own manager."),
            ),
            valid_choice("mobile_visibility", Visibility),
            valid_choice("start_date_visibility", Visibility),
            models.UniqueConstraint(
                Lower("user_name"),
                condition=~models.Q(user_name=""),
                name="%(app_label)s_%(class)s_user_name_unique",
                violation_error_message=_("Another employee already signs in with this name."),
            ),
            models.UniqueConstraint(
                "external_id",
                condition=~models.Q(external_id=""),
                name="%(app_label)s_%(class)s_external_id_unique",
                violation_error_message=_("Another employee already has this identity provider id."),
            ),
        ]
        permissions = [("provision_employee", _("Can provision employees from the identity provider"))]

    class EditConflict(Exception):
        """Someone else saved this employee after the version being saved was read."""

    def __str__(self):
        return self.full_name

    def get_absolute_url(self):
        return reverse("employees:detail", kwargs={"pk": self.pk})

    @property
    def location_name(self):
        """The name of this person's location, without reading the location (it is the key they refer to)."""
        return self.location_id

    @property
    def has_left(self):
        return self.left_on is not None

    @property
    def initials(self):
        """Up to two letters for the avatar shown without a photo: "Ana María García" gives "AG"."""
        words = self.full_name.split()
        return "".join(word[0] for word in words[:1] + words[1:][-1:]).upper()

    @property
    def avatar_color(self):
        """One of eight avatar colours, always the same for one employee."""
        return self.pk.int % 8 if self.pk else 0

    def local_time(self):
        if self.time_zone in TIME_ZONE_NAMES:
            return timezone.localtime(timezone=ZoneInfo(self.time_zone))
        return None

    def clean(self):
        super().clean()
        self.check_manager(self.manager_id)

    def check_manager(self, manager_id):
        """Raise ValidationError if reporting to ``manager_id`` would close a loop in the reporting lines."""
        if manager_id is None or self._state.adding:
            return
        if manager_id == self.pk:
            raise field_error("manager", _("An employee cannot be their own manager."), "own_manager")
        line = list(Employee.objects.line_from(manager_id))
        if any(manager.pk == self.pk for manager in line):
            raise field_error(
                "manager",
                _("%(name)s cannot report to %(manager)s, who already reports to %(name)s: %(line)s."),
                "manager_cycle",
                name=self.full_name,
                manager=line[0].full_name,
                line=" → ".join(manager.full_name for manager in line),
            )

    def reporting_line(self):
        """The managers above this employee, the nearest first."""
        if self.manager_id is None:
            return []
        line = []
        for manager in Employee.objects.line_from(self.manager_id):
            if manager.pk == self.pk or manager in line:
                break  # a loop saved before the check existed: each person once
            line.append(manager)
        return line

    def direct_reports(self):
        return self.reports.current().only("id", "full_name", "job_title", "photo_thumbnail", "manager")

    def recent_changes(self, limit=20):
        """The last ``limit`` history records, newest first, each with ``changes``: (label, old, new). A
        change record with nothing to show (only the version or fields the history does not keep changed) is
        left out; a creation or a deletion record never is."""
        records = list(self.history.select_related("history_user")[: limit + 1])
        for record, previous in itertools.zip_longest(records, records[1:]):
            delta = record.diff_against(previous, foreign_keys_are_objs=True).changes if previous else []
            record.changes = [
                (self._meta.get_field(change.field).verbose_name, readable(change.old), readable(change.new))
                for change in delta
                if change.field != "version"
            ]
        return [record for record in records if record.changes or record.history_type != "~"][:limit]


def job_file_path(job, filename):
    """A random name: a job's file is reached only through its owner's download link, never by its path."""
    return f"jobs/{uuid.uuid4().hex}{filename[filename.rfind('.') :]}"


class JobQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(owner=user)

    def unfinished(self):
        return self.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])

    def stalled(self):
        """Unfinished jobs without a sign of progress for JOBS_STALLED_AFTER seconds: their worker stopped."""
        quiet_since = timezone.now() - timezone.timedelta(seconds=settings.JOBS_STALLED_AFTER)
        return self.unfinished().filter(updated_at__lt=quiet_since)

    def in_progress(self):
        """The jobs that count against JOBS_PER_USER: queued or running, and not stalled."""
        return self.unfinished().exclude(pk__in=self.stalled().values("pk"))

    def expired(self):
        return self.filter(created_at__lt=self.kept_since())

    def kept(self):
        """The jobs not expired yet: an expired one is gone for its owner before delete_expired_jobs runs."""
        return self.filter(created_at__gte=self.kept_since())

    @staticmethod
    def kept_since():
        return timezone.now() - timezone.timedelta(hours=settings.JOBS_KEPT_HOURS)


class Job(models.Model):
    """Long work a background worker does for one user, an export of the list or an import: its progress,
    its file or why it failed. Deleted with its files JOBS_KEPT_HOURS after it was queued."""

    class Kind(models.TextChoices):
        CSV = "csv", _("CSV export")
        XLSX = "xlsx", _("Excel export")
        VCARD = "vcard", _("vCard export")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("owner")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    query = models.TextField(
        _("search and filters"), blank=True, help_text=_("The list page's query string of the export.")
    )
    site_url = models.URLField(
        _("site address"), blank=True, help_text=_("The address the employees' links in a vCard start with.")
    )
    source = models.FileField(_("file to import"), upload_to=job_file_path, blank=True)
    previewed_at = models.DateTimeField(
        _("previewed at"), null=True, blank=True, help_text=_("An import refuses rows changed after this.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.QUEUED)
    attempt = models.PositiveIntegerField(
        _("attempt"), default=1, help_text=_("Raised by a retry: a run of an earlier attempt stops.")
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in all"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=job_file_path, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    error = models.TextField(_("why it failed"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last progress"), auto_now=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    EXTENSIONS = {Kind.CSV: "csv", Kind.XLSX: "xlsx", Kind.VCARD: "vcf"}

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [models.Index(fields=["owner", "status"]), models.Index(fields=["created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["csv", "xlsx", "vcard", "import"]),
                name="%(app_label)s_%(class)s_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("employees:jobs")

    @property
    def is_stalled(self):
        quiet_since = timezone.now() - timezone.timedelta(seconds=settings.JOBS_STALLED_AFTER)
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and self.updated_at < quiet_since

    @property
    def is_in_progress(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING) and not self.is_stalled

    @property
    def can_retry(self):
        return self.status == self.Status.FAILED or self.is_stalled

    @property
    def percent_done(self):
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)

    @property
    def filename(self):
        """The name the downloaded file is saved under."""
        return f"employees.{self.EXTENSIONS.get(self.kind, 'txt')}"
