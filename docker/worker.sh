#!/bin/sh
# The background worker (docs/DEPLOYMENT.md, "Background jobs"): deletes the expired jobs and their files every
# hour, and runs the queued jobs. On SIGTERM it finishes the job under way, then stops; killed during one, that
# job shows as stalled and its owner retries it (an import is applied in one transaction: nothing of it stays).
set -eu
while true; do
    python manage.py delete_expired_jobs || echo "delete_expired_jobs failed; trying again in an hour" >&2
    sleep 3600
done &
exec python manage.py db_worker --no-reload --no-startup-delay "$@"
