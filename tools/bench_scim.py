"""Time a first provisioning sync: POST /scim/v2/Users for N new people in a row, as a provider does.

    python tools/bench_scim.py                    # 1,000 users into a new SQLite database
    DATABASE_URL=postgres://…/scimbench python tools/bench_scim.py --users 1000

Gunicorn serves the app on 127.0.0.1 as gunicorn.conf.py configures it, in production mode with no cache.
On SQLite the database is a fresh file in a temporary folder; a PostgreSQL DATABASE_URL is migrated and used
as it is (give it a database of its own: the people provisioned stay in it). The client is one keep-alive
connection with a token from `create_scim_token`; each person has a department (one of twelve), a manager (an
earlier person, once there are some), a work email and phones. It prints a table: users, seconds, users/s, and
the median and 95th percentile of one POST.
"""

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEPARTMENTS = ["Engineering", "Sales", "Finance", "Legal", "Support", "Marketing", "People", "Design"]
DEPARTMENTS += ["Research", "Operations", "Security", "Data"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def person(run, number, manager_id):
    user_name = f"bench.{run}.{number}@example.com"
    enterprise = {"employeeNumber": f"{run}-{number}", "department": DEPARTMENTS[number % len(DEPARTMENTS)]}
    if manager_id:
        enterprise["manager"] = {"value": manager_id}
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": user_name,
        "externalId": f"{run}-{number}",
        "name": {"givenName": f"Person{number}", "familyName": f"Bench {run}"},
        "displayName": f"Person{number} Bench {run}",
        "title": "Engineer",
        "emails": [{"value": user_name, "type": "work", "primary": True}],
        "phoneNumbers": [
            {"value": f"+3491{number:07d}", "type": "work"},
            {"value": f"+346{number:08d}", "type": "mobile"},
        ],
        "addresses": [{"type": "work", "locality": "Madrid"}],
        "active": True,
        ENTERPRISE: enterprise,
    }


def provision(port, token, users):
    """POST ``users`` new people one after another; return the seconds of each."""
    run = secrets.token_hex(3)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    durations, managers = [], []
    for number in range(users):
        body = json.dumps(person(run, number, managers[number // 10] if number >= 10 else None))
        started = time.perf_counter()
        connection.request("POST", "/scim/v2/Users", body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        durations.append(time.perf_counter() - started)
        if response.status != 201:
            raise RuntimeError(f"POST {number} answered {response.status}: {answer[:500]!r}")
        managers.append(json.loads(answer)["id"])
    return durations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8310)
    args = parser.parse_args()
    python = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
    with tempfile.TemporaryDirectory(prefix="directory-bench-scim-") as folder:
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        env = {
            **os.environ,
            "DATABASE_URL": database,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "CACHE_URL": "dummycache://",
            "GUNICORN_BIND": f"127.0.0.1:{args.port}",
        }

        def manage(*command):
            result = subprocess.run(
                [python, "manage.py", *command], cwd=ROOT, env=env, check=True, text=True, capture_output=True
            )
            return result.stdout

        engine = "PostgreSQL" if database.startswith("postgres") else "SQLite"
        log(f"migrating the {engine} database")
        manage("migrate", "--no-input", "-v0")
        token = manage("create_scim_token", "bench-scim").strip()
        gunicorn = str(Path(python).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                    connection.request("GET", "/healthz")
                    if connection.getresponse().status == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            log(f"provisioning {args.users:,} users")
            started = time.perf_counter()
            durations = provision(args.port, token, args.users)
            seconds = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=60)
    p95 = statistics.quantiles(durations, n=20)[-1] if len(durations) > 1 else durations[0]
    print("| database | users | seconds | users/s | POST p50 | POST p95 |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| {engine} | {args.users:,} | {seconds:.1f} | {args.users / seconds:.0f} "
        f"| {statistics.median(durations) * 1000:.1f} ms | {p95 * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
