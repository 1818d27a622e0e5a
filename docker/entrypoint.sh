#!/bin/sh
# Every container start: wait for the database (DATABASE_WAIT_TIMEOUT seconds at most), then run the command.
set -eu
python docker/wait_for_database.py
exec "$@"
