"""Sign-in protection: lockout after repeated failures (django-axes), session rotation and sign-out."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone

from .factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("login")
PASSWORD = "correct horse battery staple"


def sign_in(client, username="reader", password=PASSWORD, **headers):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **headers)


def fail(client, times, username="reader", **headers):
    return [sign_in(client, username, "wrong", **headers).status_code for _ in range(times)]


def test_four_failures_do_not_lock_out(client, reader):
    assert fail(client, 4) == [200] * 4
    assert sign_in(client).status_code == 302


def test_fifth_failure_locks_the_account_out_with_a_429_that_explains(client, reader):
    fail(client, 4)
    response = sign_in(client, password="wrong")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "Try again after 0:15:00" in response.content.decode()
    # Even the right password is refused while locked out.
    assert sign_in(client).status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_user_and_address(client, reader):
    UserFactory(username="other")
    fail(client, 5)
    assert sign_in(client, "other").status_code == 302
    assert sign_in(client, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_lockout_ends_after_the_cool_off(client, reader):
    fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client).status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_cannot_dodge_the_lockout(client, reader):
    for number in range(5):
        sign_in(client, password="wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{number}")
    assert sign_in(client, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429


def behind_proxies(settings, count):
    """As the settings read AXES_IPWARE_PROXY_COUNT: ``count`` proxies listed after the client."""
    settings.AXES_IPWARE_PROXY_COUNT = count
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]


@pytest.mark.parametrize(
    ("count", "forwarded_for", "client_address"),
    [
        (0, "203.0.113.5", "203.0.113.5"),
        (0, "192.0.2.1, 203.0.113.5", "203.0.113.5"),
        (1, "192.0.2.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "203.0.113.5", None),
        (0, "not-an-address", "127.0.0.1"),
        (0, "<script>, 203.0.113.5'", "203.0.113.5"),
    ],
    ids=[
        "one load balancer",
        "one load balancer, spoofed header",
        "a load balancer and a proxy",
        "header shorter than the proxy chain: no address",
        "no address",
        "garbage from the client before the load balancer's entry",
    ],
)
def test_behind_trusted_proxies_the_client_address_comes_from_x_forwarded_for(
    client, reader, settings, count, forwarded_for, client_address
):
    behind_proxies(settings, count)
    fail(client, 5, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert AccessAttempt.objects.get().ip_address == client_address
    assert sign_in(client, HTTP_X_FORWARDED_FOR=forwarded_for).status_code == 429


def test_behind_a_trusted_proxy_another_client_is_not_locked_out(client, reader, settings):
    behind_proxies(settings, 0)
    fail(client, 5, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert sign_in(client, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302


def test_signing_in_rotates_the_session_key(client, reader):
    session = client.session
    session["seen"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    before = session.session_key
    assert sign_in(client).status_code == 302
    assert client.session.session_key != before
    assert not SessionStore().exists(before)


def test_signing_out_deletes_the_session(client, reader):
    sign_in(client)
    key = client.session.session_key
    assert SessionStore().exists(key)
    client.post(reverse("logout"))
    assert not SessionStore().exists(key)
    assert client.get(reverse("employees:list")).status_code == 302


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/accounts/login/", "/"), ("/accounts/login/?next=/accounts/login/", "/"), ("/badges/", "/badges/")],
)
def test_a_signed_in_user_sent_to_the_sign_in_page_goes_on(reader_client, next_url, lands_on):
    response = reader_client.get(reverse("login"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == lands_on


def test_failures_for_many_user_names_from_one_address_pause_signing_in_from_it(client, reader, settings):
    """One password sprayed over many accounts: no single account reaches its limit."""
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 6
    for name in ["ana", "ben", "cleo"]:
        assert fail(client, 2, username=name) == [200, 200]
    response = sign_in(client)
    assert response.status_code == 429
    assert "from your address, for several accounts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert sign_in(client, REMOTE_ADDR="198.51.100.7").status_code == 302  # another address signs in


def test_the_pause_of_an_address_ends_after_the_cool_off(client, reader, settings):
    settings.SIGN_IN_FAILURES_PER_ADDRESS = 4
    for name in ["ana", "ben"]:
        fail(client, 2, username=name)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client).status_code == 302
