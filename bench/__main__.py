"""Load-test the directory as it runs in production: gunicorn with gunicorn.conf.py, on PostgreSQL and SQLite.

    python -m bench                       # PostgreSQL 100k and 1M employees, SQLite 100k
    python -m bench --sizes 100000        # a quicker run

For each database and size it seeds the employees, starts gunicorn on 127.0.0.1, signs in, then measures with
wrk (a bare view and the list page at 100 concurrent clients), times 50 searches and the first and last pages
from one client, counts the SQL queries of a list page and reads each worker's memory. It prints a table and
writes it into docs/PERFORMANCE.md between the bench markers. Every load is bounded in time.
"""

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKERS = ("<!-- bench:start -->", "<!-- bench:end -->")
USERNAME = "bench-reader"
PASSWORD = secrets.token_urlsafe(16)

# Short, long, accented, unaccented, misspelt, multi-word, title, location and badge queries.
QUERIES = [
    "ana",
    "jose",
    "josé",
    "garcia",
    "garcía",
    "müller",
    "muller",
    "zoë",
    "zoe",
    "łukasz",
    "lukasz",
    "søren",
    "o'brien",
    "rodrigez",
    "fernandes",
    "jonh smith",
    "mohamed",
    "sebastian",
    "nakamura",
    "wisniewski",
    "eng",
    "engineer",
    "enginer",
    "senior data",
    "lead security",
    "product",
    "payroll",
    "counsel",
    "recruiter",
    "architect",
    "madrid",
    "zurich",
    "zürich",
    "são paulo",
    "sao paulo",
    "malmo",
    "krakow",
    "reykjavik",
    "new york",
    "montreal",
    "coffee",
    "gamer",
    "coffee snob",
    "ana garcía madrid",
    "maría lópez",
    "kenji tanaka tokyo",
    "head of people",
    "principal ux researcher",
    "customer success manager london",
    "zz",
]
assert len(QUERIES) == 50  # noqa: S101 (a fixed list, checked once)


def log(message):
    print(message, file=sys.stderr, flush=True)


def manage(env, *args, capture=False):
    command = [sys.executable, "manage.py", *args]
    result = subprocess.run(command, cwd=ROOT, env=env, check=True, text=True, capture_output=capture)  # noqa: S603
    return result.stdout


def ensure_postgres_database(url):
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
        name = urllib.parse.urlparse(url).path.lstrip("/")
        admin_url = urllib.parse.urlparse(url)._replace(path="/template1").geturl()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')


class Server:
    def __init__(self, env, port):
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.port = port
        self.process = None

    def __enter__(self):
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(  # noqa: S603
            [gunicorn, "-c", "gunicorn.conf.py"], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL
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
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read(), response

    def sign_in(self):
        _status, body, response = self.get("/accounts/login/")
        csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie")).group(1)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        form = urllib.parse.urlencode(
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        connection.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf_cookie}",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
            },
        )
        response = connection.getresponse()
        response.read()
        session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
        if response.status != 302 or not session:
            raise RuntimeError(f"could not sign in (HTTP {response.status})")
        return f"sessionid={session.group(1)}"

    def worker_rss_mib(self):
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        sizes = []
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
        return sizes


def wrk(url, duration, cookie=None):
    command = ["wrk", "-t2", "-c100", f"-d{duration}s", "--timeout", "10s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, check=True, text=True, capture_output=True, timeout=duration + 60).stdout  # noqa: S603
    latency = {
        percent: to_ms(value, unit)
        for percent, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


def alternating_wrk(base, cookie, duration, rounds=2):
    """The bare view and the list page, in turns, ``duration`` seconds each in all.

    On a machine shared with other jobs the load changes from one second to the next: taking turns makes such
    a change weigh on both sides of their ratio alike. Requests per second are averaged over the turns;
    latencies are the worst turn's.
    """
    bare, listing = [], []
    for _ in range(rounds):
        bare.append(wrk(f"{base}/healthz", duration // rounds))
        listing.append(wrk(f"{base}/", duration // rounds, cookie))

    def combined(runs):
        return {
            "rps": statistics.mean(run["rps"] for run in runs),
            "p50": max(run["p50"] for run in runs),
            "p99": max(run["p99"] for run in runs),
            "errors": sum(run["errors"] for run in runs),
        }

    return combined(bare), combined(listing)


def to_ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def timed_gets(server, paths, cookie, repeat):
    """Sequential GETs on one keep-alive connection; returns (first latency per path, all later latencies)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    first, later = [], []
    for path in paths:
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            status, _, _ = server.get(path, cookie, connection)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
            (first if attempt == 0 else later).append(elapsed)
    return first, later


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


QUERY_COUNT_SCRIPT = """
import json
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
client.force_login(User.objects.get(username="%s"))
counts = {}
for name, path in [("list", "/"), ("search", "/?q=garcia"), ("last", "/?page=last&location=Madrid")]:
    for attempt in ("first", "later"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts[f"{name} {attempt}"] = len(queries)
print(json.dumps(counts))
"""

# The database's part of a first-time search, in process and with nothing cached: the one query that matches
# and counts, then the first page's rows and badges, as EmployeeListView does; and, alone, the SQL that finds
# the matches the counts count (the least any first-time search costs).
SEARCH_SQL_SCRIPT = """
import json, time
from django.conf import settings
from django.db import connection
from employees.filters import EmployeeFilter
from employees.models import Employee
timings, finding = [], []
for query in json.loads(%r):
    started = time.perf_counter()
    filterset = EmployeeFilter({"q": query}, queryset=Employee.objects.for_list())
    filterset.counted
    list(filterset.first_found(filterset.qs)[:25])
    timings.append((time.perf_counter() - started) * 1000)
    matches = Employee.objects.first_found(query, settings.SEARCH_MATCH_LIMIT + 1, "id")
    sql, params = matches.query.sql_with_params()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        finding.append((time.perf_counter() - started) * 1000)
print(json.dumps([timings, finding]))
"""


def measure(name, env, size, args):
    log(f"== {name}, {size:,} employees")
    manage(env, "migrate", "--no-input", "-v0")
    started = time.monotonic()
    manage(env, "seed_employees", "--count", str(size), "--clear", "--seed", "1", "-v0")
    seeded = time.monotonic() - started
    # The seed leaves its rows to be vacuumed: done now, timed on its own, so that autovacuum and the first
    # reads' hint bits do not weigh on the measurements below, as they would not on a settled directory.
    started = time.monotonic()
    if env["DATABASE_URL"].startswith("postgres"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
            connection.execute("VACUUM (ANALYZE)")
    vacuumed = time.monotonic() - started
    manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        f"from django.contrib.auth.models import User; User.objects.filter(username={USERNAME!r}).delete();"
        f" User.objects.create_user({USERNAME!r}, password={PASSWORD!r})",
    )
    shutil.rmtree(env["BENCH_CACHE_DIR"], ignore_errors=True)
    output = manage(
        {**env, "ALLOWED_HOSTS": "testserver"},
        "shell",
        "--no-imports",
        "-c",
        QUERY_COUNT_SCRIPT % USERNAME,
        capture=True,
    )
    counts = json.loads(output.strip().splitlines()[-1])
    output = manage(
        {**env, "CACHE_URL": "dummycache://"},
        "shell",
        "--no-imports",
        "-c",
        SEARCH_SQL_SCRIPT % json.dumps(QUERIES),
        capture=True,
    )
    search_sql, search_finding = json.loads(output.strip().splitlines()[-1])
    with Server(env, args.port) as server:
        cookie = server.sign_in()
        timed_gets(server, ["/", "/?page=last"], cookie, 3)  # warm up each worker's caches
        base = f"http://127.0.0.1:{args.port}"
        log("   wrk: bare view, list page")
        bare, listing = alternating_wrk(base, cookie, args.duration)
        log("   searches, first and last pages")
        paths = ["/?" + urllib.parse.urlencode({"q": query}) for query in QUERIES]
        search_first, search_later = timed_gets(server, paths, cookie, 3)
        # The same pages again under a new address: their counts are cached, their rows read and rendered.
        search_rendered, _ = timed_gets(server, [f"{path}&n=1" for path in paths], cookie, 0)
        # The list page's content is cached per address: an unused parameter makes each address new, so
        # these pages are read and rendered every time (their counts stay cached).
        # First and last pages in turns, for the same reason as alternating_wrk.
        paths = [f"/?{page}n={n}" for n in range(20) for page in ("", "page=last&")]
        pages, _ = timed_gets(server, paths, cookie, 0)
        first_page, last_page = pages[::2], pages[1::2]
        rss = server.worker_rss_mib()
    return {
        "seed_s": seeded,
        "vacuum_s": vacuumed,
        "bare_rps": bare["rps"],
        "list_rps": listing["rps"],
        "ratio": listing["rps"] / bare["rps"],
        "list_p50": listing["p50"],
        "list_p99": listing["p99"],
        "bare_p50": bare["p50"],
        "bare_p99": bare["p99"],
        "errors": bare["errors"] + listing["errors"],
        "search_p50": statistics.median(search_later),
        "search_p95": percentile(search_later, 0.95),
        "search_first_p50": statistics.median(search_first),
        "search_first_p95": percentile(search_first, 0.95),
        "first_page": statistics.median(first_page),
        "last_page": statistics.median(last_page),
        "search_rendered_p50": statistics.median(search_rendered),
        "search_rendered_p95": percentile(search_rendered, 0.95),
        "search_sql_p50": statistics.median(search_sql),
        "search_sql_p95": percentile(search_sql, 0.95),
        "search_finding_p50": statistics.median(search_finding),
        "search_finding_p95": percentile(search_finding, 0.95),
        "queries": counts,
        "rss": rss,
    }


ROWS = [
    ("seed (s)", "< 60 (PG 1M)", lambda r: f"{r['seed_s']:.1f}"),
    ("then VACUUM (ANALYZE) (s)", "", lambda r: f"{r['vacuum_s']:.1f}" if r["vacuum_s"] > 0.01 else "n/a"),
    ("bare view req/s", "", lambda r: f"{r['bare_rps']:.0f}"),
    ("list page req/s (page kept)", "", lambda r: f"{r['list_rps']:.0f}"),
    ("list ÷ bare", "≥ 0.30", lambda r: f"{r['ratio']:.2f}"),
    (
        "list p50 / p99 at 100 clients (ms)",
        "p99 ≤ 250",
        lambda r: f"{r['list_p50']:.0f} / {r['list_p99']:.0f}",
    ),
    (
        "bare view p50 / p99 at 100 clients (ms)",
        "",
        lambda r: f"{r['bare_p50']:.0f} / {r['bare_p99']:.0f}",
    ),
    ("non-2xx responses under load", "0", lambda r: str(r["errors"])),
    (
        "search p50 / p95, repeated: page cached (ms)",
        "",
        lambda r: f"{r['search_p50']:.1f} / {r['search_p95']:.1f}",
    ),
    (
        "search p50 / p95, first time: nothing cached (ms)",
        "≤ 15 / ≤ 50 (PG 1M)",
        lambda r: f"{r['search_first_p50']:.1f} / {r['search_first_p95']:.1f}",
    ),
    (
        "same first searches without rendering or HTTP, in process (ms)",
        "",
        lambda r: f"{r['search_sql_p50']:.1f} / {r['search_sql_p95']:.1f}",
    ),
    (
        "of which the SQL that finds the matches counted, alone (ms)",
        "",
        lambda r: f"{r['search_finding_p50']:.1f} / {r['search_finding_p95']:.1f}",
    ),
    (
        "same searches' pages again: counts cached, page read and rendered (ms)",
        "",
        lambda r: f"{r['search_rendered_p50']:.1f} / {r['search_rendered_p95']:.1f}",
    ),
    (
        "first page / last page, not cached (ms)",
        "",
        lambda r: f"{r['first_page']:.1f} / {r['last_page']:.1f}",
    ),
    ("last ÷ first page", "≤ 1.5", lambda r: f"{r['last_page'] / r['first_page']:.2f}"),
    (
        "SQL queries: list, search, last page (repeat)",
        "≤ 4",
        lambda r: ", ".join(str(r["queries"][f"{n} later"]) for n in ("list", "search", "last")),
    ),
    (
        "SQL queries: same, first time",
        "",
        lambda r: ", ".join(str(r["queries"][f"{n} first"]) for n in ("list", "search", "last")),
    ),
    ("RSS per worker (MiB)", "", lambda r: " / ".join(f"{size:.0f}" for size in r["rss"])),
]


def table(results):
    names = list(results)
    lines = ["| figure | target | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for label, target, cell in ROWS:
        lines.append(f"| {label} | {target} | " + " | ".join(cell(results[name]) for name in names) + " |")
    return "\n".join(lines)


def machine():
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores ({cpu.group(1) if cpu else platform.processor()}), "
        f"{int(memory.group(1)) / 1024**2:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; load average {load:.1f} when the run started"
    )


def main():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/bench_directory")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--sqlite-sizes", type=int, nargs="*", default=[100_000])
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (default 10)")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk (make bench does it).")

    started = datetime.now(UTC)
    about = machine()
    work = Path(tempfile.mkdtemp(prefix="directory-bench-"))
    base_env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "directory_site.settings",
    }
    manage(
        {**base_env, "DATABASE_URL": f"sqlite:///{work / 'static.sqlite3'}"},
        "collectstatic",
        "--no-input",
        "-v0",
    )
    runs = [("PostgreSQL", size) for size in args.sizes] + [("SQLite", size) for size in args.sqlite_sizes]
    results = {}
    try:
        for database, size in runs:
            if database == "PostgreSQL":
                ensure_postgres_database(args.postgres_url)
                url = args.postgres_url
            else:
                url = f"sqlite:///{work / 'bench.sqlite3'}"
            cache_dir = work / f"cache-{database}-{size}"
            env = {
                **base_env,
                "DATABASE_URL": url,
                "CACHE_URL": f"filecache://{cache_dir}",
                "BENCH_CACHE_DIR": str(cache_dir),
            }
            results[f"{database} {size // 1000:,}k"] = measure(database, env, size, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    command = "python -m bench " + " ".join(sys.argv[1:])
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
    print(table(results))
    text = (
        args.output.read_text() if args.output.exists() else f"# Performance\n\n{MARKERS[0]}\n{MARKERS[1]}\n"
    )
    start, end = text.index(MARKERS[0]), text.index(MARKERS[1]) + len(MARKERS[1])
    args.output.write_text(text[:start] + report + text[end:])
    log(f"Written to {args.output}")


if __name__ == "__main__":
    main()
