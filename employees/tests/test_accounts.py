"""Local accounts: changing one's password, and resetting a forgotten one by email."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import checks, mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .factories import UserFactory
from .test_settings import run_settings

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's
NEW_PASSWORD = "a fresh and quite unusual passphrase"
CHANGE_URL = reverse("password_change")
RESET_URL = reverse("password_reset")
SENT_URL = reverse("password_reset_done")


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", email="ana@example.com")


def change(client, old_password=PASSWORD, new_password=NEW_PASSWORD):
    data = {"old_password": old_password, "new_password1": new_password, "new_password2": new_password}
    return client.post(CHANGE_URL, data)


def ask_for_reset(client, email="ana@example.com", **headers):
    return client.post(RESET_URL, {"email": email}, **headers)


def signs_in(username, password):
    response = Client().post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def reset_link(message):
    return re.search(r"https?://testserver(/accounts/reset/\S+/)", message.body)[1]


def open_link_and_set(client, link, password=NEW_PASSWORD):
    """Open the link as a browser does, following the redirect that takes the token out of the address."""
    form_page = client.get(link, follow=True)
    data = {"new_password1": password, "new_password2": password}
    return form_page, client.post(form_page.request["PATH_INFO"], data)


# Changing a password


def test_changing_the_password_refuses_a_wrong_current_password(client, ana):
    client.force_login(ana)
    response = change(client, old_password="not my password")
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert signs_in("ana", PASSWORD)
    assert not signs_in("ana", NEW_PASSWORD)


def test_a_changed_password_signs_in_and_keeps_this_session_but_ends_the_others(client, ana):
    client.force_login(ana)
    elsewhere = Client()
    elsewhere.force_login(ana)
    response = change(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert "Password changed" in client.get(response["Location"]).content.decode()
    assert client.get(reverse("employees:list")).status_code == 200
    assert elsewhere.get(reverse("employees:list")).status_code == 302
    assert signs_in("ana", NEW_PASSWORD)
    assert not signs_in("ana", PASSWORD)


def test_changing_a_password_needs_a_signed_in_user(client):
    response = client.get(CHANGE_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_user_menu_offers_change_password_only_to_accounts_with_a_password(client, ana):
    client.force_login(ana)
    assert CHANGE_URL in client.get(reverse("employees:list")).content.decode()
    ana.set_unusable_password()
    ana.save()
    client.force_login(ana)
    assert CHANGE_URL not in client.get(reverse("employees:list")).content.decode()


def test_the_sign_in_page_links_to_the_reset_page(client):
    response = client.get(reverse("login"))
    assert f'href="{RESET_URL}"' in response.content.decode()
    assert "Forgot your password?" in response.content.decode()


# Resetting a forgotten password


def test_a_reset_link_sets_a_new_password_once(client, ana):
    response = ask_for_reset(client, "ANA@example.com")
    assert response.status_code == 302
    assert response["Location"] == SENT_URL
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    link = reset_link(message)

    form_page, done = open_link_and_set(client, link)
    assert "Choose a new password" in form_page.content.decode()
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    assert signs_in("ana", NEW_PASSWORD)
    assert not signs_in("ana", PASSWORD)

    again, refused = open_link_and_set(Client(), link, "yet another unusual passphrase")
    assert "This link no longer works" in again.content.decode()
    assert refused.status_code == 200
    assert signs_in("ana", NEW_PASSWORD)


def test_the_reset_email_says_who_asked_for_which_site_until_when_and_what_if_not_them(client, ana, settings):
    ask_for_reset(client, REMOTE_ADDR="198.51.100.7")
    [message] = mail.outbox
    assert message.subject == "Reset your password for the Employee Directory at testserver"
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    body = " ".join(message.body.split())
    assert 'the account "ana" in the Employee Directory at testserver' in body
    assert "from the address 198.51.100.7 on " in body
    until = re.search(r"for 1 hour: until (.+? UTC)\.", body)
    assert until, body
    expires_at = datetime.strptime(until[1].removesuffix(" UTC"), "%d %B %Y, %H:%M").replace(tzinfo=UTC)
    assert abs(expires_at - timezone.now() - timedelta(hours=1)) < timedelta(minutes=2)
    assert "If you did not ask for this, ignore this email" in body
    assert "&quot;" not in message.body


def later(monkeypatch, seconds):
    """Check reset tokens as if ``seconds`` had passed since they were made."""
    real_now = PasswordResetTokenGenerator._now
    monkeypatch.setattr(
        PasswordResetTokenGenerator, "_now", lambda self: real_now(self) + timedelta(seconds=seconds)
    )


def test_a_reset_link_works_until_the_timeout(client, ana, monkeypatch, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    ask_for_reset(client)
    later(monkeypatch, 3600 - 60)
    _, done = open_link_and_set(client, reset_link(mail.outbox[0]))
    assert done.status_code == 302
    assert signs_in("ana", NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, ana, monkeypatch):
    ask_for_reset(client)
    later(monkeypatch, 3600 + 60)
    form_page, refused = open_link_and_set(client, reset_link(mail.outbox[0]))
    assert "This link no longer works" in form_page.content.decode()
    assert refused.status_code == 200
    assert signs_in("ana", PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_email(ana):
    known, unknown = Client(), Client()
    answers = [ask_for_reset(known), ask_for_reset(unknown, "nobody@example.com")]
    assert [(answer.status_code, answer["Location"]) for answer in answers] == [(302, SENT_URL)] * 2
    pages = [known.get(SENT_URL), unknown.get(SENT_URL)]
    assert pages[0].status_code == pages[1].status_code == 200
    # Alike but for the language menu's CSRF token, which differs on every page.
    assert without_csrf_token(pages[0]) == without_csrf_token(pages[1])
    assert [message.to for message in mail.outbox] == [["ana@example.com"]]


def without_csrf_token(page):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page.content.decode())


def mark_as_left(user):
    user.is_active = False


@pytest.mark.parametrize(
    "change_account",
    [mark_as_left, lambda user: user.set_unusable_password()],
    ids=["a leaver's inactive account", "an account without a usable password"],
)
def test_no_reset_email_to(client, ana, change_account):
    change_account(ana)
    ana.save()
    response = ask_for_reset(client)
    assert response.status_code == 302
    assert response["Location"] == SENT_URL
    assert mail.outbox == []


def test_reset_emails_to_one_address_stop_at_the_limit_without_saying_so(client, ana, settings):
    settings.PASSWORD_RESETS_PER_EMAIL = 2
    answers = [
        ask_for_reset(client, email) for email in ["ana@example.com", "Ana@Example.com", "ana@example.com"]
    ]
    assert [(answer.status_code, answer["Location"]) for answer in answers] == [(302, SENT_URL)] * 3
    assert len(mail.outbox) == 2
    assert ask_for_reset(client, "nobody@example.com")["Location"] == SENT_URL  # other addresses go on


def test_reset_requests_from_one_client_address_are_paused_at_the_limit(client, ana, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS = 3
    for number in range(3):
        assert ask_for_reset(client, f"someone{number}@example.com").status_code == 302
    response = ask_for_reset(client)
    assert response.status_code == 429
    assert "Too many reset requests" in response.content.decode()
    assert mail.outbox == []
    assert ask_for_reset(client, REMOTE_ADDR="198.51.100.7").status_code == 302  # another address asks
    assert len(mail.outbox) == 1


# Every form refuses a post without its CSRF token


def reset_link_for_ana(ana):
    ask_for_reset(Client())
    return reset_link(mail.outbox[0])


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (
            lambda ana: CHANGE_URL,
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
        (lambda ana: RESET_URL, {"email": "ana@example.com"}),
        (reset_link_for_ana, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
    ],
    ids=["change password", "ask for a reset link", "set a new password"],
)
def test_each_form_refuses_a_post_without_its_csrf_token(ana, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    page = client.get(url(ana), follow=True)
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    sent_before = len(mail.outbox)
    assert client.post(page.request["PATH_INFO"], data).status_code == 403
    assert len(mail.outbox) == sent_before
    assert signs_in("ana", PASSWORD)


# Settings and checks


def test_email_url_picks_the_backend_and_the_reset_timeout_comes_from_the_environment():
    code = (
        "import json; print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER,"
        " getattr(s, 'EMAIL_USE_TLS', False), s.PASSWORD_RESET_TIMEOUT, s.DEFAULT_FROM_EMAIL]))"
    )
    env = {
        "SECRET_KEY": "x" * 50,
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        "PASSWORD_RESET_TIMEOUT": "900",
        "DEFAULT_FROM_EMAIL": "Directory <directory@example.com>",
    }
    result = run_settings(env, code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        587,
        "mailer",
        True,
        900,
        "Directory <directory@example.com>",
    ]
    result = run_settings({"DEBUG": "true"}, code)
    assert json.loads(result.stdout)[0] == "django.core.mail.backends.console.EmailBackend"
    assert json.loads(result.stdout)[5] == 3600
    # Not to the log in production, where a reset link would open the account to whoever reads it.
    result = run_settings({"SECRET_KEY": "x" * 50}, code)
    assert json.loads(result.stdout)[0] == "django.core.mail.backends.dummy.EmailBackend"


@pytest.mark.parametrize(
    ("debug", "backend", "notices"),
    [
        (False, "django.core.mail.backends.dummy.EmailBackend", ["employees.I001"]),
        (False, "django.core.mail.backends.console.EmailBackend", ["employees.I001"]),
        (True, "django.core.mail.backends.console.EmailBackend", []),
        (False, "django.core.mail.backends.smtp.EmailBackend", []),
    ],
    ids=["production, none", "production, console", "development, console", "production, smtp"],
)
def test_the_deployment_checklist_notes_that_no_email_is_sent(settings, debug, backend, notices):
    settings.DEBUG = debug
    settings.EMAIL_BACKEND = backend
    found = [
        message
        for message in checks.run_checks(include_deployment_checks=True)
        if message.id == "employees.I001"
    ]
    assert [message.id for message in found] == notices
    # A notice, not a warning: `make checks` runs `check --deploy --fail-level WARNING`, and a directory whose
    # people sign in another way needs no email.
    assert all(message.level < checks.WARNING for message in found)
