"""Walk every URL pattern in the URLconf and prove who may reach it.

The patterns are discovered by resolving the URLconf, so a page or API added later is covered without editing
this file, as long as its view states its rule: LoginRequiredMixin (signed-in users may read) or
PermissionRequiredMixin (only users with the permission). The admin's patterns are gated by the admin site. A
pattern with no rule fails the suite until it is added to PUBLIC or RULES below, with a reason.
"""

import re

import pytest
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.contrib.auth.models import Group, User
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern
from django.utils.regex_helper import normalize

from employees.models import Badge, Department, Employee, Location, Skill

from .factories import DepartmentFactory, EditorFactory, EmployeeFactory, SkillFactory
from .test_privacy import plant_private_values, private_values_in

pytestmark = pytest.mark.django_db

PUBLIC, READ, WRITE, ADMIN, API, SELF, ACCOUNT = "public", "read", "write", "admin", "api", "self", "account"
PREFERENCE = "preference"
OWN, PROVISIONING = "own", "provisioning"

# Reachable without signing in, with the reason.
PUBLIC_PATTERNS = {
    "login": "the sign-in page",
    "logout": "signing out: POST only, and it changes nothing but the caller's own session",
    "healthz": "liveness probe for the load balancer, touches no data",
    "readyz": "readiness probe: whether the database answers and the cache keeps a value",
    "admin:login": "the admin's sign-in page",
    "password_reset": "asking for a reset link: the same answer whether or not the address has an account",
    "password_reset_done": "the page saying a reset link may be on its way, the same for every address",
    "password_reset_confirm": "setting a password needs the emailed link's token",
    "password_reset_complete": "the page saying the new password is set",
    "oidc_authentication_init": "single sign-on starts at the identity provider (404 while OIDC is off)",
    "oidc_authentication_callback": "the identity provider's answer, checked by state, nonce and PKCE",
    "set_language": "choosing a language: it sets the caller's language cookie and nothing else",
}
# Patterns whose view does not state its rule through the mixins, e.g. a JSON API view:
# "api:employee-list": READ. Anonymous callers of READ and WRITE patterns get a login redirect or 401/403.
# API: signed-in users read (GET 200); writes need the model permission, so a reader's POST is refused.
# SELF: a signed-in user's own employee record, named by no URL argument; without one, nothing can change.
# ACCOUNT: a signed-in user's own password (Django's views, behind login_required); needs the current one.
# PREFERENCE: how a signed-in user likes pages shown, kept in their session: a POST, then back to the page.
# OWN: a signed-in user's own background jobs: queueing one is a POST, and another's job is not found.
# PROVISIONING: SCIM, for the identity provider's bearer tokens only: a signed-in person's session is refused.
RULES = {
    "employees:export": OWN,
    "employees:job-download": OWN,
    "employees:job-retry": OWN,
    "employees:job-remove": OWN,
    **{
        f"scim:{name}": PROVISIONING
        for name in [
            "config",
            "resource-types",
            "resource-type",
            "schemas",
            "schema",
            "users",
            "search",
            "user",
        ]
    },
    "scim:/scim/v2/": PROVISIONING,
    "employees:my-profile": SELF,
    "employees:list-layout": PREFERENCE,
    "password_change": ACCOUNT,
    "password_change_done": ACCOUNT,
    "media": READ,  # uploaded photos: a function view behind login_required
    "api:api-root": API,
    "api:employee-list": API,
    "api:employee-detail": API,
    "api:badge-list": API,
    "api:badge-detail": API,
    "api:department-list": API,
    "api:department-detail": API,
    "api:skill-list": API,
    "api:skill-detail": API,
    "api:location-list": API,
    "api:location-detail": API,
    "api-schema": API,
    "api-docs": API,
}

# A value for each URL argument name, so every pattern can be requested.
SAMPLE_ARGUMENTS = {
    "pk": "employee",
    "object_id": "employee",
    "_0": "employee",
    "_1": "1",
    "id": "1",
    "content_type_id": "1",
    "app_label": "employees",
    "url": "no-such-page/",
    "path": "photos/sample.webp",
    "slug": "coffee-snob",
    "format": "json",
    "uidb64": "MQ",
    "name": "User",
    "urn": "urn:ietf:params:scim:schemas:core:2.0:User",
    "token": "set-password",
}

# Valid data for every form the app has, so that a POST a gate failed to stop would change something.
POST_DATA = {
    "full_name": "Intruder",
    "job_title": "Intruder",
    "location": "Intruder",
    "version": "1",
    "name": "Intruder",
    "slug": "intruder",
    "icon": "bug",
    "username": "intruder",
    "password1": "a long and unusual passphrase",
    "password2": "a long and unusual passphrase",
    "post": "yes",
}


def route_template(pattern):
    """The pattern's URL with a {name} placeholder for each argument."""
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern))
    format_string, parameters = normalize(pattern.regex.pattern)[0]
    return format_string % {name: f"{{{name}}}" for name in parameters}


def url_patterns(patterns=None, prefix="/", namespace=""):
    """(key, URL template, view) for every pattern: the key is namespace:name, or the route if unnamed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + route_template(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, route, inner)
        else:
            yield f"{namespace}{pattern.name or route}", route, pattern.callback


PATTERNS = list(url_patterns())


def rule_for(key, view):
    if key in PUBLIC_PATTERNS:
        return PUBLIC
    if key in RULES:
        return RULES[key]
    if key.startswith("admin:"):
        return ADMIN
    view_class = getattr(view, "view_class", None)
    if view_class and issubclass(view_class, PermissionRequiredMixin):
        return WRITE
    if view_class and issubclass(view_class, LoginRequiredMixin):
        return READ
    return None


def test_every_pattern_has_an_access_rule():
    unclassified = [key for key, _, view in PATTERNS if rule_for(key, view) is None]
    assert not unclassified, (
        f"URL patterns without an access rule: {unclassified}. Give the view LoginRequiredMixin or "
        "PermissionRequiredMixin, or add the pattern to PUBLIC_PATTERNS or RULES in test_access_control.py."
    )


def test_the_walk_finds_the_known_patterns():
    keys = {key for key, _, _ in PATTERNS}
    assert {"employees:list", "employees:update", "login", "healthz", "admin:index"} <= keys
    assert len(PATTERNS) > 40


@pytest.fixture
def employee(coffee):
    # The slug of SAMPLE_ARGUMENTS names a department and a skill too, and its name a location, so that
    # their pages can be read.
    return EmployeeFactory(
        badges=[coffee],
        location=SAMPLE_ARGUMENTS["name"],
        department=DepartmentFactory(slug=coffee.slug, name="Coffee"),
        skills=[SkillFactory(slug=coffee.slug, name="Coffee tasting")],
    )


@pytest.fixture
def url_for(employee, settings):
    photo = settings.MEDIA_ROOT / SAMPLE_ARGUMENTS["path"]
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"RIFF....WEBP")

    def url_for(template):
        arguments = {
            name: str(employee.pk) if value == "employee" else value
            for name, value in SAMPLE_ARGUMENTS.items()
        }
        try:
            return template.format(**arguments)
        except KeyError as missing:
            pytest.fail(f"Add a sample value for the URL argument {missing} to SAMPLE_ARGUMENTS.")

    return url_for


def database_state():
    return (
        list(Employee.objects.values_list("id", "full_name", "job_title", "location", "version", "left_on")),
        list(Employee.badges.through.objects.values_list("employee_id", "badge_id")),
        list(Badge.objects.values_list("id", "slug", "name", "icon")),
        list(Department.objects.values_list("id", "slug", "name", "parent")),
        list(Skill.objects.values_list("id", "slug", "name")),
        list(Location.objects.values_list("id", "name", "country", "time_zone", "address")),
        list(Employee.skills.through.objects.values_list("employee_id", "skill_id")),
        list(User.objects.values_list("id", "username", "password", "is_staff", "is_superuser", "is_active")),
        list(User.groups.through.objects.values_list("user_id", "group_id")),
        list(User.user_permissions.through.objects.values_list("user_id", "permission_id")),
        list(Group.objects.values_list("id", "name")),
    )


def ends_at_a_sign_in_page(response):
    final_path = response.request["PATH_INFO"]
    return response.status_code == 200 and final_path in {reverse("login"), reverse("admin:login")}


def is_refused(response):
    return ends_at_a_sign_in_page(response) or response.status_code in {401, 403, 405}


@pytest.mark.parametrize(("key", "template", "view"), PATTERNS, ids=[key for key, _, _ in PATTERNS])
def test_anonymous_users_are_sent_to_sign_in(client, url_for, key, template, view):
    rule = rule_for(key, view)
    before = database_state()
    get = client.get(url_for(template), follow=True)
    post = client.post(url_for(template), POST_DATA, follow=True)
    assert get.status_code < 500
    assert post.status_code < 500
    assert database_state() == before
    if rule != PUBLIC:
        assert is_refused(get), f"anonymous GET {key} gave {get.status_code} at {get.request['PATH_INFO']}"
        assert is_refused(post), f"anonymous POST {key} gave {post.status_code}"


@pytest.mark.parametrize(("key", "template", "view"), PATTERNS, ids=[key for key, _, _ in PATTERNS])
def test_readers_cannot_write(reader_client, url_for, key, template, view):
    rule = rule_for(key, view)
    before = database_state()
    get = reader_client.get(url_for(template), follow=True)
    post = reader_client.post(url_for(template), POST_DATA, follow=True)
    assert get.status_code < 500
    assert post.status_code < 500
    if rule == READ:
        assert get.status_code == 200
        assert post.status_code == 405
    elif rule == SELF:
        # The reader has no employee record: both explain that there is nothing to edit.
        assert get.status_code == 200
        assert post.status_code == 200
        assert "not linked to an employee record" in post.content.decode()
    elif rule == ACCOUNT:
        assert get.status_code == 200, f"reader GET {key} gave {get.status_code}"
    elif rule == PREFERENCE:
        assert get.status_code == 405
        assert post.redirect_chain[-1][0] == reverse("employees:list")
    elif rule == API:
        assert get.status_code == 200, f"reader GET {key} gave {get.status_code}"
        assert is_refused(post), f"reader POST {key} gave {post.status_code}"
    elif rule == OWN:
        # The sample id names no job of the reader's, and the form data names no kind of export.
        assert get.status_code in {404, 405}, f"reader GET {key} gave {get.status_code}"
        assert post.status_code in {400, 404, 405}, f"reader POST {key} gave {post.status_code}"
    elif rule in {WRITE, ADMIN, PROVISIONING}:
        assert is_refused(get), f"reader GET {key} gave {get.status_code} at {get.request['PATH_INFO']}"
        assert is_refused(post), f"reader POST {key} gave {post.status_code}"
    if key != "logout":
        assert database_state() == before


@pytest.mark.parametrize(("key", "template", "view"), PATTERNS, ids=[key for key, _, _ in PATTERNS])
def test_readers_never_receive_a_hidden_private_value(reader_client, employee, url_for, key, template, view):
    """Whatever a reader may open, a mobile number or start date shown only to managers is not in it."""
    plant_private_values(employee)
    response = reader_client.get(url_for(template), follow=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert private_values_in(body.decode(errors="replace")) == set()


ADMIN_PATTERNS = [pattern for pattern in PATTERNS if rule_for(pattern[0], pattern[2]) == ADMIN]


@pytest.mark.parametrize(
    ("key", "template", "view"), ADMIN_PATTERNS, ids=[key for key, _, _ in ADMIN_PATTERNS]
)
def test_editors_cannot_reach_the_admin_unless_staff(editor_client, url_for, key, template, view):
    before = database_state()
    get = editor_client.get(url_for(template), follow=True)
    post = editor_client.post(url_for(template), POST_DATA, follow=True)
    assert get.request["PATH_INFO"] == reverse("admin:login"), f"editor GET {key} reached {get.status_code}"
    assert is_refused(post), f"editor POST {key} gave {post.status_code}"
    assert database_state() == before


def test_staff_editors_reach_the_admin(client):
    client.force_login(EditorFactory(is_staff=True))
    assert client.get(reverse("admin:index")).status_code == 200
