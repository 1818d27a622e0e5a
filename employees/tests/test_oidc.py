"""Single sign-on with an OpenID Connect provider (accounts/): the flow, the checks of the ID token, the
account made and linked at the first sign-in, the Editors group, leavers, and LOCAL_LOGIN.

The unit tests talk to a small provider of their own (FakeProvider: real HTTP, tokens signed with a test key),
so that each check of a token can be tried with one claim wrong. The browser tests at the end sign in through
a real, certified provider, the npm package oidc-provider (employees/tests/oidc_provider.mjs), in Chromium.
"""

import hashlib
import json
import re
import subprocess
import threading
import time
from base64 import urlsafe_b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import ProviderLink
from accounts.provider import configuration
from employees import services

from .factories import EmployeeFactory, UserFactory
from .test_settings import run_settings

CLIENT_ID = "employee-directory"
CLIENT_SECRET = "a-client-secret"
PROVIDER_NAME = "Example ID"
EDITOR_GROUP = "directory-editors"
BACKEND = "accounts.backends.ProviderBackend"
PROVIDER_SCRIPT = Path(__file__).with_name("oidc_provider.mjs")

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ANOTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

UNREACHABLE = f"{PROVIDER_NAME} could not be reached. Try again in a few minutes."
UNVERIFIED = f"The answer of {PROVIDER_NAME} could not be verified, so you are not signed in."
NOT_STARTED_HERE = "This sign-in was not started here, or has expired. Please sign in again."
DISABLED = "Your account is disabled."
INVALID_LOGIN = "Please enter a correct username and password."


class FakeProvider:
    """An OpenID provider on 127.0.0.1 whose every answer a test can set: the discovery document, the keys,
    the token endpoint (an ID token signed with ``key``, with ``id_token_claims`` over the usual ones, the
    nonce of the sign-in included) and the userinfo endpoint (``person``)."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.person = {"sub": "ana-1", "email": "Ana@Example.com", "email_verified": True, "groups": []}
        self.id_token_claims = {}
        self.key = KEY
        self.nonce = None
        self.answers = {}  # path: raw bytes answered instead of the usual
        self.requests = []  # (path, form) of each request
        self.discovery = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
        }

    def id_token(self):
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.person["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
        }
        claims |= {"nonce": self.nonce, **self.id_token_claims}
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def answer(self, path):
        public = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        return {
            "/.well-known/openid-configuration": lambda: self.discovery,
            "/jwks": lambda: {"keys": [{**public, "kid": "test-key", "alg": "RS256", "use": "sig"}]},
            "/token": lambda: {
                "access_token": "an-access-token",
                "token_type": "Bearer",
                "id_token": self.id_token(),
            },
            "/userinfo": lambda: self.person,
        }[path]()

    def handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.respond({})

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                self.respond({name: values[0] for name, values in parse_qs(body).items()})

            def respond(self, form):
                provider.requests.append((self.path, form))
                body = provider.answers.get(self.path) or json.dumps(provider.answer(self.path)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def paths(self):
        return [path for path, _ in self.requests]

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def configure(settings, issuer, **more):
    """Single sign-on on, with ``issuer``, as the environment would turn it on."""
    settings.OIDC_ISSUER_URL = issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_EDITOR_GROUPS = [EDITOR_GROUP]
    settings.AUTHENTICATION_BACKENDS = [*django_settings.AUTHENTICATION_BACKENDS, BACKEND]
    for name, value in more.items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _fresh_discovery():
    """Each test reads its provider's discovery document afresh."""
    configuration.cache_clear()
    yield
    configuration.cache_clear()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    fake.start()
    configure(settings, fake.issuer)
    yield fake
    fake.stop()


@pytest.fixture
def ana(db):
    return EmployeeFactory(full_name="Ana García", work_email="ana@example.com")


def start(client, **params):
    """The first half of a sign-in: this site's redirect to the provider, and its query."""
    response = client.get(reverse("oidc_authentication_init"), params)
    return response, {
        name: values[0] for name, values in parse_qs(urlsplit(response["Location"]).query).items()
    }


def sign_in(client, provider, **params):
    """A whole sign-in: to the provider and back with a code for the state this browser was given."""
    _, query = start(client, **params)
    provider.nonce = query["nonce"]
    return client.get(reverse("oidc_authentication_callback"), {"code": "a-code", "state": query["state"]})


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def shown(response):
    """The sign-in page the person lands on, and what it says."""
    return response.client.get(response["Location"]).content.decode()


# What is on when

pytestmark = pytest.mark.django_db


def test_without_an_issuer_the_login_page_has_no_provider_button_and_its_views_are_not_found(client):
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": "s"}).status_code == 404


def test_settings_add_the_backend_only_with_an_issuer_and_then_require_the_client():
    code = "print(s.AUTHENTICATION_BACKENDS[-1])"
    assert run_settings({"DEBUG": "true"}, code).stdout.strip() == "django.contrib.auth.backends.ModelBackend"
    env = {"DEBUG": "true", "OIDC_ISSUER_URL": "https://id.example.com", "OIDC_CLIENT_ID": "c"}
    assert "set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET" in run_settings(env, code).stderr
    assert run_settings(env | {"OIDC_CLIENT_SECRET": "s"}, code).stdout.strip() == BACKEND


def test_settings_local_login_picks_the_password_backend_and_refuses_other_values():
    code = "print(s.AUTHENTICATION_BACKENDS[1])"
    result = run_settings({"DEBUG": "true", "LOCAL_LOGIN": "superusers"}, code)
    assert result.stdout.strip() == "accounts.backends.SuperuserPasswordBackend"
    assert (
        "it must be everyone or superusers" in run_settings({"DEBUG": "true", "LOCAL_LOGIN": "admins"}).stderr
    )


def test_the_login_page_offers_the_provider_first_and_keeps_the_next_page(client, provider):
    page = client.get(reverse("login"), {"next": "/headcount/"}).content.decode()
    button = page.index(f"Sign in with {PROVIDER_NAME}")
    assert button < page.index('name="password"')
    assert f'href="{reverse("oidc_authentication_init")}?next=/headcount/"' in page
    # Rendering the page asks the provider nothing: the site serves it while the provider is down.
    assert provider.requests == []


def test_discovery_is_read_at_the_first_sign_in_and_kept(client, provider):
    start(client)
    start(client)
    assert provider.paths() == ["/.well-known/openid-configuration"]


def test_sign_in_sends_the_person_to_the_provider_with_state_nonce_and_a_pkce_challenge(client, provider):
    response, query = start(client)
    assert response["Location"].startswith(f"{provider.issuer}/authorize?")
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"] == "http://testserver/oidc/callback/"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert query["state"] in client.session["oidc_states"]


def test_the_token_request_proves_the_pkce_verifier_and_names_the_client(client, provider, ana):
    _, query = start(client)
    provider.nonce = query["nonce"]
    client.get(reverse("oidc_authentication_callback"), {"code": "a-code", "state": query["state"]})
    form = dict(provider.requests)["/token"]
    digest = hashlib.sha256(form["code_verifier"].encode()).digest()
    assert urlsafe_b64encode(digest).rstrip(b"=").decode() == query["code_challenge"]
    assert (form["client_id"], form["client_secret"], form["code"]) == (CLIENT_ID, CLIENT_SECRET, "a-code")


# The first sign-in: the account, the link to the employee, the Editors group


def test_first_sign_in_makes_the_account_links_it_to_the_employee_and_lands_signed_in(client, provider, ana):
    response = sign_in(client, provider, next="/headcount/")
    assert response.status_code == 302
    assert response["Location"] == "/headcount/"
    user = signed_in_user(client)
    assert user.username == "Ana@Example.com"
    assert not user.has_usable_password()
    assert ProviderLink.objects.get(user=user).subject == "ana-1"
    ana.refresh_from_db()
    assert ana.user == user
    # Recorded in the employee's history, by the person who signed in; nothing else of them changed.
    assert ana.history.first().history_user == user
    assert ana.history.first().full_name == "Ana García"


def test_the_next_sign_in_finds_the_account_by_the_provider_id_not_by_email(client, provider, ana):
    sign_in(client, provider)
    first = signed_in_user(client)
    client.logout()
    provider.person["email"] = "ana.garcia@example.com"
    sign_in(client, provider)
    assert signed_in_user(client) == first
    first.refresh_from_db()
    assert first.email == "ana.garcia@example.com"
    assert User.objects.count() == 1


def test_an_unverified_email_makes_an_unlinked_reader(client, provider, ana):
    provider.person["email_verified"] = False
    sign_in(client, provider)
    user = signed_in_user(client)
    assert user is not None
    assert not user.groups.exists()
    ana.refresh_from_db()
    assert ana.user is None


def test_an_unmatched_email_signs_in_a_reader_who_can_browse(client, provider, ana):
    provider.person["email"] = "visitor@example.com"
    sign_in(client, provider)
    user = signed_in_user(client)
    assert not hasattr(user, "employee")
    assert not user.groups.exists()
    assert client.get(reverse("employees:list")).status_code == 200
    assert client.get(reverse("employees:create")).status_code == 403


def test_an_employee_who_has_an_account_keeps_it(client, provider, ana):
    existing = UserFactory(username="ana")
    ana.user = existing
    services.save_employee(ana)
    sign_in(client, provider)
    assert signed_in_user(client) != existing
    ana.refresh_from_db()
    assert ana.user == existing


def test_a_local_account_with_the_same_email_is_never_taken_over(client, provider):
    local = UserFactory(username="ana@example.com", email="ana@example.com", is_superuser=True)
    sign_in(client, provider)
    user = signed_in_user(client)
    assert user != local
    assert user.username == "Ana@Example.com-2"
    assert not user.is_superuser


def test_an_editor_group_claim_joins_editors_and_losing_it_leaves_at_the_next_sign_in(client, provider, ana):
    provider.person["groups"] = ["staff", EDITOR_GROUP]
    sign_in(client, provider)
    assert client.get(reverse("employees:create")).status_code == 200
    client.logout()
    provider.person["groups"] = ["staff"]
    sign_in(client, provider)
    assert client.get(reverse("employees:create")).status_code == 403
    assert not signed_in_user(client).groups.exists()


def test_the_groups_claim_is_configurable_and_may_be_a_single_name(client, provider, settings):
    settings.OIDC_GROUPS_CLAIM = "roles"
    provider.person["roles"] = EDITOR_GROUP
    sign_in(client, provider)
    assert signed_in_user(client).groups.filter(name="Editors").exists()


def test_without_editor_groups_configured_the_editors_group_is_left_as_the_admin_set_it(
    client, provider, settings
):
    settings.OIDC_EDITOR_GROUPS = []
    sign_in(client, provider)
    user = signed_in_user(client)
    user.groups.add(Group.objects.get(name="Editors"))
    client.logout()
    sign_in(client, provider)
    assert user.groups.filter(name="Editors").exists()


# Leavers and disabled accounts


def test_a_leaver_without_an_account_is_refused_and_none_is_made(client, provider, ana):
    services.mark_as_left(ana)
    response = sign_in(client, provider)
    assert DISABLED in shown(response)
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_a_leavers_linked_account_is_refused_and_not_reactivated(client, provider, ana):
    sign_in(client, provider)
    user = signed_in_user(client)
    client.logout()
    ana.refresh_from_db()
    services.mark_as_left(ana)
    response = sign_in(client, provider)
    assert DISABLED in shown(response)
    assert signed_in_user(client) is None
    user.refresh_from_db()
    assert not user.is_active


def test_a_disabled_account_stays_disabled(client, provider):
    sign_in(client, provider)
    user = signed_in_user(client)
    client.logout()
    User.objects.filter(pk=user.pk).update(is_active=False)
    sign_in(client, provider)
    assert signed_in_user(client) is None
    user.refresh_from_db()
    assert not user.is_active


def test_a_session_made_by_single_sign_on_ends_when_the_account_is_disabled(client, provider):
    sign_in(client, provider)
    assert client.get(reverse("employees:list")).status_code == 200
    User.objects.update(is_active=False)
    assert client.get(reverse("employees:list")).status_code == 302


# Whatever goes wrong: the sign-in page with a message, no account


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "another-client"}, "wrong audience"),
        ({"aud": ["another-client", CLIENT_ID]}, "several audiences, issued to another party"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"exp": None}, "no expiry"),
        ({"iat": None}, "no issue time"),
        ({"iss": "https://impostor.example.com"}, "another issuer"),
        ({"nonce": "another-nonce"}, "a nonce this sign-in did not send"),
    ],
)
def test_an_id_token_that_does_not_verify_is_refused(client, provider, claims, why):
    provider.id_token_claims = claims
    response = sign_in(client, provider)
    assert UNVERIFIED in shown(response), why
    assert signed_in_user(client) is None
    assert not User.objects.exists()


def test_an_id_token_for_this_site_among_other_audiences_is_accepted(client, provider):
    provider.id_token_claims = {"aud": ["another-client", CLIENT_ID], "azp": CLIENT_ID}
    sign_in(client, provider)
    assert signed_in_user(client) is not None


def test_an_id_token_signed_with_another_key_is_refused(client, provider):
    provider.key = ANOTHER_KEY
    response = sign_in(client, provider)
    assert UNVERIFIED in shown(response)
    assert not User.objects.exists()


def test_an_unsigned_id_token_is_refused(client, provider):
    provider.answers["/token"] = json.dumps(
        {"access_token": "a", "id_token": jwt.encode({"sub": "ana-1"}, None, algorithm="none")}
    ).encode()
    response = sign_in(client, provider)
    assert UNVERIFIED in shown(response)
    assert not User.objects.exists()


def test_userinfo_about_someone_else_is_refused(client, provider):
    sub = provider.person["sub"]
    provider.id_token_claims = {"sub": sub}
    provider.person = {**provider.person, "sub": "someone-else"}
    response = sign_in(client, provider)
    assert UNVERIFIED in shown(response)
    assert not User.objects.exists()


def test_a_tampered_state_is_refused_before_asking_the_provider_anything(client, provider):
    _, query = start(client)
    provider.nonce = query["nonce"]
    response = client.get(
        reverse("oidc_authentication_callback"), {"code": "c", "state": query["state"] + "x"}
    )
    assert NOT_STARTED_HERE in shown(response)
    assert "/token" not in provider.paths()
    assert not User.objects.exists()


def test_a_callback_this_browser_did_not_start_is_refused(client, provider):
    response = client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": "s" * 32})
    assert NOT_STARTED_HERE in shown(response)


def test_a_state_is_used_once(client, provider):
    _, query = start(client)
    provider.nonce = query["nonce"]
    callback = {"code": "a-code", "state": query["state"]}
    client.get(reverse("oidc_authentication_callback"), callback)
    client.logout()
    response = client.get(reverse("oidc_authentication_callback"), callback)
    assert NOT_STARTED_HERE in shown(response)
    assert signed_in_user(client) is None


def test_the_provider_refusing_the_sign_in_is_a_message(client, provider):
    _, query = start(client)
    response = client.get(
        reverse("oidc_authentication_callback"), {"error": "access_denied", "state": query["state"]}
    )
    assert f"{PROVIDER_NAME} did not sign you in." in shown(response)


def test_a_provider_that_is_down_at_the_start_is_a_message_and_the_password_form_still_works(
    client, settings, reader
):
    configure(settings, "http://127.0.0.1:9")  # the discard port: nothing listens
    response = client.get(reverse("oidc_authentication_init"), {"next": "/headcount/"})
    assert response["Location"] == f"{reverse('login')}?next=%2Fheadcount%2F"
    assert UNREACHABLE in shown(response)
    signed = client.post(reverse("login"), {"username": "reader", "password": "correct horse battery staple"})
    assert signed.status_code == 302


@pytest.mark.parametrize(
    "document",
    [
        b"<html>Service Unavailable</html>",
        b"[]",
        json.dumps({"issuer": "https://impostor.example.com"}).encode(),
    ],
)
def test_a_discovery_document_that_is_garbage_or_of_another_issuer_is_a_message(client, provider, document):
    provider.answers["/.well-known/openid-configuration"] = document
    response, _ = start(client)
    assert UNREACHABLE in shown(response)


def test_a_provider_that_goes_down_before_the_callback_is_a_message(client, provider):
    _, query = start(client)
    provider.stop()
    response = client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": query["state"]})
    assert UNREACHABLE in shown(response)
    assert not User.objects.exists()


@pytest.mark.parametrize("path", ["/token", "/jwks", "/userinfo"])
@pytest.mark.parametrize("garbage", [b"not json", b"[1, 2]", b'{"keys": "none", "id_token": 7}'])
def test_garbage_from_the_provider_is_a_message(client, provider, path, garbage):
    provider.answers[path] = garbage
    response = sign_in(client, provider)
    assert response.status_code == 302
    assert UNVERIFIED in shown(response)
    assert not User.objects.exists()


def test_a_password_sign_in_whose_address_carries_a_code_and_state_never_asks_the_provider(
    client, provider, reader
):
    response = client.post(
        f"{reverse('login')}?code=c&state=s",
        {"username": "reader", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert signed_in_user(client) == reader
    assert provider.requests == []


# LOCAL_LOGIN


@pytest.fixture
def superusers_only(settings):
    """LOCAL_LOGIN=superusers, as the settings module turns it on."""
    settings.LOCAL_LOGIN = "superusers"
    settings.AUTHENTICATION_BACKENDS = [
        settings.PASSWORD_BACKENDS["superusers"]
        if backend == settings.PASSWORD_BACKENDS["everyone"]
        else backend
        for backend in settings.AUTHENTICATION_BACKENDS
    ]


def test_superusers_only_refuses_others_with_the_forms_usual_error(client, superusers_only, reader):
    right = client.post(reverse("login"), {"username": "reader", "password": "correct horse battery staple"})
    wrong = client.post(reverse("login"), {"username": "reader", "password": "wrong"})
    nobody = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert [response.status_code for response in (right, wrong, nobody)] == [200, 200, 200]
    assert INVALID_LOGIN in right.content.decode()
    assert right.context["form"].errors == wrong.context["form"].errors == nobody.context["form"].errors
    assert signed_in_user(client) is None


def test_superusers_only_still_signs_in_a_superuser(client, superusers_only):
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    response = client.post(
        reverse("login"), {"username": "admin", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert signed_in_user(client).username == "admin"


def test_superusers_only_applies_to_the_admins_sign_in_too(client, superusers_only):
    UserFactory(username="staff", is_staff=True)
    response = client.post(
        reverse("admin:login"), {"username": "staff", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert signed_in_user(client) is None


# The admin's user list


def test_the_admins_user_list_shows_and_filters_who_is_linked_to_an_employee(admin_client, ana):
    linked = UserFactory(username="ana-account")
    ana.user = linked
    services.save_employee(ana)
    UserFactory(username="ben-account")
    url = reverse("admin:auth_user_changelist")
    page = admin_client.get(url).content.decode()
    assert "linked to an employee" in page
    assert f'href="{reverse("admin:employees_employee_change", args=[ana.pk])}">Ana García</a>' in page
    linked_only = admin_client.get(url, {"linked": "yes"}).content.decode()
    assert "ana-account" in linked_only
    assert "ben-account" not in linked_only
    unlinked_only = admin_client.get(url, {"linked": "no"}).content.decode()
    assert "ben-account" in unlinked_only
    assert ">ana-account<" not in unlinked_only


def test_the_admins_user_page_shows_the_provider_id(admin_client, client, provider):
    sign_in(client, provider)
    user = signed_in_user(client)
    page = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "ana-1" in page
    assert provider.issuer in page


# End to end, in Chromium, with a real OpenID provider


@pytest.fixture(scope="session")
def real_provider(live_server, tmp_path_factory):
    """oidc-provider, run by Node on a free port, with this site's callback as its client's redirect URI;
    its users are read from the JSON file given with its issuer URL."""
    folder = tmp_path_factory.mktemp("oidc-provider")
    users, log = folder / "users.json", folder / "provider.log"
    users.write_text("{}")
    callback = f"{live_server.url}{reverse('oidc_authentication_callback')}"
    with log.open("w") as errors:
        process = subprocess.Popen(  # noqa: S603 (the suite's own script)
            ["node", str(PROVIDER_SCRIPT), str(users), CLIENT_ID, CLIENT_SECRET, callback],  # noqa: S607
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    issuer = process.stdout.readline().strip()
    if not issuer.startswith("http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"oidc-provider did not start (`npm ci` installs it): {log.read_text()}")
    yield issuer, users
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def people(real_provider, browser_settings):
    """Single sign-on with the real provider; its users by login: set one, and the provider knows them at
    the next sign-in."""
    issuer, users = real_provider
    configure(browser_settings, issuer)

    class People(dict):
        def __setitem__(self, login, claims):
            super().__setitem__(login, claims)
            users.write_text(json.dumps(self))

    yield People()
    users.write_text("{}")


@pytest.fixture
def offline_page(page):
    """The provider's development pages import a web font: the test does not ask the internet for it."""
    page.route(re.compile(r"^https://fonts\."), lambda route: route.abort())
    return page


def sign_in_with_the_provider(page, login):
    """From the sign-in page: the provider's button, then the provider's own form when it asks."""
    page.goto(reverse("login"))
    page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
    prompt = page.get_by_placeholder("Enter any login")
    # The provider's form, or straight back here when the provider remembers the person.
    expect(prompt.or_(page.locator("#content"))).to_be_visible()
    if prompt.is_visible():
        prompt.fill(login)
        page.get_by_placeholder("and password").fill("any password")
        page.get_by_role("button", name="Sign-in").click()


def sign_out(page):
    page.locator("#user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_title("Sign in · Employee Directory")


class TestInChromium:
    pytestmark = [
        pytest.mark.browser,
        pytest.mark.slow,
        # The live server needs committed data; serialized rollback brings the Editors group back.
        pytest.mark.django_db(transaction=True, serialized_rollback=True),
    ]

    def test_first_sign_in_links_the_employee_and_the_editor_claim_comes_and_goes(
        self, offline_page, people, screenshot
    ):
        page = offline_page
        ana = EmployeeFactory(full_name="Ana García", work_email="ana@example.com")
        people["ana"] = {"email": "ana@example.com", "email_verified": True, "groups": [EDITOR_GROUP]}
        page.goto(reverse("login"))
        screenshot(page, "login-single-sign-on")
        sign_in_with_the_provider(page, "ana")
        expect(page).to_have_title("Employees · Employee Directory")
        expect(page.locator("#user-menu")).to_have_text("ana@example.com")
        expect(page.get_by_role("link", name="My profile", include_hidden=True)).to_have_count(1)
        expect(page.get_by_role("link", name="Add employee").first).to_be_visible()
        ana.refresh_from_db()
        assert ana.user.username == "ana@example.com"
        assert ana.user.groups.filter(name="Editors").exists()

        sign_out(page)
        people["ana"] = {"email": "ana@example.com", "email_verified": True, "groups": []}
        sign_in_with_the_provider(page, "ana")
        expect(page).to_have_title("Employees · Employee Directory")
        expect(page.get_by_role("link", name="My profile", include_hidden=True)).to_have_count(1)
        expect(page.get_by_role("link", name="Add employee")).to_have_count(0)
        assert User.objects.count() == 1
        assert not User.objects.get().groups.exists()

    def test_an_unmatched_person_signs_in_as_a_reader(self, offline_page, people):
        page = offline_page
        EmployeeFactory(full_name="Ana García", work_email="ana@example.com")
        people["visitor"] = {"email": "visitor@example.com", "email_verified": True, "groups": ["staff"]}
        sign_in_with_the_provider(page, "visitor")
        expect(page).to_have_title("Employees · Employee Directory")
        expect(page.get_by_role("link", name="Ana García")).to_be_visible()
        expect(page.get_by_role("link", name="My profile", include_hidden=True)).to_have_count(0)
        expect(page.get_by_role("link", name="Add employee")).to_have_count(0)
        assert User.objects.get().username == "visitor@example.com"

    def test_a_leaver_is_refused(self, offline_page, people):
        page = offline_page
        services.mark_as_left(EmployeeFactory(full_name="Ana García", work_email="ana@example.com"))
        people["ana"] = {"email": "ana@example.com", "email_verified": True}
        sign_in_with_the_provider(page, "ana")
        expect(page.get_by_role("alert")).to_contain_text(DISABLED)
        expect(page).to_have_title("Sign in · Employee Directory")
        assert not User.objects.exists()

    def test_a_tampered_state_lands_on_the_sign_in_page_with_a_message(self, offline_page, people):
        page = offline_page
        people["ana"] = {"email": "ana@example.com", "email_verified": True}
        page.goto(reverse("login"))
        with page.expect_request(re.compile(r"^http://127\.0\.0\.1:\d+/auth\?")) as sent:
            page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        # The request to the provider, changed on its way: the provider signs Ana in and sends back its state.
        tampered = re.sub(r"state=(\w)", lambda match: "state=" + "ab"[match[1] == "a"], sent.value.url)
        assert tampered != sent.value.url
        page.goto(tampered)
        page.get_by_placeholder("Enter any login").fill("ana")
        page.get_by_placeholder("and password").fill("any password")
        page.get_by_role("button", name="Sign-in").click()
        expect(page.get_by_role("alert")).to_contain_text(NOT_STARTED_HERE)
        expect(page).to_have_title("Sign in · Employee Directory")
        assert not User.objects.exists()

    def test_a_provider_that_is_down_is_a_message_never_an_error_page(
        self, page, live_server, browser_settings
    ):
        configure(browser_settings, "http://127.0.0.1:9")
        page.goto(reverse("login"))
        page.get_by_role("link", name=f"Sign in with {PROVIDER_NAME}").click()
        expect(page.get_by_role("alert")).to_contain_text(UNREACHABLE)
        expect(page).to_have_title("Sign in · Employee Directory")

    def test_superusers_only_keeps_the_password_form_for_administrators(
        self, page, people, superusers_only, assert_accessible
    ):
        UserFactory(username="reader")
        UserFactory(username="admin", is_superuser=True, is_staff=True)
        page.goto(reverse("login"))
        assert_accessible(page)
        page.get_by_label("Username").fill("reader")
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text(INVALID_LOGIN)
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("correct horse battery staple")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).to_have_title("Employees · Employee Directory")
