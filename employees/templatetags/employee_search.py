import itertools
import unicodedata

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

from employees.models import search_terms

register = template.Library()


def fold(char):
    """One character, lower case and without its accent: folding keeps every position, so matches map back."""
    return unicodedata.normalize("NFKD", char)[0].lower()[0]


def fold_text(text):
    # ASCII text folds by lower case alone, a hundred times faster than character by character.
    return text.lower() if text.isascii() else "".join(fold(char) for char in text)


@register.filter
def highlight(text, query):
    """``text``, escaped, with each part matching a word of ``query`` (any case or accent) in <mark>."""
    text = str(text)
    terms = search_terms(query or "")
    if not terms:
        return conditional_escape(text)
    folded = fold_text(text)
    marked = [False] * len(text)
    for term in terms:
        term = fold_text(term)
        start = folded.find(term)
        while start != -1:
            marked[start : start + len(term)] = [True] * len(term)
            start = folded.find(term, start + len(term))
    if not any(marked):
        return conditional_escape(text)
    parts = []
    position = 0
    for is_marked, run in itertools.groupby(marked):
        length = len(list(run))
        chunk = escape(text[position : position + length])
        parts.append(f"<mark>{chunk}</mark>" if is_marked else chunk)
        position += length
    # Every part is escaped above; format_html per part would cost a page more than the rest of its cells.
    return mark_safe("".join(parts))  # noqa: S308


@register.filter
def facet_options(counts, selected):
    """``<option>`` elements for (value, count) pairs, the selected value marked.

    Built in Python: a directory has hundreds of job titles, and a template loop over them costs more than the
    rest of the page.
    """
    return options(((value, value, count) for value, count in counts), selected)


@register.filter
def named_facet_options(counts, selected):
    """``<option>`` elements for (slug, name, count) triples, the selected slug marked."""
    return options(counts, selected)


def options(choices, selected):
    html = []
    for value, label, count in choices:
        marked = " selected" if value == selected else ""
        html.append(f'<option value="{escape(value)}"{marked}>{escape(label)} ({int(count)})</option>')
    # format_html per option costs as much again as the rest of a first page; each value is escaped here.
    return mark_safe("".join(html))  # noqa: S308
