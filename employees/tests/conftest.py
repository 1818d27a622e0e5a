import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from employees import exports

from .factories import BadgeFactory, EditorFactory, LocationFactory, UserFactory


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
    """Sessions live in the cache: every test starts without any."""
    for cache in caches.all():
        cache.clear()
    yield
    for cache in caches.all():
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


@pytest.fixture
def locations(db):
    """Madrid and Paris in the location catalogue: the places the tests' forms, files and API calls name."""
    return [LocationFactory(name="Madrid", time_zone="Europe/Madrid"), LocationFactory(name="Paris")]


@pytest.fixture(autouse=True)
def _no_exports_running(monkeypatch):
    """A test that does not read an export to the end leaves its place taken: the next test starts afresh."""
    monkeypatch.setattr(exports, "RUNNING", threading.BoundedSemaphore(exports.AT_ONCE))


@pytest.fixture(autouse=True)
def _media_in_tmp_path(settings, tmp_path):
    """Uploaded photos go to a folder of the test's own, never to the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


# Browser tests: pytest-playwright drives Debian's Chromium against pytest-django's live server.

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture
def page(page):
    """Playwright's page, failing the test if any script on it throws."""
    errors = []
    # A lambda, not errors.append: Playwright tags its handlers, which a built-in method cannot carry.
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def browser_settings(settings):
    # The live server speaks plain HTTP, so the production-only "Secure" cookie flag must be off.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return settings


def sign_in(page, live_server, user):
    """Give the browser a session for ``user`` without going through the login form."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.fixture
def reader_page(page, live_server, browser_settings, reader):
    return sign_in(page, live_server, reader)


@pytest.fixture
def editor_page(page, live_server, browser_settings, editor):
    return sign_in(page, live_server, editor)


@pytest.fixture
def screenshot():
    """Save a full-page screenshot as test-results/screenshots/<name>.png (kept by CI)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name):
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)

    return save


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test-browser does) to install axe-core.")
    return AXE.read_text()


@pytest.fixture
def assert_accessible(axe_source, screenshot, request):
    """Fail, listing each one, if axe-core finds any WCAG 2.2 A or AA violation on the page.

    The page is saved as a screenshot named after the test first, so every checked page can be looked at.
    """

    def check(page):
        screenshot(page, "axe-" + re.sub(r"\W+", "-", request.node.name).strip("-"))
        # Evaluated through the DevTools protocol, so the site's Content Security Policy does not block it.
        page.evaluate(axe_source)
        results = page.evaluate(
            """() => axe.run(document, {runOnly: {type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})"""
        )
        violations = [
            f"{violation['id']}: {node['target']} {node['failureSummary']}"
            for violation in results["violations"]
            for node in violation["nodes"]
        ]
        if violations:
            pytest.fail(
                f"{len(violations)} axe violations on {page.url}:\n" + "\n".join(violations), pytrace=False
            )

    return check
