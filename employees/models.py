import json
import uuid
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords


def photo_path(employee, filename):
    """A random name, so a photo's address tells nothing and cannot be guessed from the employee."""
    return f"photos/{uuid.uuid4().hex}.webp"


def not_blank(field):
    """A check constraint that rejects empty and space-only values of ``field`` in the database itself."""
    return models.CheckConstraint(
        condition=GreaterThan(Length(Trim(field)), 0),
        name=f"%(app_label)s_%(class)s_{field}_not_blank",
        violation_error_message=_("This field cannot be blank."),
    )


class SlugNaturalKeyQuerySet(models.QuerySet):
    """Rows found by their slug, the natural key their fixtures use."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class BadgeQuerySet(SlugNaturalKeyQuerySet):
    def with_headcount(self):
        # Meta.ordering is not applied to a GROUP BY query, so the order is given again.
        return self.annotate(headcount=models.Count("employees")).order_by("position", "name")


class Badge(models.Model):
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

    objects = BadgeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [not_blank("name"), not_blank("slug")]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)


class DepartmentQuerySet(SlugNaturalKeyQuerySet):
    def linked(self):
        """These departments by slug, in name order, each with its ``parent_department`` and its
        ``subdepartments``: one query, linked in memory."""
        departments = {department.pk: department for department in self.order_by("name")}
        for department in departments.values():
            department.subdepartments = []
            department.parent_department = departments.get(department.parent_id)
        for department in departments.values():
            if department.parent_department:
                department.parent_department.subdepartments.append(department)
        return {department.slug: department for department in departments.values()}

    def tree(self):
        """Every department by slug, linked, each with its own ``headcount`` and the ``total_headcount`` of it
        and every department under it: one query."""
        departments = self.annotate(headcount=models.Count("employees")).linked()
        for department in departments.values():
            department.total_headcount = sum(node.headcount for node in department.walk())
        return departments


class Department(models.Model):
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

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("employees:department", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        """Refuse a parent that is this department or lies under it: the departments would form a loop."""
        super().clean()
        if self.parent_id is None or self.pk is None:
            return
        departments = {
            pk: (parent, name) for pk, parent, name in Department.objects.values_list("pk", "parent", "name")
        }
        chain, node = [], self.parent_id
        while node is not None and node not in chain:
            chain.append(node)
            if node == self.pk:
                names = " → ".join(departments[pk][1] if pk != self.pk else self.name for pk in chain)
                raise ValidationError(
                    {
                        "parent": ValidationError(
                            _("“%(name)s” cannot be part of “%(parent)s”, which is part of it: %(chain)s."),
                            code="department_cycle",
                            params={
                                "name": self.name,
                                "parent": departments[self.parent_id][1],
                                "chain": names,
                            },
                        )
                    }
                )
            node = departments.get(node, (None, ""))[0]

    def walk(self):
        """This department and every one under it, parents first (on ``Department.objects.linked()``)."""
        seen, stack = set(), [self]
        while stack:
            department = stack.pop()
            if department.pk in seen:
                continue
            seen.add(department.pk)
            yield department
            stack.extend(reversed(department.subdepartments))

    def ancestors(self):
        """The departments above this one, the top first (on ``Department.objects.linked()``)."""
        chain, node = [], self.parent_department
        while node is not None and node not in chain and node != self:
            chain.append(node)
            node = node.parent_department
        return chain[::-1]


def unique_slug(model, text, fallback):
    """A slug for ``text`` that no row of ``model`` has yet: "C++" gives "c-plus-plus", a second "C" "c-2"."""
    text = text.replace("+", " plus ").replace("#", " sharp ")
    base = slugify(text)[:50] or fallback
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


class SkillQuerySet(SlugNaturalKeyQuerySet):
    def for_names(self, names):
        """The skills called ``names`` (any case), in that order; the missing ones new and not saved yet."""
        lower_names = [name.lower() for name in names]
        matches = self.annotate(lower_name=Lower("name")).filter(lower_name__in=lower_names)
        existing = {skill.name.lower(): skill for skill in matches}
        return [existing.get(name.lower()) or Skill(name=name) for name in names]

    def save_new(self, skills):
        """``skills`` with the unsaved ones saved, or replaced by a skill of that name saved meanwhile."""
        return [
            self.get_or_create(name__iexact=skill.name, defaults={"name": skill.name})[0]
            if skill._state.adding
            else skill
            for skill in skills
        ]


class Skill(models.Model):
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

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Skill, self.name, "skill")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{reverse('employees:list')}?skill={self.slug}"

    def natural_key(self):
        return (self.slug,)


class Visibility(models.TextChoices):
    """Who may see a private field of an employee (editors and the employee themself always may)."""

    EVERYONE = "everyone", _("Everyone")
    MANAGERS = "managers", _("Their managers and editors")
    EDITORS = "editors", _("Editors only")


# How to reach someone and when they started: the forms, the API and the seed carry them beside the rest.
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


@cache
def time_zone_names():
    return frozenset(available_timezones())


def normalize_email(email):
    """The address with its domain in lower case: the part before the @ may be case-sensitive, never the
    domain."""
    local, at, domain = email.strip().rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else email.strip()


def validate_time_zone(value):
    if value not in time_zone_names():
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
        condition=models.Q(**{f"{field}__in": choices.values}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )


OWN_MANAGER = _("An employee cannot be their own manager.")
UNKNOWN_LINK = object()
# No real company is this deep; a reporting line that seems longer loops, and is cut here.
MAX_REPORTING_DEPTH = 1000
SEARCH_MIN_LENGTH = 2
SEARCH_MAX_LENGTH = 200
SEARCH_MAX_TERMS = 8
FUZZY_MIN_LENGTH = 5
# A trigram index finds a word inside other words from three characters on. A shorter word is looked for where
# a word begins, which the index finds too (pg_trgm pads the start of every word), and which is what SQLite's
# prefix search does anyway.
WORD_INSIDE_MIN_LENGTH = 3


def search_terms(query):
    """The words of ``query`` worth searching for: no NUL bytes, at most a few words of bounded length."""
    query = query.replace("\x00", "")[:SEARCH_MAX_LENGTH].strip()
    if len(query) < SEARCH_MIN_LENGTH:
        return []
    return query.split()[:SEARCH_MAX_TERMS]


def base_table_alias(compiler):
    """The employee table's alias in the query being compiled (it changes in a subquery)."""
    return compiler.quote_name_unless_alias(next(iter(compiler.query.alias_map)))


class SearchFold(models.Func):
    """Lower case without accents, by the IMMUTABLE function that the trigram index is built on."""

    function = "employees_search_fold"
    output_field = models.TextField()


class Like(models.Func):
    template = "%(expressions)s"
    arg_joiner = " LIKE "
    output_field = models.BooleanField()


class SimilarToWords(models.Func):
    """pg_trgm's ``a <<% b``: ``a`` is similar enough to some run of whole words of ``b``
    (pg_trgm.strict_word_similarity_threshold, 0.5 unless the server sets another)."""

    template = "%(expressions)s"
    arg_joiner = " <<%% "
    output_field = models.BooleanField()


class SpaceBefore(models.Func):
    """The text with a space in front, so that ``LIKE '% word%'`` also finds a word at its very start."""

    template = "(' ' || %(expressions)s)"
    output_field = models.TextField()


class GeneratedColumn(models.Expression):
    """A column PostgreSQL computes from the others (see migration 0003); the model does not declare it."""

    output_field = models.TextField()

    def __init__(self, name):
        super().__init__()
        self.name = name

    def as_sql(self, compiler, connection):
        return f"{base_table_alias(compiler)}.{connection.ops.quote_name(self.name)}", []


class FullTextMatch(models.Expression):
    """SQLite: the row is in the FTS5 index's matches for ``match``, looked up by rowid (the fastest join)."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, match):
        super().__init__()
        self.match = match

    def as_sql(self, compiler, connection):
        alias = base_table_alias(compiler)
        fts = "employees_employee_fts"
        return f"{alias}.rowid IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)", [self.match]  # noqa: S608


def like_pattern(term, prefix_only=False, word_start=False):
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if word_start:
        return f"% {escaped}%"
    return f"{escaped}%" if prefix_only else f"%{escaped}%"


def word_occurs(document, term, indexed):
    """``term`` occurs in ``document``: anywhere, or where a word begins if it is shorter than
    WORD_INSIDE_MIN_LENGTH. A short word goes to the trigram index only if ``indexed`` (every word of the
    query is short); beside a longer word it is checked on the rows that word finds, for the index's list of
    words starting with one or two letters is long to read."""
    if len(term) >= WORD_INSIDE_MIN_LENGTH:
        return models.Q(Like(document, SearchFold(models.Value(like_pattern(term)))))
    word_start = SearchFold(models.Value(like_pattern(term, word_start=True)))
    if not indexed:
        return models.Q(Like(SpaceBefore(document), word_start))
    document_start = SearchFold(models.Value(like_pattern(term, prefix_only=True)))
    return models.Q(Like(document, document_start)) | models.Q(Like(document, word_start))


def search_rank(tier, distance=0.0):
    """``search_tier`` and ``search_distance`` for ``first_found``: ordered by them, then by name and id, its
    rows are in the order ``search`` gives (names starting with the query, exact, then fuzzy matches)."""

    def expression(value):
        return value if hasattr(value, "resolve_expression") else models.Value(value)

    return {"search_tier": expression(tier), "search_distance": expression(distance)}


def postgresql_search(query, terms):
    """The conditions and order of a search on PostgreSQL: (every word occurs, the name starts with the query,
    some words of the name are similar to it, their similarity). Names are compared by similarity only from
    FUZZY_MIN_LENGTH characters on; below it the last two are None."""
    document, name = GeneratedColumn("search_folded"), GeneratedColumn("name_folded")
    short_only = all(len(term) < WORD_INSIDE_MIN_LENGTH for term in terms)
    every_word = models.Q(*[word_occurs(document, term, indexed=short_only) for term in terms])
    name_prefix = Like(name, SearchFold(models.Value(like_pattern(query, prefix_only=True))))
    if len(query) < FUZZY_MIN_LENGTH:
        return every_word, name_prefix, None, None
    # Typos are forgiven in names only. Strict word similarity compares the query with the most similar run of
    # whole words of the name, so a middle name or a second surname does not dilute it; and the index need
    # only check the rows sharing half the query's trigrams (plain similarity at 0.3 checked those sharing
    # 30 %: tens of thousands of rows for a common surname). Its default threshold, 0.5, still forgives a
    # typo ("jonh smith" finds John Smith), so nothing needs setting on the connection or the server.
    folded_query = SearchFold(models.Value(query))
    similarity = models.Func(
        folded_query, name, function="strict_word_similarity", output_field=models.FloatField()
    )
    return every_word, name_prefix, SimilarToWords(folded_query, name), similarity


class EmployeeHistory(HistoricalRecords):
    """Change history that also records badge changes made from the badge's side, on each employee touched.

    django-simple-history expects the changed object to be the history's own model (``employee.badges.add``);
    ``badge.employees.add`` hands it the badge instead.
    """

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if action == "pre_clear":
            instance._employees_before_clear = list(instance.employees.values_list("pk", flat=True))
        elif action == "post_clear":
            pk_set = instance.__dict__.pop("_employees_before_clear", [])
        if action in ("post_add", "post_remove", "post_clear"):
            for employee in self.cls.objects.filter(pk__in=pk_set or []):
                super().m2m_changed(employee, action, attr, pk_set, False, **kwargs)
        return None


class EmployeeQuerySet(models.QuerySet):
    def search(self, query):
        """Employees matching every word of ``query`` in their name, title, location or badges, best first.

        PostgreSQL matches without regard to case or accents, on a trigram index, a word of three characters
        or more anywhere ("arcí" finds García), a shorter one where a word begins ("ux" finds "Senior UX
        Designer", not "Deluxe"); from five characters on it also finds names with words similar to the
        query, which forgives typos ("jonh smith" finds John Smith, "rodrigez" Ana María Suárez Rodríguez).
        SQLite matches word prefixes without regard to case or accents, on an FTS5 index. A query under two
        characters matches nobody. The order puts names that start with the query first, then exact matches
        of every word, then fuzzy matches, the most similar first.
        """
        terms = search_terms(query)
        if not terms:
            return self if not query.strip() else self.none()
        if connection.vendor == "postgresql":
            return self._search_postgresql(" ".join(terms), terms)
        return self._search_fts5(" ".join(terms), terms)

    def _search_postgresql(self, query, terms):
        every_word, name_prefix, similar_name, similarity = postgresql_search(query, terms)
        if similar_name is None:
            return self.filter(every_word).order_by(
                models.Case(models.When(name_prefix, then=0), default=1), "full_name", "id"
            )
        return self.filter(every_word | models.Q(similar_name)).order_by(
            models.Case(models.When(name_prefix, then=0), models.When(every_word, then=1), default=2),
            models.Case(models.When(every_word, then=0.0), default=1.0 - similarity),
            "full_name",
            "id",
        )

    def _search_fts5(self, query, terms):
        # Each word is a quoted FTS5 prefix query ("eng"* finds Engineer); quoting makes operators plain text.
        match = " ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        name_prefix = models.Q(full_name__istartswith=query)
        return self.filter(FullTextMatch(match)).order_by(
            models.Case(models.When(name_prefix, then=0), default=1), "full_name", "id"
        )

    def first_found(self, query, limit, *fields):
        """At most ``limit`` of these employees matching ``query`` (their ``fields``, which may name
        ``search_tier`` and ``search_distance``, see ``search_rank``): the first found.

        Read in no order, so the database stops once it has enough, however many match: a broad search costs
        what a narrow one does. On PostgreSQL they are read in the order they rank in: names starting with the
        query (a range of employee_name_prefix_idx), then the other exact matches, then the fuzzy ones, each
        only when the ones before are fewer than ``limit``.
        """
        terms = search_terms(query)
        if connection.vendor != "postgresql" or not terms:
            name_prefix = models.Q(full_name__istartswith=" ".join(terms))
            tier = models.Case(models.When(name_prefix, then=0), default=1) if terms else models.Value(0)
            return self.search(query).order_by().annotate(**search_rank(tier)).values(*fields)[:limit]
        every_word, name_prefix, similar_name, similarity = postgresql_search(" ".join(terms), terms)
        # A name that starts with the query contains every word of it.
        prefix = self.filter(name_prefix).annotate(**search_rank(0)).order_by().values(*fields)[:limit]
        exact = self.filter(every_word & ~models.Q(name_prefix)).annotate(**search_rank(1))
        others = [exact.order_by().values(*fields)[:limit]]
        if similar_name is not None:
            fuzzy = self.filter(models.Q(similar_name) & ~every_word)
            others.append(fuzzy.annotate(**search_rank(2, 1.0 - similarity)).order_by().values(*fields))
        return prefix.union(*others, all=True)[:limit]

    def with_ids(self, ids):
        """These employees whose id is in ``ids`` (strings), sent as one parameter however many there are.

        A parameter per id costs more to send than the query takes to run; and PostgreSQL, told how many
        there are, may rather walk a sort order's index looking for them than read them and sort.
        """
        if connection.vendor == "postgresql":
            found = RawSQL("SELECT unnest(string_to_array(%s, ',')::uuid[])", [",".join(ids)])
        else:
            found = RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])
        return self.filter(pk__in=found)

    def managers_from(self, employee_id):
        """The employee ``employee_id``, their manager, their manager's manager… to the top, in that order.

        One recursive query (SQLite and PostgreSQL), stopped after MAX_REPORTING_DEPTH levels so that a loop
        in the data cannot make it run forever. Only the columns a reporting line shows are read.
        """
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
        """The people with no manager and those up to ``levels`` below them, at most ``limit``, as rows for
        the org chart: one recursive query."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        sql = f"""
            WITH RECURSIVE chart (id, depth) AS (
                SELECT id, 0 FROM {table} WHERE manager_id IS NULL
                UNION ALL
                SELECT employee.id, chart.depth + 1
                FROM {table} employee JOIN chart ON employee.manager_id = chart.id
                WHERE chart.depth < %s
            )
            SELECT employee.id, employee.full_name, employee.job_title, employee.manager_id
            FROM {table} employee JOIN chart ON employee.id = chart.id LIMIT %s
        """  # noqa: S608 (the table name comes from the model)
        people = self.model.objects.raw(sql, [levels - 1, limit])
        rows = [(person.pk, person.full_name, person.job_title, person.manager_id) for person in people]
        return sorted(rows, key=lambda row: (row[1], str(row[0])))

    def with_badges(self):
        """Prefetch badges in one extra query, whatever the number of employees."""
        return self.prefetch_related("badges")

    def for_list(self):
        """Only the columns a list of employees shows, with their badges as a list in ``badge_list``: a plain
        list, so that a row's badges cost no manager and queryset of their own."""
        columns = self.only("id", "full_name", "job_title", "location", "photo_thumbnail")
        return columns.prefetch_related(models.Prefetch("badges", to_attr="badge_list"))

    def reporting_to(self, user):
        """The direct and indirect reports of ``user``'s own employee record, at any depth, in one query.

        A recursive common table expression inside a subquery, so it also serves as a condition in a larger
        query (see ``with_private_fields``). UNION, not UNION ALL, so that even a cycle in the reporting line
        ends.
        """
        if user.pk is None:
            return self.none()
        table = connection.ops.quote_name(self.model._meta.db_table)
        manager = connection.ops.quote_name(self.model._meta.get_field("manager").column)
        account = connection.ops.quote_name(self.model._meta.get_field("user").column)
        reports = RawSQL(  # noqa: S611 (names from the model's own metadata; the user's id is a parameter)
            f"""
            WITH RECURSIVE reports(id) AS (
                SELECT id FROM {table}
                WHERE {manager} IN (SELECT id FROM {table} WHERE {account} = %s)
                UNION
                SELECT employee.id FROM {table} employee JOIN reports ON employee.{manager} = reports.id
            )
            SELECT id FROM reports
            """,  # noqa: S608
            [user.pk],
        )
        return self.filter(pk__in=reports)

    def with_private_fields(self, user):
        """Annotate ``visible_mobile`` and ``visible_start_date``: the value if ``user`` may see it, or None.

        The one place that decides who sees a private field; every page, the API and the exports read these
        annotations, never ``mobile`` or ``start_date`` themselves. Editors (and superusers) see every value,
        an employee sees their own, their managers at any level above them see what is shared with managers,
        and everyone sees what is shared with everyone. Decided in SQL, in the same query as the rows.
        """
        if user.has_perm("employees.change_employee"):
            return self.annotate(visible_mobile=models.F("mobile"), visible_start_date=models.F("start_date"))
        own_record = models.Q(user=user) if user.pk is not None else models.Q(pk__in=[])
        managed = models.Q(pk__in=self.model.objects.reporting_to(user).values("pk"))

        def visible(field):
            return models.Case(
                models.When(
                    models.Q(**{f"{field}_visibility": Visibility.EVERYONE})
                    | own_record
                    | (models.Q(**{f"{field}_visibility": Visibility.MANAGERS}) & managed),
                    then=models.F(field),
                ),
                default=None,
            )

        return self.annotate(visible_mobile=visible("mobile"), visible_start_date=visible("start_date"))

    def with_work_email(self, email):
        """Employees whose work email is ``email``, ignoring case (as the unique constraint does)."""
        return self.alias(work_email_lower=Lower("work_email")).filter(work_email_lower=email.lower())

    def headcount_by_location(self):
        return self.order_by("location").values("location").annotate(headcount=models.Count("id"))

    def org_chart(self):
        """(id, full name, job title, manager id) of these employees, by name: what the org chart shows."""
        return self.order_by("full_name", "id").values_list("id", "full_name", "job_title", "manager_id")

    def refresh_search_text(self):
        """Recompute the search text of these employees, after their badges, skills or department, or the name
        of a badge, skill or department, changed."""
        employees = list(
            self.only("id", "full_name", "job_title", "location", "department__name")
            .select_related("department")
            .prefetch_related("badges", "skills")
        )
        for employee in employees:
            employee.search_text = employee.build_search_text()
        self.model.objects.bulk_update(employees, ["search_text"], batch_size=1000)


class Employee(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(_("full name"), max_length=100)
    job_title = models.CharField(_("job title"), max_length=100)
    location = models.CharField(
        _("location"), max_length=100, help_text=_("The office or city where this person works.")
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
        on_delete=models.SET_NULL,
        related_name="reports",
        verbose_name=_("manager"),
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
    # Name, title, location and badge names in one column, so that one index serves the search.
    search_text = models.TextField(_("search text"), editable=False, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Goes up by one on every save; guards against lost updates.")
    )

    objects = EmployeeQuerySet.as_manager()
    history = EmployeeHistory(
        m2m_fields=[badges, skills],
        excluded_fields=["created_at", "updated_at", "search_text", "photo_thumbnail"],
    )

    class EditConflict(Exception):
        """Someone else saved this employee after the version being saved was read."""

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [
            models.Index(fields=["full_name", "id"], name="employee_name_idx"),
            models.Index(fields=["job_title", "full_name", "id"], name="employee_title_idx"),
            models.Index(fields=["location", "full_name", "id"], name="employee_location_idx"),
            models.Index(fields=["department", "full_name", "id"], name="employee_department_idx"),
        ]
        constraints = [
            not_blank("full_name"),
            not_blank("job_title"),
            not_blank("location"),
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
        ]

    def __str__(self):
        return self.full_name

    def save(self, *args, **kwargs):
        """Save only if the row is still at ``self.version``; else raise ``EditConflict``.

        The check and the version bump are one UPDATE, so two saves of the same version cannot both succeed.
        A row that no longer exists (a deleted employee restored from history) is inserted again.
        """
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        with transaction.atomic():
            if not self._state.adding:
                rows = type(self).objects.filter(pk=self.pk)
                if rows.filter(version=self.version).update(version=models.F("version") + 1):
                    self.version += 1
                elif rows.exists():
                    raise self.EditConflict
            super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("employees:detail", kwargs={"pk": self.pk})

    @classmethod
    def from_db(cls, db, field_names, values):
        employee = super().from_db(db, field_names, values)
        # The account the row was linked to when read (unknown if not read): a save that moves the link
        # leaves that account's cached user with a record it no longer has (see backends.employee_changed).
        employee.linked_user_id = employee.__dict__.get("user_id", UNKNOWN_LINK)
        return employee

    @property
    def initials(self):
        """Up to two letters for the avatar shown when there is no photo: "Ana María García" gives "AG"."""
        words = self.full_name.split()
        return "".join(word[0] for word in words[:1] + words[1:][-1:]).upper()

    def local_time(self):
        """The current time where this person works, or None without a time zone."""
        if self.time_zone in time_zone_names():
            return timezone.localtime(timezone=ZoneInfo(self.time_zone))
        return None

    @property
    def avatar_color(self):
        """One of eight avatar colours, always the same for one employee."""
        return self.pk.int % 8 if self.pk else 0

    def build_search_text(self, badge_names=None, skill_names=None):
        """Name, title, location, department, badges and skills: what the search looks in. Never contact
        details: some of them are private."""
        saved = not self._state.adding
        if badge_names is None:
            badge_names = [badge.name for badge in self.badges.all()] if saved else []
        if skill_names is None:
            skill_names = [skill.name for skill in self.skills.all()] if saved else []
        department = [self.department.name] if self.department_id else []
        return " ".join(
            [self.full_name, self.job_title, self.location, *department, *badge_names, *skill_names]
        )

    def clean(self):
        super().clean()
        if self.manager_id is not None:
            self.check_manager(self.manager_id)

    def check_manager(self, manager_id):
        """Raise ValidationError if reporting to ``manager_id`` would close a loop in the reporting lines.

        The proposed manager's whole reporting line is read with one recursive query, however long it is.
        """
        if self._state.adding or manager_id is None:
            return
        if manager_id == self.pk:
            raise ValidationError({"manager": ValidationError(OWN_MANAGER, code="own_manager")})
        line = []
        for manager in Employee.objects.managers_from(manager_id):
            line.append(manager.full_name)
            if manager.pk == self.pk:
                raise ValidationError(
                    {
                        "manager": ValidationError(
                            _(
                                "%(name)s cannot report to %(manager)s, who already reports to %(name)s: "
                                "%(line)s."
                            ),
                            code="manager_cycle",
                            params={"name": self.full_name, "manager": line[0], "line": " → ".join(line)},
                        )
                    }
                )

    def reporting_line(self):
        """The managers above this employee, the nearest first, up to the top: one recursive query."""
        if self.manager_id is None:
            return []
        line = []
        for manager in Employee.objects.managers_from(self.manager_id):
            if manager.pk == self.pk or manager in line:
                break  # a loop saved before the check existed: show each person once
            line.append(manager)
        return line

    def direct_reports(self):
        return self.reports.only("id", "full_name", "job_title", "photo_thumbnail", "manager")

    def recent_changes(self, limit=20):
        """The last ``limit`` history records, newest first, with ``changes``: (label, old, new) triples."""
        records = list(self.history.select_related("history_user")[:limit])
        badge_names = {badge.pk: badge.name for badge in Badge.objects.all()}

        def readable(field, value):
            if field.many_to_many:
                return ", ".join(sorted(badge_names.get(link["badge"], "?") for link in value))
            return value

        for record in records:
            previous = record.prev_record
            delta = record.diff_against(previous).changes if previous else []
            record.changes = []
            for change in delta:
                field = self._meta.get_field(change.field)
                if field.name != "version":
                    record.changes.append(
                        (field.verbose_name, readable(field, change.old), readable(field, change.new))
                    )
        return records
