"""Two app instances on one database, as several containers run behind a load balancer, sharing one Redis or
each with the default file cache of its own machine: what one writes, the other shows at once, and a sign-out
on one is a sign-out on both."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from knox.models import AuthToken

from .factories import EditorFactory, EmployeeFactory, UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# Never database 0, which other programs on the machine may use.
REDIS_URL = "redis://127.0.0.1:6379/7"


def free_port():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


class Instance:
    def __init__(self, env):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=settings.BASE_DIR,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "1"},
            stderr=subprocess.DEVNULL,
        )

    def request(self, method, path, cookies="", body=None, headers=None):
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        client.request(method, path, body=body, headers={"Cookie": cookies, **(headers or {})})
        response = client.getresponse()
        return response.status, response.read().decode(), response

    def wait(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not start within 30 s")


@pytest.fixture(params=["one Redis", "a file cache each"])
def instances(request, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("several instances share a database server: run with a PostgreSQL DATABASE_URL")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CACHE_URL": REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions the tests make are signed with it
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "WARNING",
        # Their own collected files: writing the project's staticfiles/ would pull files from under the
        # other test processes reading it.
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    if request.param == "one Redis":
        pair = [Instance(env), Instance(env)]
    else:
        pair = [Instance({**env, "CACHE_URL": f"filecache://{tmp_path / name}"}) for name in ["a", "b"]]
    try:
        for instance in pair:
            instance.wait()
        yield pair
    finally:
        for instance in pair:
            instance.process.terminate()
            instance.process.wait(timeout=30)


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_an_edit_on_one_instance_is_seen_at_once_on_the_other(instances):
    first, second = instances
    employee = EmployeeFactory(full_name="Ana García", job_title="Engineer")
    reader = session_cookie(UserFactory())
    page = f"/employees/{employee.pk}/"
    assert "Engineer" in second.request("GET", page, reader)[1]
    _, token = AuthToken.objects.create(user=EditorFactory())
    status, _, _ = first.request(
        "PATCH",
        f"/api/v1/employees/{employee.pk}/",
        body=f'{{"job_title": "Principal Engineer", "version": {employee.version}}}',
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    assert status == 200
    assert "Principal Engineer" in second.request("GET", page, reader)[1]
    assert "Principal Engineer" in second.request("GET", "/?q=ana", reader)[1]


def test_signing_out_on_one_instance_signs_out_on_both(instances):
    first, second = instances
    cookie = session_cookie(UserFactory())
    assert second.request("GET", "/", cookie)[0] == 200
    _, _, response = first.request("GET", "/", cookie)
    csrf = SimpleCookie(response.getheader("Set-Cookie"))[settings.CSRF_COOKIE_NAME].value
    status, _, _ = first.request(
        "POST",
        "/accounts/logout/",
        f"{cookie}; {settings.CSRF_COOKIE_NAME}={csrf}",
        headers={"X-CSRFToken": csrf},
    )
    assert status == 302
    status, _, response = second.request("GET", "/", cookie)
    assert status == 302
    assert re.match(r"/accounts/login/", response.getheader("Location"))
