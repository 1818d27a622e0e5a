"""Check two app containers of one stack as a person moving between them would (the load balancer may send
each request to either): a change made through one is read at once through the other, an import confirmed on
one is applied to the end by the job worker, and a sign-out on one is a sign-out on both.

Usage: python3 docker/two_instances.py FIRST_PORT SECOND_PORT USERNAME PASSWORD   (a superuser's)
Standard library only: it runs on the host, outside the image. Prints a line per check; exits 1 on a failure.
"""

import http.client
import json
import re
import sys
import time
import uuid
from html import unescape
from urllib.parse import urlencode

first, second, username, password = sys.argv[1:]
cookies = {}


def request(port, method, path, body=None, content_type=None, headers=None):
    """(status, body, Location) through the app on ``port``, as the TLS-terminating load balancer sends it."""
    sent = {
        "Host": f"127.0.0.1:{port}",
        "X-Forwarded-Proto": "https",
        "Referer": f"https://127.0.0.1:{port}/",
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
        **({"Content-Type": content_type} if content_type else {}),
        **(headers or {}),
    }
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
    try:
        connection.request(method, path, body, sent)
        response = connection.getresponse()
        content = response.read().decode(errors="replace")
    finally:
        connection.close()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    return response.status, content, response.getheader("Location")


def form(port, path, fields):
    data = urlencode({"csrfmiddlewaretoken": cookies["csrftoken"], **fields})
    return request(port, "POST", path, data, "application/x-www-form-urlencoded")


def check(passed, message):
    print(f"{'ok' if passed else 'FAILED'}: {message}")
    if not passed:
        sys.exit(1)


# Signed in through the first.
request(first, "GET", "/accounts/login/")
status, _, location = form(first, "/accounts/login/", {"username": username, "password": password})
check(status == 302, f"signed in through the first instance ({status} to {location})")

# A change through the first, read through the second.
status, body, _ = request(first, "GET", "/api/v1/employees/?q=Ana")
ana = json.loads(body)["results"][0]
title = f"Architect {uuid.uuid4().hex[:6]}"
change = json.dumps({"job_title": title, "version": ana["version"]})
status, _, _ = request(
    first,
    "PATCH",
    f"/api/v1/employees/{ana['id']}/",
    change,
    "application/json",
    {"X-CSRFToken": cookies["csrftoken"]},
)
check(status == 200, f"{ana['full_name']}'s job title changed through the first instance ({status})")
status, body, _ = request(second, "GET", f"/api/v1/employees/{ana['id']}/")
read = json.loads(body).get("job_title") if status == 200 else None
check(read == title, f"the second instance reads it at once: {read!r}")

# An import confirmed on the second, applied by the worker, seen through the first.
boundary = uuid.uuid4().hex
name = f"Imported {uuid.uuid4().hex[:6]}"
csv = f"\ufeffid,full_name,job_title,location,badges\r\n,{name},Designer,Paris,\r\n"
request(second, "GET", "/admin/employees/employee/import/")
parts = [("csrfmiddlewaretoken", cookies["csrftoken"], None), ("format", "0", None)]
parts.append(("import_file", csv, "people.csv"))
upload = (
    "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"'
        + (f'; filename="{filename}"\r\nContent-Type: text/csv' if filename else "")
        + f"\r\n\r\n{value}\r\n"
        for field, value, filename in parts
    )
    + f"--{boundary}--\r\n"
)
status, preview, _ = request(
    second,
    "POST",
    "/admin/employees/employee/import/",
    upload.encode(),
    f"multipart/form-data; boundary={boundary}",
)
confirm = re.search(r"<form[^>]*process_import[^>]*>(.*?)</form>", preview, re.S)
check(status == 200 and confirm is not None, f"the import's preview through the second instance ({status})")
hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm.group(1)))
hidden = {key: unescape(value) for key, value in hidden.items() if key != "csrfmiddlewaretoken"}
status, _, location = form(second, "/admin/employees/employee/process_import/", hidden)
check(status == 302, f"the import confirmed, a job queued ({status} to {location})")
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    _, jobs, _ = request(first, "GET", "/jobs/")
    if "1 new" in jobs or "Failed" in jobs:
        break
    time.sleep(1)
check("1 new" in jobs, 'the worker applied the import to the end: Downloads says "1 new"')
_, found, _ = request(first, "GET", f"/api/v1/employees/?q={name.replace(' ', '+')}")
check(json.loads(found)["count"] == 1, f"{name} is in the directory, read through the first instance")

# Signed out on the second, signed out on the first too.
status, _, _ = form(second, "/accounts/logout/", {})
check(status == 302, f"signed out through the second instance ({status})")
status, _, location = request(first, "GET", "/")
signed_out = status == 302 and "/accounts/login/" in (location or "")
check(signed_out, f"the first instance asks to sign in again ({status} to {location})")
