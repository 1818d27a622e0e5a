"""Search: which employees match a query, in which order, and how a list page reads them.

Both databases match a query alike: every word of it starts a word of the person's name, job title, location,
department, badges or skills, whatever the case or accents ("jose gar" finds José García). That text is folded
(lower case, no accents) in Python when an employee is written, and the query when it is searched.

- PostgreSQL: full-text prefix queries on GIN indexes; when nothing matches, the names most similar to the
  query (trigram similarity on a GIN index), which forgives typos ("jonh smith" finds John Smith).
- SQLite, the local default: LIKE over the same folded text, without an index and without typo tolerance.

People whose name matches come first, then the others, each by name.
"""

import re
import unicodedata
from collections import Counter
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector, TrigramStrictWordSimilarity
from django.db import connection
from django.db.models import Case, Q, Value, When

# Letters that Unicode does not decompose into a base letter and an accent.
LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "þ": "th", "\u0131": "i"}  # dotless i
)
WORD = re.compile(r"[^\W_]+")
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# A shorter query would find half the directory by similarity.
FUZZY_MIN_LENGTH = 4
VECTOR_COLUMNS = {"search_text": "search_vector", "search_name": "name_vector"}


class Vector(SearchVector):
    """PostgreSQL: the words of a folded text column, for Employee's generated columns of full-text search.
    SQLite has no such type: the column holds the folded text itself, which LIKE searches."""

    def __init__(self, column):
        super().__init__(column, config="simple")

    def as_sqlite(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])


def fold(text):
    """``text`` as words in lower case without accents: "Zoë O'Brien-Łukasz" gives "zoe o brien lukasz"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LETTERS))
    return " ".join(WORD.findall("".join(char for char in decomposed if not unicodedata.combining(char))))


def terms(query):
    """The folded words of ``query`` to look for: at most MAX_TERMS, from a query of bounded length; none for
    a query of a single letter, which would match half the directory."""
    words = fold(query[:MAX_QUERY_LENGTH]).split()[:MAX_TERMS]
    return words if len(" ".join(words)) >= MIN_QUERY_LENGTH else []


def words_match(field, words):
    """A condition: each of ``words`` starts a word of the folded text in ``field`` ("search_text" or
    "search_name"), on PostgreSQL through its generated vector column."""
    if connection.vendor == "postgresql":
        query = SearchQuery(" & ".join(f"{word}:*" for word in words), search_type="raw", config="simple")
        return Q(**{VECTOR_COLUMNS[field]: query})
    return Q(
        *(Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"}) for word in words)
    )


def similar_names(queryset, words):
    """PostgreSQL: the people whose name is similar to ``words`` (a typo), the most similar first."""
    folded = " ".join(words)
    if connection.vendor != "postgresql" or len(folded) < FUZZY_MIN_LENGTH:
        return queryset.none()
    similarity = TrigramStrictWordSimilarity(folded, "search_name")
    matches = queryset.filter(search_name__trigram_strict_word_similar=folded)
    return matches.order_by(-similarity, "full_name", "id")


def name_first(words):
    return Case(When(words_match("search_name", words), then=Value(0)), default=Value(1))


def search(queryset, query):
    """The employees of ``queryset`` matching ``query``, best first; the names similar to it if none does.
    A blank query is no search: everyone."""
    words = terms(query)
    if not words:
        return queryset if not query.strip() else queryset.none()
    matches = queryset.filter(words_match("search_text", words))
    if not matches.exists():
        return similar_names(queryset, words)
    return matches.order_by(name_first(words), "full_name", "id")


def results(queryset, query, best_first=True):
    """The people of ``queryset`` matching ``query`` as a list page's ``Results``: best first, or in the
    queryset's order when not ``best_first``. A blank query is no search: everyone."""
    words = terms(query)
    if not words:
        return Results(queryset if not query.strip() else queryset.none())
    if best_first:
        queryset = queryset.order_by(name_first(words), "full_name", "id")
    matches = queryset.filter(words_match("search_text", words))
    return Results(matches, listed=queryset, fallback=similar_names(queryset, words))


# What a list's menus count (see count_facets).
FACET_COLUMNS = ["location", "job_title", "department_id", "badge_slugs", "skill_slugs"]


def count_facets(rows):
    """The facets of the people in ``rows`` (values of FACET_COLUMNS): per facet, (value, label, count) by
    label. The departments', skills' and badges' names come in one query."""
    from .models import catalogues  # models.py imports this module

    rows = list(rows)
    names = catalogues() if rows else {}
    counts = {facet: Counter() for facet in ["location", "title", "department", "skill", "badge"]}
    for location, title, department, badges, skills in rows:
        counts["location"][location, location] += 1
        counts["title"][title, title] += 1
        if department is not None:
            counts["department"][names["department"][department]] += 1
        counts["badge"].update(names["badge"][key] for key in badges if key in names["badge"])
        counts["skill"].update(names["skill"][key] for key in skills if key in names["skill"])
    return {facet: by_label((*choice, n) for choice, n in found.items()) for facet, found in counts.items()}


def sort_key(text):
    """The order people expect names in, whatever the case and accents: "madrid" beside "Madrid", "São Paulo"
    before "Stockholm"; texts that fold alike in a fixed order."""
    return fold(text), text


def compare(a, b):
    """``a`` before (-1), beside (0) or after (1) ``b`` by ``sort_key``: the collation of SQLite (apps.py)."""
    a, b = sort_key(a), sort_key(b)
    return (a > b) - (a < b)


def by_label(choices):
    """(value, label, …) choices in the order of their labels, whatever the case and accents."""
    return sorted(choices, key=lambda choice: sort_key(choice[1]))


class Results:
    """A list page's employees: ``people`` (an ordered queryset), or ``fallback`` if there are none; at most
    SEARCH_MATCH_LIMIT of them, so that a page costs the same whether a hundred or a million people match.

    The ids of the people found are read once, up to the limit and one more, in no order: they give the
    count, whether ``more`` were left out, and the rows the menus count. A search lists the people it found
    in the order of ``listed``, which the database sorts among those ids rather than by walking an index of
    the whole directory in search of them; a plain list lists the first of everyone in its order. Django's
    Paginator reads ``count()`` and slices.
    """

    def __init__(self, people, listed=None, fallback=None):
        self.people = people
        self.listed = listed
        self.fallback = fallback
        self.limit = settings.SEARCH_MATCH_LIMIT

    @cached_property
    def found(self):
        found = self.people.order_by().values_list("pk", flat=True)[: self.limit + 1]
        if not found and self.fallback is not None:
            self.people = self.listed = self.fallback
            found = self.fallback.values_list("pk", flat=True)[: self.limit + 1]
        return list(found)

    def count(self):
        return min(len(self.found), self.limit)

    @property
    def more(self):
        return len(self.found) > self.limit

    def facets(self):
        """How many of these people have each location, title, department, skill and badge (see
        count_facets); None when more than the limit match."""
        if self.more:
            return None
        return count_facets(self.people.model.objects.filter(pk__in=self.found).values_list(*FACET_COLUMNS))

    def __getitem__(self, page):
        start, stop = page.start or 0, min(page.stop, self.count())  # count() reads the fallback if need be
        people = self.people if self.listed is None else self.listed.filter(pk__in=self.found[: self.limit])
        return list(people[start : max(start, stop)])
