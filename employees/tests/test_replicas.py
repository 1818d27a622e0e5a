"""Read replicas: reads to the replicas, writes and a person's reads after their own write to the primary, and
a replica that does not answer left out. tools/fault_drills.py runs a real streaming replica."""

import json

import pytest
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from directory_site import replicas

from .test_settings import run_settings

PRODUCTION = {"SECRET_KEY": "x" * 50, "DATABASE_URL": "postgres://app:secret@primary.internal:5432/directory"}


@pytest.fixture
def one_replica(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica1"]
    monkeypatch.setattr(replicas, "answers", lambda alias: True)
    return replicas.ReplicaRouter()


def test_each_replica_url_is_a_database_with_the_primarys_settings():
    env = PRODUCTION | {
        "DATABASE_REPLICA_URLS": "postgres://app:secret@replica-a.internal/directory,"
        "postgres://app:secret@replica-b.internal/directory?sslmode=require",
        "DATABASE_CONNECT_TIMEOUT": "3",
    }
    code = "import json; print(json.dumps([s.DATABASE_REPLICAS, s.DATABASES], default=str))"
    result = run_settings(env, code)
    assert result.returncode == 0, result.stderr
    aliases, databases = json.loads(result.stdout)
    assert aliases == ["replica1", "replica2"]
    primary, first, second = databases["default"], databases["replica1"], databases["replica2"]
    assert (first["HOST"], second["HOST"]) == ("replica-a.internal", "replica-b.internal")
    assert first["CONN_MAX_AGE"] == primary["CONN_MAX_AGE"]
    assert first["OPTIONS"]["connect_timeout"] == 3
    assert second["OPTIONS"]["sslmode"] == "require"
    assert second["OPTIONS"]["options"] == primary["OPTIONS"]["options"]  # the statement timeout
    assert first["TEST"] == {"MIRROR": "default"}


def test_without_replicas_there_is_only_the_primary():
    result = run_settings(PRODUCTION, "print(list(s.DATABASES), s.DATABASE_REPLICAS)")
    assert result.stdout.split("\n")[0] == "['default'] []"


def test_reads_go_to_a_replica_and_writes_to_the_primary(one_replica):
    assert one_replica.db_for_read(None) == "replica1"
    assert one_replica.db_for_write(None) == "default"
    assert one_replica.allow_migrate("replica1", "employees") is False
    assert one_replica.allow_migrate("default", "employees") is True


@pytest.mark.django_db
def test_reads_in_a_transaction_go_to_the_primary(one_replica):
    with transaction.atomic():
        assert one_replica.db_for_read(None) == "default"


def test_reads_go_to_the_primary_when_no_replica_answers(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica1"]
    monkeypatch.setattr(replicas, "answers", lambda alias: False)
    assert replicas.ReplicaRouter().db_for_read(None) == "default"


class UnreachableReplica:
    attempts = 0

    def close_if_health_check_failed(self):
        pass

    def ensure_connection(self):
        self.attempts += 1
        raise OperationalError("connection refused")


def test_a_replica_that_does_not_answer_is_left_out_for_a_while(settings, monkeypatch):
    settings.REPLICA_RETRY_SECONDS = 10
    replica = UnreachableReplica()
    monkeypatch.setattr(replicas, "connections", {"replica1": replica})
    monkeypatch.setattr(replicas, "down_until", {})
    clock = iter([100.0, 100.0, 105.0, 111.0, 111.0])
    monkeypatch.setattr(replicas.time, "monotonic", lambda: next(clock))

    assert replicas.answers("replica1") is False  # tried at 100 s: refused
    assert replicas.answers("replica1") is False  # at 105 s: not tried again
    assert replica.attempts == 1
    assert replicas.answers("replica1") is False  # at 111 s: tried again
    assert replica.attempts == 2


def seen_by(request):
    """What the router would choose while the request is handled, and the response."""
    chosen = []

    def view(request):
        chosen.append(replicas.ReplicaRouter().db_for_read(None))
        return HttpResponse()

    response = replicas.read_your_writes(view)(request)
    return chosen[0], response


def test_a_write_reads_the_primary_and_so_do_that_browsers_next_requests(one_replica, settings):
    settings.REPLICA_PIN_SECONDS = 15
    requests = RequestFactory()

    chosen, response = seen_by(requests.post("/employees/new/"))

    assert chosen == "default"
    cookie = response.cookies[replicas.PIN_COOKIE]
    assert (cookie["max-age"], cookie["httponly"], cookie["samesite"]) == (15, True, "Lax")
    after = requests.get("/", HTTP_COOKIE=f"{replicas.PIN_COOKIE}=1")
    assert seen_by(after)[0] == "default"
    assert seen_by(requests.get("/"))[0] == "replica1"


def test_no_cookie_without_replicas(settings):
    settings.DATABASE_REPLICAS = []
    _, response = seen_by(RequestFactory().post("/employees/new/"))
    assert replicas.PIN_COOKIE not in response.cookies


@pytest.mark.django_db
def test_readyz_reports_a_replica_that_does_not_answer_without_taking_the_instance_out(
    client, settings, monkeypatch
):
    settings.DATABASE_REPLICAS = ["replica1"]

    def check(alias="default"):
        if alias == "replica1":
            raise OperationalError("connection refused")

    monkeypatch.setattr("employees.views.database_answers", check)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "cache": "ok", "replica1": "degraded"}
