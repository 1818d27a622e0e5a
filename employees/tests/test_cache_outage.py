"""A Redis cache that is down or frozen is a cache miss: pages, signing in and signing out work from the
database, within the cache's socket timeout, and /readyz reports the cache as degraded."""

import json
import socket
import time

import pytest

from .factories import UserFactory
from .test_settings import run_settings

PASSWORD = "correct horse battery staple"


def cache_settings(url):
    """CACHES and SESSION_ENGINE as directory_site/settings.py makes them from CACHE_URL=``url``."""
    code = "import json; print(json.dumps({'CACHES': s.CACHES, 'SESSION_ENGINE': s.SESSION_ENGINE}))"
    result = run_settings({"DEBUG": "true", "CACHE_URL": url}, code)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def use_redis(settings, port):
    for name, value in cache_settings(f"redis://127.0.0.1:{port}/3").items():
        setattr(settings, name, value)


@pytest.fixture
def redis_down(settings):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_redis(settings, port)


@pytest.fixture
def redis_frozen(settings):
    """A server that accepts connections and never answers, as a Redis stopped with SIGSTOP does."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        use_redis(settings, server.getsockname()[1])
        yield


def test_sessions_are_read_through_redis_which_turns_its_errors_into_misses_within_half_a_second():
    found = cache_settings("redis://cache:6379/0")
    assert found["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    options = found["CACHES"]["default"]["OPTIONS"]
    assert options == {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5}


@pytest.mark.parametrize("url", [None, "filecache:///tmp/directory-cache", "locmemcache://"])
def test_sessions_are_read_from_the_database_where_the_cache_is_one_machines(url):
    code = "print(s.SESSION_ENGINE)"
    result = run_settings({"DEBUG": "true", **({"CACHE_URL": url} if url else {})}, code)
    assert result.stdout.strip() == "django.contrib.sessions.backends.db"


@pytest.mark.django_db
def test_with_redis_down_people_sign_in_read_and_sign_out(client, redis_down):
    user = UserFactory()
    signed_in = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302  # signed out: to the sign-in page


@pytest.mark.django_db
def test_with_redis_down_the_instance_stays_ready_and_says_the_cache_is_degraded(client, redis_down):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "cache": "degraded"}


@pytest.mark.django_db
def test_a_frozen_redis_delays_a_page_by_its_socket_timeouts_only(client, redis_frozen):
    client.force_login(UserFactory())
    started = time.monotonic()
    response = client.get("/")
    assert response.status_code == 200
    assert time.monotonic() - started < 5  # a few cache calls of 0.5 s each, not the freeze's length
