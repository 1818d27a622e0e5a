"""Trees of people and departments as nested lists, built in memory and rendered in one pass.

No template include per node: for a department of 5,000 people an include each would cost more than the rest
of the page. Each node is one ``format_html`` call and the lists open and close as the walk goes down and up.
"""

import uuid

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

# Levels shown expanded; deeper ones start collapsed (printing expands them all).
OPEN_LEVELS = 3


def direct_reports(count):
    return ngettext("%(count)d direct report", "%(count)d direct reports", count) % {"count": count}


def subdepartments(count):
    return ngettext("%(count)d department", "%(count)d departments", count) % {"count": count}


def nested_list(nodes, children, render_node, summary=direct_reports, css_class="org-tree"):
    """``nodes`` (the roots first, in order) as nested <ul>s: <details> around each node's children.

    ``children`` maps a node to its children; ``render_node(node)`` gives a node's own HTML and
    ``summary(count)`` the label of its children. A node is shown once even if the data loops: a loop's first
    node found becomes a root.
    """
    parts, seen = [format_html('<ul class="{}">', css_class)], set()
    for root in nodes:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, 0)]
        # Each entry is a node to open, or None: the end of a list of children.
        while stack:
            entry = stack.pop()
            if entry is None:
                parts.append(SafeString("</ul></details></li>"))
                continue
            node, depth = entry
            below = [child for child in children.get(node, ()) if child not in seen]
            seen.update(below)
            if not below:
                parts.append(format_html("<li>{}</li>", render_node(node)))
                continue
            parts.append(
                format_html(
                    "<li>{}<details{}><summary>{}</summary><ul>",
                    render_node(node),
                    " open" if depth < OPEN_LEVELS - 1 else "",
                    summary(len(below)),
                )
            )
            stack.append(None)
            stack.extend((child, depth + 1) for child in reversed(below))
    parts.append(SafeString("</ul>"))
    return format_html_join("", "{}", ((part,) for part in parts))


def org_chart(rows):
    """HTML for people given as (id, full name, job title, manager id) rows, by name.

    The roots are the people whose manager is not among the rows: the top of the company, or of a department.
    """
    people = {pk: (name, title) for pk, name, title, _ in rows}
    children, roots = {}, []
    for pk, _, _, manager in rows:
        if manager in people:
            children.setdefault(manager, []).append(pk)
        else:
            roots.append(pk)
    placeholder = uuid.UUID(int=0)
    url_prefix = reverse("employees:detail", kwargs={"pk": placeholder}).split(str(placeholder))[0]

    def person(pk):
        name, title = people[pk]
        return format_html(
            '<span class="org-node"><a href="{}{}/" dir="auto">{}</a>'
            ' <span class="org-title" dir="auto">{}</span></span>',
            url_prefix,
            pk,
            name,
            title,
        )

    # People in a loop of managers have no root above them: each loop is shown from its first person.
    return nested_list([*roots, *people], children, person)


def department_tree(departments):
    """HTML for departments from ``Department.objects.tree()``: each linked, with its headcount including the
    departments under it."""
    roots = [department for department in departments if department.parent_department is None]
    children = {department: department.subdepartments for department in departments}

    def department_node(department):
        people = ngettext("%(count)d person", "%(count)d people", department.total_headcount) % {
            "count": department.total_headcount
        }
        return format_html(
            '<span class="org-node"><a href="{}" dir="auto">{}</a> <span class="org-title">{}</span></span>',
            department.get_absolute_url(),
            department.name,
            people,
        )

    return nested_list(
        [*roots, *departments],
        children,
        department_node,
        subdepartments,
        css_class="org-tree department-tree",
    )
