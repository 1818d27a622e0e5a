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
   (one per thread), and the service goes on; a second gunicorn started on the same port must fail.
3. one account against the site: ten uploads at once of a progressive JPEG of 2,000 scans (a small file of
   the kind that took minutes to decode), and sixteen clients that ask for the vCard export of the directory
   and never read it, while /healthz is asked every quarter second: it must answer within 1 s throughout.
4. database frozen: every process of the PostgreSQL cluster is stopped with SIGSTOP for 6 s under load, while
   /healthz and /readyz are asked in turn: /healthz must answer 200 within 1 s, /readyz 503 within 2.5 s, no
   request may get a 500, and every request after the thaw must succeed.
5. cache down, then frozen: the app runs with a throwaway Redis as its cache (CACHE_URL=redis://), which is
   stopped: pages, signing in and signing out must work, /readyz must stay 200 and call the cache degraded.
   Then a new Redis is frozen (SIGSTOP): a page must still answer within 3 s.
6. exports through PgBouncer: PgBouncer in transaction mode, with two server connections, in front of the
   database, and the app with DISABLE_SERVER_SIDE_CURSORS=true: six CSV exports asked at once (each worker
   runs one at a time, the others retry) must each bring every employee, while list pages keep answering 200.
7. database down at startup: gunicorn starts while nothing listens on the database port. /healthz answers 200,
   /readyz 503, pages 503; then PostgreSQL starts on that port and, without a restart, /readyz and the pages
   recover by themselves.
8. read replica: a streaming replica of the drill database (pg_basebackup) serves the app's reads
   (DATABASE_REPLICA_URLS). With its replay paused (a lag that lasts), a person who adds someone finds them at
   once (read from the primary) while another reader does not yet; once the replica has caught up, that reader
   finds them on the next request (nothing stale outlives the lag). Then the replica stops: pages go on
   answering 200 from the primary, and /readyz stays 200, calling the replica degraded.
9. import during edits, and a worker killed: with a real job worker (manage.py db_worker), an import of 1,000
   people is previewed and confirmed while 20 editors change people of that file through the API: every change
   answered 200 must still be there at the end (an import never overwrites what changed since its preview: it
   is refused whole). Then another import's worker is killed (SIGKILL) mid-way: no row of it may be applied;
   the job shows as stalled, its owner retries it with a new worker, and every row is applied exactly once.

Usage: python tools/fault_drills.py [--port 8460] [--db-port 8450] [--redis-port 8452] [--bouncer-port 8453]
       [--replica-port 8454] [--seconds 12]
Prints a table and exits non-zero if a drill fails.
"""

import argparse
import contextlib
import glob
import html
import http.client
import io
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from PIL import Image

BASE_DIR = Path(__file__).resolve().parent.parent
PASSWORD = secrets.token_urlsafe(16)
CLIENTS = 4
PAUSE = 0.05  # seconds between a client's requests: a light load for a shared machine
THREADS = 16  # gunicorn.conf.py's default


def as_postgres(command):
    """Run a PostgreSQL server binary as the postgres user: the server refuses to run as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + command, check=True, capture_output=True, text=True)


class Cluster:
    """A PostgreSQL cluster of its own in a temporary folder: a new one, or a streaming replica of the cluster
    on ``primary_port``."""

    def __init__(self, folder, primary_port=None):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda path: int(path.split("/")[-2]))
        self.bin = Path(binaries[-1]) if binaries else Path(shutil.which("pg_ctl")).parent
        self.data = Path(folder, "replica" if primary_port else "data")
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        if primary_port:
            connection = ["-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
            as_postgres(
                [str(self.bin / "pg_basebackup"), "-D", str(self.data), *connection, "-R", "--no-sync"]
            )
            return
        self.data.mkdir()
        if os.geteuid() == 0:
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
                data = {"full_name": name, "job_title": "Drill", "location": "Madrid"}
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


def drill_database_frozen(app, cluster, seconds):
    postmaster = int(Path(cluster.data, "postmaster.pid").read_text().split()[0])
    probes = []

    def freeze():
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
        processes = [postmaster, *map(int, children)]
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
        try:
            thawed = time.monotonic() + 6
            while time.monotonic() < thawed:
                for path in ("/healthz", "/readyz"):
                    asked = time.monotonic()
                    status = app.get(path)[0]
                    probes.append((path, status, time.monotonic() - asked))
                time.sleep(0.25)
        finally:
            for pid in processes:
                os.kill(pid, signal.SIGCONT)

    load = Load(("127.0.0.1", app.port))
    _, thawed = load.run(seconds, 3, freeze)
    counts = summary(load.outcomes)
    healthz = [seconds for path, status, seconds in probes if path == "/healthz" and status == 200]
    readyz = [(status, seconds) for path, status, seconds in probes if path == "/readyz"]
    slowest = max(seconds for _, _, seconds in probes)
    checks = {
        f"/healthz 200 within 1 s throughout ({len(healthz)} probes)": len(healthz) * 2 == len(probes)
        and max(healthz) < 1,
        f"/readyz 503 within 2.5 s throughout (statuses {sorted({s for s, _ in readyz})}, slowest probe "
        f"{slowest:.1f} s)": {status for status, _ in readyz} == {503}
        and max(seconds for _, seconds in readyz) < 2.5,
        "no 500, no traceback": not counts["500"] and not counts["traceback"],
        "every request started after the thaw succeeded": all(
            200 <= o.status < 400 for o in load.outcomes if o.started > thawed
        ),
    }
    return counts, "every PostgreSQL process stopped (SIGSTOP) for 6 s under load", checks


def drill_worker_killed(app, seconds):
    load = Load(("127.0.0.1", app.port))
    victim = app.workers()[0]
    load.run(seconds, 3, lambda: os.kill(victim, signal.SIGKILL))
    counts = summary(load.outcomes)
    failed = counts["requests"] - counts["ok"]
    # With the workers on one shared socket (the default), another gunicorn cannot take the same port.
    second = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=BASE_DIR,
        env=app.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        second.wait(timeout=20)  # gunicorn tries to bind five times, a second apart, then exits
    except subprocess.TimeoutExpired:  # it is serving on the same port
        second.terminate()
        second.wait(timeout=30)
    checks = {
        f"failed requests ({failed}) at most the {THREADS} the worker had in flight": failed <= THREADS,
        "the master started a new worker": len(app.workers()) == 2 and victim not in app.workers(),
        "requests succeed afterwards": app.get("/healthz")[0] == 200,
        f"a second gunicorn on the same port refused to start (exit {second.returncode})": second.returncode
        != 0,
    }
    sockets = (
        "a socket per worker" if os.environ.get("GUNICORN_REUSE_PORT") == "true" else "one shared socket"
    )
    return counts, f"worker {victim} killed, {sockets}", checks


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


def hostile_jpeg(copies=2000):
    """A progressive JPEG with its smallest scan repeated: about 100 KB, of the kind that took minutes."""
    buffer = io.BytesIO()
    Image.radial_gradient("L").resize((1200, 1200)).convert("RGB").save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    starts = [match.start() for match in re.finditer(b"\xff\xda", data)]
    scans_found = zip(starts, [*starts[1:], len(data) - 2], strict=True)
    smallest = min(scans_found, key=lambda scan: scan[1] - scan[0])
    return data[:-2] + data[slice(*smallest)] * copies + b"\xff\xd9"


def upload_photo(port, cookies, path, photo):
    """POST ``photo`` to an edit form, as a browser would; the form's other fields are left out."""
    boundary = secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{cookies['csrftoken']}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="photo"; filename="photo.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "Host": "127.0.0.1",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", path, body, headers)
        return connection.getresponse().status
    except OSError:
        return 0
    finally:
        connection.close()


def reader_that_never_reads(port, cookies):
    """A connection that asks for the vCard export of everyone, then reads nothing."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    connection.sendall(
        f"GET /employees/export.vcf HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode()
    )
    return connection


def drill_one_account_against_the_site(app, seconds):
    client, cookies = Load(("127.0.0.1", app.port)), {}
    client.sign_in(cookies)
    _, page = client.request("GET", "/", cookies)
    person = re.search(r'href="(/employees/[0-9a-f-]{36}/)"', page).group(1)
    photo, uploads, latencies = hostile_jpeg(), [], []
    upload = lambda: uploads.append(upload_photo(app.port, cookies, f"{person}edit/", photo))  # noqa: E731
    threads = [threading.Thread(target=upload, daemon=True) for _ in range(10)]
    readers = [reader_that_never_reads(app.port, cookies) for _ in range(16)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        while time.monotonic() - started < seconds:
            asked = time.monotonic()
            status = app.get("/healthz")[0]
            latencies.append((time.monotonic() - asked) if status == 200 else float("inf"))
            time.sleep(0.25)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for reader in readers:
            reader.close()
    slowest = max(latencies)
    checks = {
        f"/healthz within 1 s throughout ({len(latencies)} probes, slowest {slowest:.2f} s)": slowest < 1,
        f"every upload answered, none saved: {sorted(set(uploads))}": len(uploads) == 10
        and set(uploads) <= {200},
        "pages served afterwards": client.request("GET", "/", cookies)[0].status == 200,
    }
    return {}, f"10 uploads of {len(photo) // 1024} KB JPEGs, 16 readers that never read", checks


def serving(command, port):
    """``command`` started, returned once it accepts connections on 127.0.0.1:``port``."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return server
        time.sleep(0.1)
    server.kill()
    raise SystemExit(f"{shlex.join(command)} did not start on port {port}.")


def redis_server(port):
    """A throwaway Redis on 127.0.0.1 that keeps nothing on disk."""
    return serving(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], port
    )


def pgbouncer(folder, port, db_port):
    """PgBouncer in transaction mode on 127.0.0.1:``port`` in front of the drill database, with two server
    connections for every client."""
    config = Path(folder, "pgbouncer.ini")
    config.write_text(
        f"""[databases]
drill = host=127.0.0.1 port={db_port} dbname=drill user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = 2
ignore_startup_parameters = options
logfile = {folder}/pgbouncer.log
"""
    )
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return serving([*prefix, shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", str(config)], port)


def drill_exports_through_pgbouncer(port, bouncer_port, db_port):
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{db_port}/drill") as db:
        people = db.execute("SELECT count(*) FROM employees_employee").fetchone()[0]
    app = App(port, f"postgres://postgres@127.0.0.1:{bouncer_port}/drill")
    app.env["DISABLE_SERVER_SIDE_CURSORS"] = "true"
    app.start()
    exports, pages = [], []
    try:
        client, cookies = Load(("127.0.0.1", port)), {}
        client.sign_in(cookies)

        def export():
            deadline = time.monotonic() + 90
            while (
                time.monotonic() < deadline
            ):  # one export at a time per worker: the others are told to retry
                response, body = client.request("GET", "/employees/export.csv", dict(cookies))
                if response.status != 429:
                    exports.append((response.status, len(body.splitlines()) - 1))
                    return
                time.sleep(0.5)

        threads = [threading.Thread(target=export, daemon=True) for _ in range(6)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            pages.append(client.request("GET", "/?sort=location", cookies)[0].status)
        for thread in threads:
            thread.join()
    finally:
        app.stop()
    checks = {
        f"6 CSV exports complete: {sorted(set(exports))} (status, rows) for {people} people": len(exports)
        == 6
        and set(exports) == {(200, people)},
        f"list pages during the exports: {pages.count(200)} of {len(pages)} answered 200": pages
        and set(pages) == {200},
    }
    return (
        {},
        "DISABLE_SERVER_SIDE_CURSORS=true, PgBouncer in transaction mode, two server connections",
        checks,
    )


def drill_cache_down_and_frozen(port, redis_port, database_url):
    redis = redis_server(redis_port)
    app = App(port, database_url)
    app.env["CACHE_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    app.start()
    try:
        client, reader = Load(("127.0.0.1", port)), {}
        client.sign_in(reader)
        redis.terminate()
        redis.wait(timeout=10)
        page_down = client.request("GET", "/", reader)[0].status
        other = {}
        try:
            client.sign_in(other)
            signed_in = True
        except SystemExit:
            signed_in = False
        logout = {"csrfmiddlewaretoken": other.get("csrftoken", "")}
        signed_out = signed_in and client.request("POST", "/accounts/logout/", other, logout)[0].status == 302
        ready, _, readiness = app.get("/readyz")
        redis = redis_server(redis_port)
        redis.send_signal(signal.SIGSTOP)
        started = time.monotonic()
        page_frozen = client.request("GET", "/", reader)[0].status
        frozen_seconds = time.monotonic() - started
        redis.send_signal(signal.SIGCONT)
    finally:
        app.stop()
        redis.kill()
        redis.wait(timeout=10)
    checks = {
        f"Redis down: a signed-in page {page_down}": page_down == 200,
        f"Redis down: signing in {'works' if signed_in else 'fails'}, signing out works": signed_in
        and signed_out,
        f"Redis down: /readyz {ready}, {readiness.strip()}": ready == 200 and '"degraded"' in readiness,
        f"Redis frozen: a page {page_frozen} in {frozen_seconds:.1f} s (within 3 s)": page_frozen == 200
        and frozen_seconds < 3,
    }
    return {}, "a throwaway Redis as the cache, stopped, then frozen with SIGSTOP", checks


def replica_caught_up(primary, replica):
    """Whether the replica has replayed everything the primary has written."""
    written = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    return replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [written]).fetchone()[0]


def drill_read_replica(folder, port, db_port, replica_port):
    replica = Cluster(folder, primary_port=db_port)
    replica.pg_ctl("start", replica_port)
    app = App(port, f"postgres://postgres@127.0.0.1:{db_port}/drill")
    app.env["DATABASE_REPLICA_URLS"] = f"postgres://postgres@127.0.0.1:{replica_port}/drill"
    app.start()
    try:
        primary = psycopg.connect(f"postgresql://postgres@127.0.0.1:{db_port}/drill", autocommit=True)
        standby = psycopg.connect(f"postgresql://postgres@127.0.0.1:{replica_port}/drill", autocommit=True)
        load, writer, reader = Load(("127.0.0.1", port)), {}, {}
        load.sign_in(writer)
        load.sign_in(reader)
        reader.pop("read_primary", None)  # signing in was this reader's last write: let the pin go
        pages = [load.request("GET", "/?q=drill", reader)[0].status for _ in range(5)]
        app_connections = standby.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = 'drill' AND pid <> pg_backend_pid()"
        ).fetchone()[0]

        standby.execute("SELECT pg_wal_replay_pause()")
        name = f"Replica drill {secrets.token_hex(3)}"
        new = {"full_name": name, "job_title": "Drill", "location": "Madrid"}
        created = load.request(
            "POST", "/employees/new/", writer, new | {"csrfmiddlewaretoken": writer["csrftoken"]}
        )
        # Found: the search lists a link to the person's page (the search box repeats the name either way).
        search, page = f"/?q={urllib.parse.quote(name)}", f'href="{created[0].getheader("Location")}"'
        writer_finds = page in load.request("GET", search, writer)[1]
        reader_finds_during_lag = page in load.request("GET", search, reader)[1]
        standby.execute("SELECT pg_wal_replay_resume()")
        resumed = time.monotonic()
        while not replica_caught_up(primary, standby) and time.monotonic() - resumed < 30:
            time.sleep(0.05)
        lag = time.monotonic() - resumed
        reader_finds_after = page in load.request("GET", search, reader)[1]
        standby.close()
        primary.close()

        replica.pg_ctl("stop")
        down = [load.request("GET", "/?q=drill", reader)[0].status for _ in range(10)]
        ready, _, readiness = app.get("/readyz")
    finally:
        app.stop()
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            replica.pg_ctl("stop", mode="immediate")
    checks = {
        f"reads from the replica: pages {sorted(set(pages))}, {app_connections} app connections on it": set(
            pages
        )
        == {200}
        and app_connections > 0,
        f"replay paused: the writer {'finds' if writer_finds else 'does not find'} the person added "
        f"({created[0].status}), the other reader {'finds' if reader_finds_during_lag else 'does not'} yet": (
            created[0].status == 302 and writer_finds and not reader_finds_during_lag
        ),
        f"caught up {lag:.2f} s after the replay resumed: the reader "
        f"{'finds' if reader_finds_after else 'does not find'} them on the next request": reader_finds_after,
        f"replica stopped: {down.count(200)} of {len(down)} pages 200 from the primary": set(down) == {200},
        f"replica stopped: /readyz {ready}, {readiness.strip()}": ready == 200
        and '"replica1": "degraded"' in readiness,
    }
    return {}, "a streaming replica made with pg_basebackup, DATABASE_REPLICA_URLS naming it", checks


def multipart(fields, files):
    """A multipart/form-data body and its content type."""
    boundary = secrets.token_hex(16)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: text/csv\r\n\r\n{content}\r\n"
        for name, (filename, content) in files.items()
    ]
    return "".join(parts) + f"--{boundary}--\r\n", f"multipart/form-data; boundary={boundary}"


def import_job(load, cookies, db, title):
    """Preview and confirm, in the admin, an import that gives the first 1,000 people (by name) ``title``;
    the job's id once queued."""
    people = db.execute(
        "SELECT id, full_name, location FROM employees_employee ORDER BY full_name LIMIT 1000"
    )
    rows = "".join(f"{pk},{name},{title},{location},\r\n" for pk, name, location in people.fetchall())
    load.request("GET", "/admin/employees/employee/import/", cookies)
    body, content_type = multipart(
        {"csrfmiddlewaretoken": cookies["csrftoken"], "format": "0"},
        {"import_file": ("people.csv", f"id,full_name,job_title,location,badges\r\n{rows}")},
    )
    connection = http.client.HTTPConnection(*load.base, timeout=120)
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "Content-Type": content_type}
    connection.request("POST", "/admin/employees/employee/import/", body.encode(), headers)
    preview = connection.getresponse().read().decode()
    connection.close()
    confirm = re.search(r"<form[^>]*process_import[^>]*>(.*?)</form>", preview, re.S)
    if confirm is None:
        raise SystemExit("The import's preview has no confirmation form.")
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.group(1)))
    hidden = {key: html.unescape(value) for key, value in hidden.items()}
    response, _ = load.request("POST", "/admin/employees/employee/process_import/", cookies, hidden)
    if response.status != 302:
        raise SystemExit(f"Confirming the import answered {response.status}.")
    return db.execute("SELECT id FROM employees_job ORDER BY created_at DESC LIMIT 1").fetchone()[0]


def job_state(db, job):
    return db.execute("SELECT status, rows_done FROM employees_job WHERE id = %s", [job]).fetchone()


def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def drill_import_during_edits(port, database_url):
    app = App(port, database_url)
    app.env.update(TASKS_EAGER="false", JOBS_STALLED_AFTER="3")
    worker_command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]

    def start_worker():
        return subprocess.Popen(
            worker_command, cwd=BASE_DIR, env=app.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    app.start()
    worker = start_worker()
    db = psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True)
    try:
        load, cookies = Load(("127.0.0.1", port)), {}
        load.sign_in(cookies)
        first = import_job(load, cookies, db, "Imported title")
        edited = [
            row[0] for row in db.execute("SELECT id FROM employees_employee ORDER BY full_name LIMIT 20")
        ]
        saved, refused = {}, []

        def editor(number, pk):
            _, body = load.request("GET", f"/api/v1/employees/{pk}/", dict(cookies))
            change = {"job_title": f"Edited by editor {number}", "version": json.loads(body)["version"]}
            connection = http.client.HTTPConnection(*load.base, timeout=60)
            headers = {
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "Host": "127.0.0.1",
                "Content-Type": "application/json",
                "X-CSRFToken": cookies["csrftoken"],
            }
            connection.request("PATCH", f"/api/v1/employees/{pk}/", json.dumps(change), headers)
            status = connection.getresponse().status
            connection.close()
            (saved.__setitem__(pk, change["job_title"]) if status == 200 else refused.append(status))

        threads = [threading.Thread(target=editor, args=(n, pk)) for n, pk in enumerate(edited)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(lambda: job_state(db, first)[0] in {"done", "failed"}, 120)
        first_status = job_state(db, first)[0]
        titles = dict(db.execute("SELECT id, job_title FROM employees_employee WHERE id = ANY(%s)", [edited]))
        lost = [pk for pk, title in saved.items() if titles[pk] != title]

        second = import_job(load, cookies, db, "Second import")
        reached = wait_for(lambda: (job_state(db, second)[1] or 0) >= 50, 60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        applied = "SELECT count(*) FROM employees_employee WHERE job_title = 'Second import'"
        half = db.execute(applied).fetchone()[0]
        time.sleep(4)  # JOBS_STALLED_AFTER: no progress for 3 s
        worker = start_worker()
        retried, _ = load.request(
            "POST", f"/jobs/{second}/retry/", cookies, {"csrfmiddlewaretoken": cookies["csrftoken"]}
        )
        wait_for(lambda: job_state(db, second)[0] in {"done", "failed"}, 120)
        second_status = job_state(db, second)[0]
        whole = db.execute(applied).fetchone()[0]
    finally:
        worker.kill()
        worker.wait(timeout=30)
        app.stop()
        db.close()
    checks = {
        f"20 editors during the import: {len(saved)} saved, refused {sorted(refused)}; "
        f"the import {first_status}": len(saved) + len(refused) == 20 and first_status in {"done", "failed"},
        f"every saved change still there ({len(lost)} overwritten)": saved and not lost,
        f"worker killed at {'row 50 or later' if reached else 'an unknown row'}: {half} rows applied": reached
        and half == 0,
        f"retried once stalled ({retried.status}): {second_status}, {whole} of 1,000 rows applied": (
            second_status == "done" and whole == 1000
        ),
    }
    return (
        {},
        "a real db_worker; 1,000-row imports; 20 editors through the API; SIGKILL of the worker",
        checks,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8460, help="gunicorn port on 127.0.0.1")
    parser.add_argument("--db-port", type=int, default=8450, help="throwaway PostgreSQL port on 127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=8452, help="throwaway Redis port on 127.0.0.1")
    parser.add_argument(
        "--bouncer-port", type=int, default=8453, help="throwaway PgBouncer port on 127.0.0.1"
    )
    parser.add_argument(
        "--replica-port", type=int, default=8454, help="throwaway PostgreSQL replica port on 127.0.0.1"
    )
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
            app.manage("collectstatic", "--no-input", "-v0")  # pages name hashed static files
            app.env.update(DJANGO_SUPERUSER_USERNAME="drill", DJANGO_SUPERUSER_PASSWORD=PASSWORD)
            app.manage("createsuperuser", "--no-input", "--email", "drill@example.com")
            app.manage("seed_employees", "--count", "3000", "--seed", "1")
            app.start()
            try:
                results.append(
                    ("1 database restart", *drill_database_restart(app, cluster, args.db_port, args.seconds))
                )
                results.append(("2 worker killed", *drill_worker_killed(app, args.seconds)))
                results.append(
                    ("3 one account against the site", *drill_one_account_against_the_site(app, args.seconds))
                )
                results.append(("4 database frozen", *drill_database_frozen(app, cluster, args.seconds)))
            finally:
                app.stop()
            results.append(
                (
                    "5 cache down, then frozen",
                    *drill_cache_down_and_frozen(args.port, args.redis_port, app.env["DATABASE_URL"]),
                )
            )
            bouncer = pgbouncer(folder, args.bouncer_port, args.db_port)
            try:
                results.append(
                    (
                        "6 exports through PgBouncer",
                        *drill_exports_through_pgbouncer(args.port, args.bouncer_port, args.db_port),
                    )
                )
            finally:
                bouncer.terminate()
                bouncer.wait(timeout=30)
            results.append(
                ("8 read replica", *drill_read_replica(folder, args.port, args.db_port, args.replica_port))
            )
            results.append(
                (
                    "9 import during edits, worker killed",
                    *drill_import_during_edits(
                        args.port, f"postgres://postgres@127.0.0.1:{args.db_port}/drill"
                    ),
                )
            )
            cluster.pg_ctl("stop")
            # Drill 7: the app points at a port where nothing listens; the cluster then starts on that port.
            database_url = f"postgres://postgres@127.0.0.1:{down_port}/drill"
            results.append(
                (
                    "7 database down at startup",
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
