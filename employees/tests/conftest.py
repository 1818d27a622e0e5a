import pytest
from django.core.cache import cache

from .factories import BadgeFactory, EditorFactory, UserFactory


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Serve static names as they are, so the suite needs no collectstatic run first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hashing test passwords properly would take most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Sessions and facet counts live in the cache: every test starts without any."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reader(db):
    return UserFactory(username="reader")


@pytest.fixture
def editor(db):
    return EditorFactory(username="editor")


@pytest.fixture
def reader_client(client, reader):
    client.force_login(reader)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def coffee(db):
    return BadgeFactory(slug="coffee-snob", name="Coffee Snob", icon="coffee")


@pytest.fixture
def gamer(db):
    return BadgeFactory(slug="gamer", name="Gamer", icon="gamepad")
