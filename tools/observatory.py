"""Grade the production configuration with the MDN HTTP Observatory, on this machine.

Serves the app with production settings (DEBUG off, HTTPS redirect, HSTS, CSP) through gunicorn twice:
plain HTTP on 127.0.0.1:HTTP_PORT and HTTPS with a throwaway self-signed certificate on 127.0.0.1:HTTPS_PORT.
Then runs the Observatory's retriever, tests and grader (tools/observatory_scan.mjs) against
https://localhost, trusting that certificate, and prints the grade, the score and each test. Stops both
servers when done.

Usage: python tools/observatory.py [--http-port 8480] [--https-port 8481]
Needs openssl, node and the npm package @mdn/mdn-http-observatory: `make observatory` installs it, then
runs this.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def wait_until_up(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Host": "localhost"})
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The server at {url} did not come up within {seconds} s.")


def ensure_preload_list():
    """The package downloads Chromium's HSTS preload list after install, which needs the internet.

    Offline, give it an empty list: the host scanned here, localhost, is on no preload list anyway.
    """
    preload = BASE_DIR / "node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json"
    if not preload.parent.is_dir():
        raise SystemExit("Install the scanner first: make observatory")
    if not preload.exists():
        preload.write_text("{}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, default=8480)
    parser.add_argument("--https-port", type=int, default=8481)
    parser.add_argument("--require", default="A+", help="exit 1 unless the grade is this one (default A+)")
    args = parser.parse_args()
    ensure_preload_list()

    with tempfile.TemporaryDirectory(prefix="observatory-") as tmp:
        cert, key = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        openssl = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost"
        san = "subjectAltName=DNS:localhost"
        subprocess.run(
            [*openssl.split(), "-addext", san, "-keyout", key, "-out", cert], check=True, capture_output=True
        )
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": f"sqlite:///{tmp}/observatory.sqlite3",
            # The HTTPS server listens on another port than the HTTP one, so the redirect must name it.
            "SECURE_SSL_HOST": f"localhost:{args.https_port}",
            "GUNICORN_WORKERS": "1",
        }
        python = sys.executable
        for command in ["migrate", "collectstatic"]:
            subprocess.run([python, "manage.py", command, "--no-input"], cwd=BASE_DIR, env=env, check=True)
        gunicorn = [python, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        servers = [
            subprocess.Popen([*gunicorn, "--bind", f"127.0.0.1:{args.http_port}"], cwd=BASE_DIR, env=env),
            subprocess.Popen(
                [*gunicorn, "--bind", f"127.0.0.1:{args.https_port}", "--certfile", cert, "--keyfile", key],
                cwd=BASE_DIR,
                env=env,
            ),
        ]
        try:
            wait_until_up(f"http://127.0.0.1:{args.http_port}/healthz")
            scan = subprocess.run(
                [
                    "node",
                    "tools/observatory_scan.mjs",
                    "localhost",
                    *map(str, [args.http_port, args.https_port]),
                ],
                cwd=BASE_DIR,
                env={**env, "NODE_EXTRA_CA_CERTS": str(cert)},
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
    if scan.returncode:
        raise SystemExit(f"The scan failed:\n{scan.stdout}{scan.stderr}")
    result = json.loads(scan.stdout)
    summary = result["scan"]
    rows = [(name, test["result"], test["modifier"]) for name, test in result["tests"].items()]
    width = max(len(name) for name, _, _ in rows)
    sys.stdout.write(f"{'test':<{width}}  {'modifier':>8}  result\n")
    for name, outcome, modifier in rows:
        sys.stdout.write(f"{name:<{width}}  {modifier:>8}  {outcome}\n")
    sys.stdout.write(
        f"\nGrade {summary['grade']}, score {summary['score']}, "
        f"{summary['testsPassed']}/{summary['testsQuantity']} tests passed\n"
    )
    if summary["grade"] != args.require:
        raise SystemExit(f"The grade is {summary['grade']}, not {args.require}.")


if __name__ == "__main__":
    main()
