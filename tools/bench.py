"""Load-test the directory as readers use it: many different searches and list pages, none seen before.

    python tools/bench.py                                  # PostgreSQL 100k and 1M employees
    python tools/bench.py --sizes 100000 --seconds 20      # a quicker run
    python tools/bench.py --app /tmp/old --db-suffix old   # the same measurements of another checkout

Each size has its own database (`<postgres-url>_100k`, …), seeded once with `seed_employees --seed 1` and
kept for the next run. Gunicorn serves the app as gunicorn.conf.py configures it, in production mode, with
the cache turned off (CACHE_URL=dummycache://: sessions come from the database) unless --cache-url says
otherwise.

The mix is 6,000 distinct list and search addresses drawn at random from the directory's own data: names,
parts of names, misspelt names, locations, job words, sort orders and later pages. It measures, per size:
- wrk at 20 concurrent clients over the mix, against wrk on /healthz in the same run: requests a second,
  ratio, p50 and p99 latency;
- one client alone: searches and list pages of the mix not requested before, p50 and p95;
- in process: the list template rendered for a page of 25 rows, and the CSV export streamed, in rows a
  second.
It prints a table and writes it into docs/PERFORMANCE.md between the bench markers.
"""

import argparse
import http.client
import json
import os
import platform
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
USERNAME, PASSWORD = "bench-reader", secrets.token_urlsafe(16)
MIX_SIZE = 6000
CLIENTS = 20
SORTS = ["name", "-name", "title", "-title", "location", "-location"]

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads * math.floor(#paths / 2))
  threads[#threads + 1] = thread
end
function request()
  counter = counter + 1
  local path = paths[(offset + counter) % #paths + 1]
  return wrk.format("GET", path, {Cookie = os.getenv("BENCH_COOKIE")})
end
function done(summary, latency, requests)
  io.write(string.format('{"requests": %d, "errors": %d, "p50": %f, "p99": %f}\\n', summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""

# Run by `manage.py shell` in the app: the list template alone, for a page of 25 rows.
RENDER_SCRIPT = """
import json, statistics, time
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import RequestFactory
from employees.views import EmployeeListView
request = RequestFactory().get("/", {"sort": "title", "page": "3"})
request.user = User.objects.get(username=%(username)r)
view = EmployeeListView(request=request, args=(), kwargs={})
view.setup(request)
view.object_list = view.get_queryset()
context = view.get_context_data()
context["employees"] = list(context["employees"])
render_to_string(view.template_name, context, request)  # and whatever it reads lazily
renders = []
for _ in range(60):
    started = time.perf_counter()
    render_to_string(view.template_name, context, request)
    renders.append((time.perf_counter() - started) * 1000)
print(json.dumps({"render_ms": statistics.median(renders[10:])}))
"""

# The CSV export of the whole directory, streamed to a signed-in reader.
EXPORT_SCRIPT = """
import json, time
from django.contrib.auth.models import User
from django.test import Client
client = Client()
client.force_login(User.objects.get(username=%(username)r))
started = time.perf_counter()
response = client.get("/employees/export.csv")
rows = sum(chunk.count(b"\\n") for chunk in response.streaming_content) - 1
print(json.dumps({"export_rows": rows, "export_rows_per_s": rows / (time.perf_counter() - started)}))
"""


def log(message):
    print(message, file=sys.stderr, flush=True)


class App:
    """The app at ``folder`` on one database, run with its own manage.py and gunicorn.conf.py."""

    def __init__(self, folder, env, port):
        self.folder, self.env, self.port = folder, env, port
        self.python = (
            str(folder / ".venv" / "bin" / "python") if (folder / ".venv").exists() else sys.executable
        )
        self.process = None

    def manage(self, *args, capture=False):
        result = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=self.folder,
            env=self.env,
            check=True,
            text=True,
            capture_output=capture,
        )
        return result.stdout

    def __enter__(self):
        gunicorn = str(Path(self.python).with_name("gunicorn"))
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py"], cwd=self.folder, env=env, stdout=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)

    def get(self, path, cookie=None, connection=None):
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read(), response

    def sign_in(self):
        _, body, response = self.get("/accounts/login/")
        csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        form = urllib.parse.urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
        }
        connection.request("POST", "/accounts/login/", body=form, headers=headers)
        response = connection.getresponse()
        response.read()
        session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
        if response.status != 302 or not session:
            raise RuntimeError(f"could not sign in (HTTP {response.status})")
        return f"sessionid={session.group(1)}"


def prepare_database(app, url, size, reseed):
    """Create, migrate and seed the database once; later runs reuse it."""
    admin = urllib.parse.urlparse(url)._replace(path="/postgres").geturl()
    name = urllib.parse.urlparse(url).path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or reseed:
            connection.execute(f'CREATE DATABASE "{name}"')
    app.manage("migrate", "--no-input", "-v0")
    with psycopg.connect(url) as connection:
        count = connection.execute("SELECT count(*) FROM employees_employee").fetchone()[0]
    if count != size:
        log(f"   seeding {size:,} employees (kept for later runs)")
        started = time.monotonic()
        app.manage("seed_employees", "--count", str(size), "--clear", "--seed", "1", "-v0")
        log(f"   seeded in {time.monotonic() - started:.0f} s")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
        # A directory in use has its tables and indexes in memory: read them once, so that the first requests
        # do not measure the disk.
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        connection.execute(
            "SELECT pg_prewarm(c.oid::regclass) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
        )
    app.manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.filter(username={USERNAME!r}).delete();"
        f" User.objects.create_user({USERNAME!r}, password={PASSWORD!r})",
    )


def misspell(rng, word):
    """``word`` with one typo: two letters swapped, one dropped or one doubled."""
    if len(word) < 5:
        return word
    position = rng.randrange(1, len(word) - 2)
    kind = rng.choice(["swap", "drop", "double"])
    if kind == "swap":
        return word[:position] + word[position + 1] + word[position] + word[position + 2 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    return word[:position] + word[position] + word[position:]


def mix(url, seed=1):
    """MIX_SIZE distinct list and search addresses, from the directory's own names, places and titles."""
    with psycopg.connect(url) as connection:
        connection.execute("SELECT setseed(0.42)")
        people = connection.execute(
            "SELECT full_name, job_title, location FROM employees_employee ORDER BY random() LIMIT 4000"
        ).fetchall()
    rng = random.Random(seed)  # noqa: S311 (a benchmark's choices, not secrets)
    names = [name for name, _, _ in people]
    words = [word for name in names for word in name.split()]
    title_words = sorted({word for _, title, _ in people for word in title.split()})
    locations = sorted({location for _, _, location in people})
    kinds = {
        "name": lambda: {"q": rng.choice(names)},
        "part of a name": lambda: {"q": rng.choice(words)[: rng.randint(3, 6)]},
        "misspelt name": lambda: {"q": " ".join(misspell(rng, word) for word in rng.choice(names).split())},
        "location": lambda: {"q": rng.choice(locations)},
        "job word": lambda: {"q": rng.choice(title_words)},
        "name and job word": lambda: {"q": f"{rng.choice(words)} {rng.choice(title_words)}"},
        "sort order": lambda: {"sort": rng.choice(SORTS), "page": rng.randint(1, 40)},
        "later page": lambda: {"q": rng.choice(title_words), "page": rng.randint(2, 10)},
        "filter": lambda: {
            "location": rng.choice(locations),
            "sort": rng.choice(SORTS),
            "page": rng.randint(1, 5),
        },
    }
    paths = {}
    while len(paths) < MIX_SIZE:
        kind = rng.choice(list(kinds))
        paths.setdefault("/?" + urllib.parse.urlencode(kinds[kind]()), kind)
    return paths


def wrk(url, seconds, cookie=None, paths_file=None, script=None):
    command = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", "10s", url]
    env = {**os.environ, "BENCH_COOKIE": cookie or "", "BENCH_PATHS": str(paths_file or "")}
    if script:
        command[1:1] = ["-s", str(script)]
        output = subprocess.run(command, check=True, text=True, capture_output=True, env=env).stdout
        result = json.loads(output.strip().splitlines()[-1])
        return {**result, "rps": result["requests"] / seconds}
    output = subprocess.run(command, check=True, text=True, capture_output=True, env=env).stdout
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}


def timed(app, paths, cookie):
    """One client: each path requested once, on one kept-alive connection; milliseconds each."""
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    timings = []
    for path in paths:
        started = time.perf_counter()
        status, _, _ = app.get(path, cookie, connection)
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
    return timings


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def measure(app, url, size, args, work):
    log(f"== PostgreSQL, {size:,} employees")
    prepare_database(app, url, size, args.reseed)
    paths = mix(url)
    searches = [path for path, kind in paths.items() if "q=" in path and kind != "later page"]
    lists = [path for path, kind in paths.items() if kind in {"sort order", "filter"}]
    # One client gets its own addresses, requested by nobody before it: the load below uses the others.
    alone_searches, alone_lists = searches[:300], lists[:200]
    loaded = [path for path in paths if path not in {*alone_searches, *alone_lists}]
    paths_file = work / f"paths-{size}.txt"
    paths_file.write_text("\n".join(loaded) + "\n")
    script = work / "mix.lua"
    script.write_text(WRK_SCRIPT)
    result = {}
    with app:
        cookie = app.sign_in()
        base = f"http://127.0.0.1:{app.port}"
        timed(app, ["/", "/healthz"], cookie)
        log("   one client: searches and list pages not requested before")
        result["search"] = timed(app, alone_searches, cookie)
        result["list"] = timed(app, alone_lists, cookie)
        if size <= 100_000:
            log(f"   wrk, {CLIENTS} clients: /healthz, the mix, /healthz")
            bare = [wrk(f"{base}/healthz", args.seconds // 2)]
            result["mix"] = wrk(base, args.seconds, cookie, paths_file, script)
            bare.append(wrk(f"{base}/healthz", args.seconds // 2))
            result["bare_rps"] = statistics.mean(run["rps"] for run in bare)
    if size <= 100_000:
        for script in (RENDER_SCRIPT, EXPORT_SCRIPT):
            try:
                output = app.manage(
                    "shell", "--no-imports", "-c", script % {"username": USERNAME}, capture=True
                )
            except subprocess.CalledProcessError as error:  # another checkout's views may differ
                log(f"   in-process step failed: {error.stderr.strip().splitlines()[-1]}")
                continue
            result |= json.loads(output.strip().splitlines()[-1])
    result["mix_requests"] = len(loaded)
    return result


def rows(results):
    def cell(name, format_):
        return [format_(results[size]) if name in results[size] else "" for size in results]

    return [
        (
            "mix req/s ÷ /healthz req/s, 20 clients",
            "≥ 0.10",
            cell(
                "mix",
                lambda r: (
                    f"{r['mix']['rps']:.0f} ÷ {r['bare_rps']:.0f} = {r['mix']['rps'] / r['bare_rps']:.3f}"
                ),
            ),
        ),
        (
            "mix p50 / p99 at 20 clients (ms)",
            "p99 ≤ 300",
            cell("mix", lambda r: f"{r['mix']['p50']:.0f} / {r['mix']['p99']:.0f}"),
        ),
        ("mix errors (non-2xx, timeouts)", "0", cell("mix", lambda r: str(r["mix"]["errors"]))),
        (
            "one client, search not seen before, p50 / p95 (ms)",
            "≤ 15 / 40 (100k), ≤ 30 / 80 (1M)",
            cell(
                "search",
                lambda r: f"{statistics.median(r['search']):.1f} / {percentile(r['search'], 0.95):.1f}",
            ),
        ),
        (
            "one client, list page not seen before, p50 (ms)",
            "≤ 10 (100k)",
            cell("list", lambda r: f"{statistics.median(r['list']):.1f}"),
        ),
        (
            "list template, 25 rows, rendered alone (ms)",
            "≤ 3",
            cell("render_ms", lambda r: f"{r['render_ms']:.2f}"),
        ),
        (
            "CSV export, streamed (rows/s)",
            "≥ 20,000",
            cell("export_rows_per_s", lambda r: f"{r['export_rows_per_s']:,.0f} ({r['export_rows']:,} rows)"),
        ),
    ]


def table(results):
    names = [f"PG {size // 1000:,}k" for size in results]
    lines = ["| figure | target | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    lines += [f"| {label} | {target} | " + " | ".join(cells) + " |" for label, target, cells in rows(results)]
    return "\n".join(lines)


def machine():
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return (
        f"{os.cpu_count()} cores ({cpu.group(1) if cpu else platform.processor()}), Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f} when the run started"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/bench_directory")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seconds", type=int, default=30, help="seconds of the mix under load (default 30)")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--app", type=Path, default=ROOT, help="the checkout to measure (default this one)")
    parser.add_argument(
        "--db-suffix", default="", help="appended to the databases' names, for another checkout"
    )
    parser.add_argument(
        "--cache-url", default="dummycache://", help="the app's CACHE_URL (default: no cache)"
    )
    parser.add_argument("--reseed", action="store_true", help="create and seed the databases again")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args()
    started, about = datetime.now(UTC), machine()
    results = {}
    with tempfile.TemporaryDirectory(prefix="directory-bench-") as folder:
        work = Path(folder)
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "CACHE_URL": args.cache_url,
            "DJANGO_SETTINGS_MODULE": "directory_site.settings",
            "AXES_ENABLED": "false",
        }
        App(args.app.resolve(), env, args.port).manage("collectstatic", "--no-input", "-v0")
        for size in args.sizes:
            url = f"{args.postgres_url}_{size // 1000}k{args.db_suffix}"
            app = App(args.app.resolve(), {**env, "DATABASE_URL": url}, args.port)
            results[size] = measure(app, url, size, args, work)
    command = "python tools/bench.py " + " ".join(sys.argv[1:])
    print(table(results))
    if args.no_write:
        return
    report = "\n".join(
        [
            MARKERS[0],
            f"Measured {started:%Y-%m-%d %H:%M} UTC with `{command.strip()}`.",
            f"Machine: {about}.",
            "",
            table(results),
            MARKERS[1],
        ]
    )
    text = args.output.read_text()
    start, end = text.index(MARKERS[0]), text.index(MARKERS[1]) + len(MARKERS[1])
    args.output.write_text(text[:start] + report + text[end:])
    log(f"Written to {args.output}")


if __name__ == "__main__":
    main()
