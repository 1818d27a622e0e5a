"""Fault drills: the app under a bounded load while its database restarts, a worker dies, or it is down.

Everything runs on this machine and cleans up after itself. The database is a throwaway PostgreSQL cluster
created with initdb in a temporary folder (as the postgres user when run as root), so no shared server is
touched. The app runs in gunicorn with production settings on 127.0.0.1 (plain HTTP, so secure cookies and the
HTTPS redirect are off).

1. database restart: PostgreSQL is restarted in immediate mode (a crash: no shutdown checkpoint) while
   clients read and write. Requests during the outage must get a 503 with Retry-After and no traceback,
   every request started after PostgreSQL is back must succeed, and every employee whose creation was
   answered with a redirect (committed) must still be in the database.
2. worker killed: one gunicorn worker gets SIGKILL under load. At most the requests it had in flight may fail
   (one per thread), and the service goes on.
3. database down at startup: gunicorn starts while nothing listens on the database port. /healthz answers 200,
   /readyz 503, pages 503; then PostgreSQL starts on that port and, without a restart, /readyz and the pages
   recover by themselves.

Usage: python scripts/fault_drills.py [--port 8460] [--db-port 8450] [--seconds 12]
Prints a table and exits non-zero if a drill fails.
"""

import argparse
import contextlib
import glob
import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = secrets.token_urlsafe(16)
CLIENTS = 4
PAUSE = 0.05  # seconds between a client's requests: a light load for a shared machine
THREADS = 4


def as_postgres(command):
    """Run a PostgreSQL server binary as the postgres user: the server refuses to run as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + command, check=True, capture_output=True, text=True)


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder."""

    def __init__(self, folder):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
        self.bin = Path(binaries[-1]) if binaries else Path(shutil.which("pg_ctl")).parent
        self.data = Path(folder, "data")
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
            shutil.chown(self.data, "postgres")
        as_postgres(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"]
        )

    def pg_ctl(self, action, port=None, mode="fast"):
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {self.data}" if port else ""
        command = [str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-w", "-m", mode, "-t", "60"]
        if action in {"start", "restart"}:
            command += ["-l", str(self.data / "server.log"), "-o", options]
        as_postgres(command)


@dataclass
class Outcome:
    started: float
    finished: float
    kind: str
    status: int  # 0: no HTTP answer (connection refused or reset)
    retry_after: bool = False
    traceback: bool = False


@dataclass
class Load:
    """Clients that sign in, then alternately read the list and create an employee, until stopped."""

    base: tuple
    outcomes: list = field(default_factory=list)
    created: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def request(self, method, path, cookies, body=None):
        connection = http.client.HTTPConnection(*self.base, timeout=10)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()), "Host": "127.0.0.1"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(body)
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            content = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookies[name] = rest.split(";", 1)[0]
        return response, content

    def sign_in(self, cookies):
        self.request("GET", "/accounts/login/", cookies)
        token = cookies["csrftoken"]
        data = {"username": "drill", "password": PASSWORD, "csrfmiddlewaretoken": token}
        response, _ = self.request("POST", "/accounts/login/", cookies, data)
        if response.status != 302:
            raise SystemExit(f"Signing in failed with {response.status}.")

    def client(self, number, cookies):
        count = 0
        while not self.stop.is_set():
            count += 1
            if count % 2:
                kind, method, path, data = "read", "GET", "/", None
            else:
                name = f"Drill {number}-{count}-{secrets.token_hex(3)}"
                data = {"full_name": name, "job_title": "Drill", "location": "Drill"}
                data["csrfmiddlewaretoken"] = cookies["csrftoken"]
                kind, method, path = "write", "POST", "/employees/new/"
            started = time.monotonic()
            try:
                response, content = self.request(method, path, cookies, data)
                outcome = Outcome(
                    started,
                    time.monotonic(),
                    kind,
                    response.status,
                    retry_after=response.getheader("Retry-After") is not None,
                    traceback="Traceback" in content,
                )
                if kind == "write" and response.status == 302:
                    self.created.append(data["full_name"])
            except (OSError, http.client.HTTPException):
                outcome = Outcome(started, time.monotonic(), kind, 0)
            self.outcomes.append(outcome)
            time.sleep(PAUSE)

    def run(self, seconds, fault_at, fault):
        """Load for ``seconds``, ``fault`` after ``fault_at`` s; return when the fault began and ended."""
        sessions = []
        for _ in range(CLIENTS):
            sessions.append({})
            self.sign_in(sessions[-1])
        threads = [
            threading.Thread(target=self.client, args=(number, cookies), daemon=True)
            for number, cookies in enumerate(sessions)
        ]
        for thread in threads:
            thread.start()
        time.sleep(fault_at)
        fault_started = time.monotonic()
        fault()
        fault_ended = time.monotonic()
        time.sleep(max(0.0, seconds - fault_at - (fault_ended - fault_started)))
        self.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        return fault_started, fault_ended


class App:
    """gunicorn serving the app with production settings."""

    def __init__(self, port, database_url):
        self.port = port
        self.env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_THREADS": str(THREADS),
            "LOG_LEVEL": "WARNING",
        }
        self.process = None

    def manage(self, *command):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=self.env, check=True)

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=self.env,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.get("/healthz")[0] == 200:
                return
            time.sleep(0.2)
        raise SystemExit("gunicorn did not start within 30 s.")

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)

    def get(self, path):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            return (
                response.status,
                response.getheader("Retry-After"),
                response.read().decode(errors="replace"),
            )
        except OSError:
            return 0, None, ""
        finally:
            connection.close()

    def workers(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]


def rows_missing(database_url, names):
    with psycopg.connect(database_url) as connection:
        found = {row[0] for row in connection.execute("SELECT full_name FROM employees_employee")}
    return [name for name in names if name not in found]


def summary(outcomes):
    return {
        "requests": len(outcomes),
        "ok": sum(1 for o in outcomes if 200 <= o.status < 400),
        "503+Retry-After": sum(1 for o in outcomes if o.status == 503 and o.retry_after),
        "500": sum(1 for o in outcomes if o.status == 500),
        "no answer": sum(1 for o in outcomes if o.status == 0),
        "traceback": sum(1 for o in outcomes if o.traceback),
    }


def drill_database_restart(app, cluster, db_port, seconds):
    load = Load(("127.0.0.1", app.port))
    started, ended = load.run(seconds, 3, lambda: cluster.pg_ctl("restart", db_port, mode="immediate"))
    after = [o for o in load.outcomes if o.started > ended]
    counts = summary(load.outcomes)
    missing = rows_missing(app.env["DATABASE_URL"], load.created)
    unexpected = [
        o for o in load.outcomes if not (200 <= o.status < 400 or (o.status == 503 and o.retry_after))
    ]
    checks = {
        "outage answered by 503 with Retry-After, no 500, no traceback": not unexpected
        and not counts["traceback"],
        "every request after the restart succeeded": all(200 <= o.status < 400 for o in after)
        and bool(after),
        f"all {len(load.created)} committed rows present": not missing,
    }
    return counts, f"PostgreSQL down and back in {ended - started:.1f} s", checks


def drill_worker_killed(app, seconds):
    load = Load(("127.0.0.1", app.port))
    victim = app.workers()[0]
    load.run(seconds, 3, lambda: os.kill(victim, signal.SIGKILL))
    counts = summary(load.outcomes)
    failed = counts["requests"] - counts["ok"]
    checks = {
        f"failed requests ({failed}) at most the {THREADS} the worker had in flight": failed <= THREADS,
        "the master started a new worker": len(app.workers()) == 2 and victim not in app.workers(),
        "requests succeed afterwards": app.get("/healthz")[0] == 200,
    }
    return counts, f"worker {victim} killed", checks


def drill_database_down_at_startup(cluster, port, db_port, database_url):
    app = App(port, database_url)
    app.start()
    try:
        healthz, readyz = app.get("/healthz")[0], app.get("/readyz")[0]
        # Signing in needs the database: it must be refused with a 503 that says when to retry.
        client, cookies = Load(("127.0.0.1", port)), {}
        login_page, _ = client.request("GET", "/accounts/login/", cookies)
        data = {
            "username": "drill",
            "password": PASSWORD,
            "csrfmiddlewaretoken": cookies.get("csrftoken", ""),
        }
        sign_in_down, page = client.request("POST", "/accounts/login/", cookies, data)
        started = time.monotonic()
        cluster.pg_ctl("start", db_port)
        recovered = None
        while time.monotonic() - started < 30:
            if app.get("/readyz")[0] == 200:
                recovered = time.monotonic() - started
                break
            time.sleep(0.2)
        after = None
        if recovered is not None:
            cookies = {}
            client.sign_in(cookies)
            after, _ = client.request("GET", "/", cookies)
    finally:
        app.stop()
    checks = {
        f"up with the database down: /healthz {healthz}, /readyz {readyz}": healthz == 200 and readyz == 503,
        f"the sign-in page {login_page.status} while down": login_page.status == 200,
        f"signing in while down: {sign_in_down.status} with Retry-After, no traceback": sign_in_down.status
        == 503
        and sign_in_down.getheader("Retry-After") is not None
        and "Traceback" not in page,
        "recovered by itself once PostgreSQL started": after is not None and after.status == 200,
    }
    detail = f"/readyz 200 {recovered:.1f} s after PostgreSQL started" if recovered else "did not recover"
    return {}, detail, checks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8460, help="gunicorn port on 127.0.0.1")
    parser.add_argument("--db-port", type=int, default=8450, help="throwaway PostgreSQL port on 127.0.0.1")
    parser.add_argument("--seconds", type=int, default=12, help="length of each load")
    args = parser.parse_args()
    down_port = args.db_port + 1

    results = []
    with tempfile.TemporaryDirectory(prefix="fault-drills-") as folder:
        cluster = Cluster(folder)
        cluster.pg_ctl("start", args.db_port)
        try:
            with psycopg.connect(
                f"postgresql://postgres@127.0.0.1:{args.db_port}/postgres", autocommit=True
            ) as db:
                db.execute("CREATE DATABASE drill")
            app = App(args.port, f"postgres://postgres@127.0.0.1:{args.db_port}/drill")
            app.manage("migrate", "--no-input", "-v0")
            app.env.update(DJANGO_SUPERUSER_USERNAME="drill", DJANGO_SUPERUSER_PASSWORD=PASSWORD)
            app.manage("createsuperuser", "--no-input", "--email", "drill@example.com")
            app.start()
            try:
                results.append(
                    ("1 database restart", *drill_database_restart(app, cluster, args.db_port, args.seconds))
                )
                results.append(("2 worker killed", *drill_worker_killed(app, args.seconds)))
            finally:
                app.stop()
            cluster.pg_ctl("stop")
            # Drill 3: the app points at a port where nothing listens; the cluster then starts on that port.
            database_url = f"postgres://postgres@127.0.0.1:{down_port}/drill"
            results.append(
                (
                    "3 database down at startup",
                    *drill_database_down_at_startup(cluster, args.port, down_port, database_url),
                )
            )
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                cluster.pg_ctl("stop", mode="immediate")

    failed = False
    for name, counts, detail, checks in results:
        sys.stdout.write(f"\n{name}: {detail}\n")
        if counts:
            sys.stdout.write("  " + ", ".join(f"{key} {value}" for key, value in counts.items()) + "\n")
        for check, passed in checks.items():
            sys.stdout.write(f"  [{'pass' if passed else 'FAIL'}] {check}\n")
            failed |= not passed
    sys.stdout.write("\nAll drills passed.\n" if not failed else "\nSome drills FAILED.\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
