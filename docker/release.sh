#!/bin/sh
# The release step, run once per deploy before the new app containers take traffic:
#   docker compose run --rm web docker/release.sh
# Migrations, then the sample data when LOAD_SAMPLE_DATA=true (fixed primary keys: loading twice changes nothing).
set -eu
python manage.py migrate --no-input
if [ "${LOAD_SAMPLE_DATA:-false}" = true ]; then
    python manage.py loaddata badges sample_employees
fi
