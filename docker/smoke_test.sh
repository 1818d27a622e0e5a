#!/usr/bin/env bash
# Builds the image, brings the compose stack up with the sample data and checks it as an operator would:
# /readyz, an admin login and the list page served from PostgreSQL, JSON request logs with the request id,
# a pg_dump/pg_restore round trip, the image's HEALTHCHECK, non-root processes, `check --deploy`; then the stack of
# docker-compose.scale.yml (two app containers, the job worker, Redis): an edit through one is read through the
# other, an import confirmed on one is applied by the worker, a sign-out on one signs out of both.
# Then it measures the figures in docs/DEPLOYMENT.md (image size, container start to /readyz 200, gunicorn
# worker memory), prints them as a table, and removes the stack, its volume and its containers whatever happens.
#
#   bash docker/smoke_test.sh                          # with Docker
#   DOCKER=podman COMPOSE="podman compose" bash docker/smoke_test.sh
# WEB_PORT (default 8000) is the host port of the stack; WEB_PORT+1 is used for the start-time runs.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a docker <<<"${DOCKER:-docker}"
read -r -a compose <<<"${COMPOSE:-docker compose}"
WEB_PORT=${WEB_PORT:-8000}
# The second app container of the scaled stack; WEB_PORT+1 is the start-time runs'.
export WEB2_PORT=$((WEB_PORT + 2))
scaled=("${compose[@]}" -f docker-compose.yml -f docker-compose.scale.yml)
START_RUNS=${START_RUNS:-3}
export COMPOSE_PROJECT_NAME=${COMPOSE_PROJECT_NAME:-directory_smoke}
export WEB_PORT LOAD_SAMPLE_DATA=true
SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(24))')
export SECRET_KEY POSTGRES_PASSWORD
# The image's HEALTHCHECK survives only in the Docker image format (podman builds OCI by default).
export BUILDAH_FORMAT=docker
base="http://127.0.0.1:$WEB_PORT"
lb=(-H "X-Forwarded-Proto: https")  # what the TLS-terminating load balancer adds
app_container="${COMPOSE_PROJECT_NAME}_app_start"
work=$(mktemp -d)

cleanup() {
  "${docker[@]}" rm -f "$app_container" >/dev/null 2>&1 || true
  "${scaled[@]}" down -v >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "smoke test FAILED: $*" >&2
  "${compose[@]}" logs --tail 40 web >&2 || true
  exit 1
}
now() { python3 -c 'import time; print(time.time())'; }
# Polls $1/readyz every 50 ms until it answers 200; fails after $2 seconds.
wait_ready() {
  local deadline=$((SECONDS + $2))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$1/readyz")" = 200 ]; do
    [ $SECONDS -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

echo "-- build and start"
"${compose[@]}" up -d --build
wait_ready "$base" 180 || fail "/readyz did not answer 200 within 180 s"
echo "ok: /readyz 200"

echo "-- admin login, list page from PostgreSQL"
admin_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
"${compose[@]}" exec -T -e DJANGO_SUPERUSER_USERNAME=smoke-admin -e DJANGO_SUPERUSER_PASSWORD="$admin_password" \
  -e DJANGO_SUPERUSER_EMAIL=smoke-admin@example.com web python manage.py createsuperuser --no-input
jar="$work/cookies"
curl -sf -c "$jar" -b "$jar" "${lb[@]}" "$base/accounts/login/" -o /dev/null
csrf=$(awk '$6 == "csrftoken" {print $7}' "$jar")
login=$(curl -s -c "$jar" -b "$jar" "${lb[@]}" -H "Referer: https://127.0.0.1:$WEB_PORT/accounts/login/" \
  --data-urlencode "csrfmiddlewaretoken=$csrf" --data-urlencode username=smoke-admin \
  --data-urlencode "password=$admin_password" -o /dev/null -w '%{http_code} %{redirect_url}' "$base/accounts/login/")
[ "$login" = "302 http://127.0.0.1:$WEB_PORT/" ] || fail "login answered '$login', expected a redirect to /"
request_id="smoke-$RANDOM$RANDOM"
curl -sf -b "$jar" "${lb[@]}" -H "X-Request-ID: $request_id" -D "$work/headers" "$base/" -o "$work/list.html"
grep -q "Ana García" "$work/list.html" || fail "the list page does not show the sample employee Ana García"
grep -qi "^x-request-id: $request_id" "$work/headers" || fail "the response does not return X-Request-ID"
echo "ok: the list page shows the sample data after an admin login"

echo "-- JSON request log"
"${compose[@]}" logs web 2>/dev/null | grep -F "\"request_id\": \"$request_id\"" | python3 -c '
import json, sys
# Compose may prefix each line with the service name: the JSON object is from the first { to the last }.
text = sys.stdin.readline()
line = json.loads(text[text.index("{") : text.rindex("}") + 1])
assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200), line
assert isinstance(line["duration_ms"], float) and line["user_id"] is not None, line
' || fail "no JSON request line with method, path, status, duration and user for request $request_id"
echo "ok: one JSON line for the request, with its id and the user"

echo "-- a photo uploaded on the edit form is served, and still there after down and up"
read -r person photo_url < <(python3 docker/upload_photo.py "$base" "$jar" "$WEB_PORT") || fail "the photo upload failed"
photo_status() { curl -s -b "$jar" "${lb[@]}" -o /dev/null -w '%{http_code} %{content_type}' "$base$photo_url"; }
[ "$(photo_status)" = "200 image/webp" ] || fail "the uploaded photo $photo_url answered $(photo_status)"
"${compose[@]}" down
"${compose[@]}" up -d
wait_ready "$base" 180 || fail "/readyz did not answer 200 within 180 s after down and up"
[ "$(photo_status)" = "200 image/webp" ] || fail "after down and up, $photo_url answered $(photo_status)"
curl -sf -b "$jar" "${lb[@]}" "$base$person" | grep -qF "$photo_url" || fail "after down and up, $person lost its photo"
echo "ok: the photo $photo_url is served, before and after down and up"

echo "-- backup with pg_dump, restore with pg_restore into a new database"
psql=("${compose[@]}" exec -T db psql --username=directory --no-align --tuples-only)
# Every table of the public schema with its row count, in name order.
row_counts="select table_name, (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I',
  table_name), false, true, '')))[1]::text from information_schema.tables where table_schema = 'public' order by 1"
"${compose[@]}" exec -T db pg_dump --username=directory --format=custom directory >"$work/directory.dump"
"${compose[@]}" exec -T db createdb --username=directory directory_restored
"${compose[@]}" exec -T db pg_restore --username=directory --no-owner --exit-on-error --dbname=directory_restored \
  <"$work/directory.dump"
"${psql[@]}" --dbname=directory --command="$row_counts" >"$work/counts.before"
"${psql[@]}" --dbname=directory_restored --command="$row_counts" >"$work/counts.after"
grep -qx "employees_employee|32" "$work/counts.before" || fail "the sample employees are not in the database"
diff "$work/counts.before" "$work/counts.after" || fail "the restored database has other row counts"
echo "ok: $(wc -l <"$work/counts.after") tables restored from a $(du -k "$work/directory.dump" | cut -f1) kB dump, same row counts"

echo "-- the image's HEALTHCHECK"
healthcheck=$("${docker[@]}" image inspect --format '{{json .Config.Healthcheck.Test}}' employee-directory:latest || true)
mapfile -t probe < <(python3 -c '
import json, sys
test = json.loads(sys.argv[1] or "null") or []
print("\n".join(test[1:] if test[:1] == ["CMD"] else []))' "$healthcheck")
[ -n "${probe[0]:-}" ] || fail "no HEALTHCHECK in the image (podman keeps it only with BUILDAH_FORMAT=docker)"
"${compose[@]}" exec -T web "${probe[@]}" || fail "the HEALTHCHECK command failed in the running container"
echo "ok: the HEALTHCHECK command passes"

echo "-- non-root, check --deploy"
uids=$("${compose[@]}" exec -T web sh -c 'cat /proc/[0-9]*/status 2>/dev/null' | awk '/^Uid:/ {print $2}' | sort -u)
[ -n "$uids" ] && ! grep -qx 0 <<<"$uids" || fail "a process in the web container runs as root (uids: $uids)"
echo "ok: every process runs as uid $uids"
"${compose[@]}" exec -T web python manage.py check --deploy --fail-level WARNING || fail "check --deploy"

echo "-- figures"
for path in / /?location=Madrid /?q=engineer /admin/ /admin/employees/employee/ /api/v1/employees/ /healthz /readyz; do
  for _ in 1 2 3 4; do curl -sf -b "$jar" "${lb[@]}" "$base$path" -o /dev/null; done
done
"${compose[@]}" exec -T web python docker/gunicorn_memory.py >"$work/memory"
image_bytes=$("${docker[@]}" image inspect --format '{{.Size}}' employee-directory:latest)
base_bytes=$("${docker[@]}" image inspect --format '{{.Size}}' python:3.12-slim)

# An app container as deployed behind a load balancer: the image's own command (entrypoint wait, gunicorn),
# against the stack's database, which is up and migrated.
"${docker[@]}" create --name "$app_container" --network "${COMPOSE_PROJECT_NAME}_default" --env-file compose.env \
  -e SECRET_KEY -e "DATABASE_URL=postgres://directory:$POSTGRES_PASSWORD@db:5432/directory" \
  -p "127.0.0.1:$((WEB_PORT + 1)):8000" employee-directory:latest >/dev/null
for run in $(seq 1 "$START_RUNS"); do
  started=$(now)
  "${docker[@]}" start "$app_container" >/dev/null
  wait_ready "http://127.0.0.1:$((WEB_PORT + 1))" 60 || fail "the app container was not ready within 60 s"
  ready=$(now)
  container_started=$("${docker[@]}" inspect --format '{{.State.StartedAt}}' "$app_container")
  python3 - "$started" "$ready" "$container_started" >>"$work/starts" <<'EOF'
import re
import sys
from datetime import datetime, timezone

started, ready, container_started = sys.argv[1:]
# Docker prints 2026-01-01T09:00:00.123456789Z, podman 2026-01-01 09:00:00.123456789 +0000 UTC: both UTC.
date, time, fraction = re.match(r"(\S+)[T ](\d\d:\d\d:\d\d)\.?(\d*)", container_started).groups()
running = datetime.fromisoformat(f"{date}T{time}").replace(tzinfo=timezone.utc).timestamp()
running += float(f"0.{fraction or 0}")
print(f"{float(ready) - running:.2f} {float(ready) - float(started):.2f}")
EOF
  # CPU seconds the container spent to get there (the entrypoint's wait is in PID 1's children time): about the
  # wall time on an idle machine, whatever else the machine is running.
  "${docker[@]}" exec "$app_container" python -c '
import os
ticks = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) != os.getpid():
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
print(round(ticks / os.sysconf("SC_CLK_TCK"), 2))' >>"$work/cpu"
  "${docker[@]}" stop -t 10 "$app_container" >/dev/null
done
echo "-- two app containers, the job worker and Redis (docker-compose.scale.yml)"
"${scaled[@]}" up -d --build
wait_ready "$base" 180 || fail "the first app container was not ready within 180 s"
wait_ready "http://127.0.0.1:$WEB2_PORT" 180 || fail "the second app container was not ready within 180 s"
python3 docker/two_instances.py "$WEB_PORT" "$WEB2_PORT" smoke-admin "$admin_password" || fail "two instances"

python3 - "$image_bytes" "$base_bytes" "$work/starts" "$work/cpu" "$work/memory" "$START_RUNS" <<'EOF'
import statistics
import sys

image, base, starts, cpu, memory, runs = sys.argv[1:]
cpu_seconds = sorted(float(line) for line in open(cpu))
from_running = sorted(float(line.split()[0]) for line in open(starts))
from_command = sorted(float(line.split()[1]) for line in open(starts))
workers = [float(row.split("|")[3]) for row in open(memory) if "| worker |" in row]
load = open("/proc/loadavg").read().split()[0]
print("| figure | value |")
print("|---|---|")
print(f"| image size | {int(image) / 1e6:.0f} MB (base python:3.12-slim here: {int(base) / 1e6:.0f} MB) |")
print(f"| container running to /readyz 200, median of {runs} | {statistics.median(from_running):.2f} s "
      f"(min {from_running[0]:.2f}, max {from_running[-1]:.2f}) |")
print(f"| `start` command to /readyz 200, median of {runs} | {statistics.median(from_command):.2f} s |")
print(f"| CPU time of the container until /readyz 200, median of {runs} | {statistics.median(cpu_seconds):.2f} s |")
print(f"| RSS per gunicorn worker after the sample pages | {', '.join(f'{w:.1f}' for w in workers)} MB |")
print(f"| load average during the run | {load} |")
print()
print(open(memory).read(), end="")
EOF
echo "smoke test passed"
