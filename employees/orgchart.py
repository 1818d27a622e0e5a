"""Trees of people and departments as nested lists, one ``format_html`` call a node: for a department of
5,000 people, a template include each would cost more than the rest of the page."""

import uuid

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext

from .models import Employee

# Levels shown expanded; deeper ones start collapsed (printing expands them all).
OPEN_LEVELS = 3


def direct_reports(count):
    return ngettext("%(count)d direct report", "%(count)d direct reports", count) % {"count": count}


def subdepartments(count):
    return ngettext("%(count)d department", "%(count)d departments", count) % {"count": count}


def nested_list(nodes, children, render_node, summary=direct_reports, css_class="org-tree"):
    """``nodes`` (the roots first) as nested <ul>s, with <details> around each node's ``children``, labelled
    ``summary(count)``. A node is shown once even if the data loops: a loop's first node becomes a root."""
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


def cut(rows, limit):
    """``org_chart()`` rows cut to ``limit``, and whether any were cut. The people cut are among those nobody
    here reports to, so that everyone left still has their manager above them, whose "+N more" counts them."""
    rows = list(rows)
    excess = len(rows) - limit
    if excess <= 0:
        return rows, False
    managers = {row[3] for row in rows}
    leaves = [row for row in rows if row[0] not in managers][-excess:]
    rows = [row for row in rows if row not in leaves]
    return rows[:limit], True


def org_chart(rows):
    """HTML for ``EmployeeQuerySet.org_chart()`` rows, rooted at those whose manager is not among them: a box
    each with photo (or initials), name and title, and "+N more" linking to the chart of whoever has direct
    reports not among the rows, so that a cut chart never hides people silently."""
    people = {row[0]: row for row in rows}
    children, roots = {}, []
    for pk, _, _, manager, _, _ in rows:
        if manager in people:
            children.setdefault(manager, []).append(pk)
        else:
            roots.append(pk)
    placeholder = uuid.UUID(int=0)
    url_prefix = reverse("employees:detail", kwargs={"pk": placeholder}).split(str(placeholder))[0]

    def person(pk):
        _, name, title, _, thumbnail, report_count = people[pk]
        return format_html(
            '<span class="org-node" id="employee-{}">{}<span class="org-text">'
            '<a href="{}{}/" dir="auto">{}</a> <span class="org-title" dir="auto">{}</span>{}</span></span>',
            pk,
            avatar(pk, name, thumbnail),
            url_prefix,
            pk,
            name,
            title,
            more(pk, name, report_count - len(children.get(pk, ()))),
        )

    # People in a loop of managers have no root above them: each loop is shown from its first person.
    return nested_list([*roots, *people], children, person)


def avatar(pk, name, thumbnail):
    """A box's photo thumbnail, or the initials on the person's colour."""
    if thumbnail:
        storage = Employee._meta.get_field("photo_thumbnail").storage
        return format_html(
            '<img class="avatar avatar-md" src="{}" alt="" width="40" height="40" loading="lazy">',
            storage.url(thumbnail),
        )
    employee = Employee(id=pk, full_name=name)
    return format_html(
        '<span class="avatar avatar-md avatar-color-{}" aria-hidden="true">{}</span>',
        employee.avatar_color,
        employee.initials,
    )


def more(pk, name, hidden):
    """The "+N more" link to the chart of ``pk``, when ``hidden`` of their reports are not shown."""
    if hidden <= 0:
        return ""
    return format_html(
        ' <a class="org-more" href="{}?root={}">{}<span class="sr-only"> {}</span></a>',
        reverse("employees:org-chart"),
        pk,
        ngettext("+%(count)d more", "+%(count)d more", hidden) % {"count": hidden},
        gettext("reporting to %(name)s") % {"name": name},
    )


def department_tree(departments):
    """HTML for departments from ``Department.objects.tree()``, each with its total headcount."""
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
