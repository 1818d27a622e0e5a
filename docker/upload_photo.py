"""Upload a photo for the first employee on the list through the edit form, as a browser would; print
the employee's page and the photo's address.

Usage: python3 docker/upload_photo.py BASE_URL COOKIE_JAR PORT   (a signed-in editor's jar, curl's format)
Standard library only: it runs on the host, outside the image.
"""

import base64
import re
import sys
import urllib.parse
import urllib.request
import uuid
from html import unescape

# A 1x1 PNG: the site decodes it and stores it re-encoded as WebP.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)

base, jar_path, port = sys.argv[1:]
# curl's jar: tab-separated, the name and value last; "#HttpOnly_" marks a cookie, not a comment. The cookies
# are Secure, which an http:// client would hold back: they go in the header as a load balancer passes them.
with open(jar_path) as jar:
    lines = [line.removeprefix("#HttpOnly_").rstrip("\n").split("\t") for line in jar]
cookies = "; ".join(f"{fields[5]}={fields[6]}" for fields in lines if len(fields) == 7)
opener = urllib.request.build_opener()
# What the TLS-terminating load balancer adds, and the origin a browser would send.
headers = {"X-Forwarded-Proto": "https", "Referer": f"https://127.0.0.1:{port}/", "Cookie": cookies}


def get(path):
    return opener.open(urllib.request.Request(base + path, headers=headers)).read().decode()


employee = re.search(r'href="/employees/([0-9a-f-]{36})/"', get("/")).group(1)
form = get(f"/employees/{employee}/edit/")
fields = {}
for tag in re.findall(r"<input[^>]*>", form):
    name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
    kind = re.search(r'type="([^"]+)"', tag)
    if name and (kind is None or kind.group(1) not in {"file", "checkbox"} or "checked" in tag):
        fields.setdefault(name.group(1), []).append(unescape(value.group(1)) if value else "")
for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', options)
    fields[name] = [unescape(chosen.group(1)) if chosen else ""]
for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
    fields[name] = [unescape(text).strip()]

boundary = uuid.uuid4().hex
parts = [
    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    for name, values in fields.items()
    for value in values
]
parts.append(
    f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="photo.png"\r\n'
    f"Content-Type: image/png\r\n\r\n".encode()
    + PNG
    + b"\r\n"
)
body = b"".join(parts) + f"--{boundary}--\r\n".encode()
request = urllib.request.Request(
    f"{base}/employees/{employee}/edit/",
    data=body,
    headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
)
page = opener.open(request).read().decode()
photo = re.search(r'<img class="avatar avatar-lg" src="([^"]+)"', page)
if not photo:
    sys.exit(f"no photo on the page after the upload:\n{page[:3000]}")
print(f"/employees/{employee}/", urllib.parse.unquote(photo.group(1)))
