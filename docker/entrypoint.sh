#!/bin/sh
# Every container start: wait for the database (bounded), then run the command (gunicorn by default).
set -eu
python manage.py wait_for_database --timeout "${DATABASE_WAIT_TIMEOUT:-60}"
exec "$@"
