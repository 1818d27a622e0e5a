import itertools

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

from employees import search

register = template.Library()


def folded(text):
    """``text`` folded as the search folds it, and for each folded character the position of the character
    of ``text`` it comes from ("ß" folds to "ss": two characters from one)."""
    if text.isascii():  # a hundred times faster than character by character
        return text.lower(), range(len(text))
    characters, positions = [], []
    for position, char in enumerate(text):
        fold = search.fold(char) or char.lower()
        characters.append(fold)
        positions.extend([position] * len(fold))
    return "".join(characters), positions


@register.filter
def highlight(text, query):
    """``text``, escaped, with each part matching a word of ``query`` (any case or accent) in <mark>."""
    terms = search.terms(query) if query else []
    if not terms:
        return conditional_escape(text)
    text = str(text)
    folding, positions = folded(text)
    marked = [False] * len(text)
    for term in terms:
        start = folding.find(term)
        while start != -1:
            for position in positions[start : start + len(term)]:
                marked[position] = True
            start = folding.find(term, start + len(term))
    if not any(marked):
        return conditional_escape(text)
    parts, position = [], 0
    for is_marked, run in itertools.groupby(marked):
        length = len(list(run))
        chunk = escape(text[position : position + length])
        parts.append(f"<mark>{chunk}</mark>" if is_marked else chunk)
        position += length
    return mark_safe("".join(parts))  # noqa: S308 (every part is escaped above)


@register.filter
def options(choices, chosen):
    """``<option>`` elements for (value, label, count or None) choices, the chosen one selected: hundreds of
    them, which a template loop renders several times slower than the rest of the page."""
    return mark_safe(  # noqa: S308 (every value and label is escaped)
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(label)}'
            f"{'' if count is None else f' ({count})'}</option>"
            for value, label, count in choices
        )
    )
