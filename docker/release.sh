#!/bin/sh
# The release step: migrations, then the sample data when LOAD_SAMPLE_DATA=true and the directory is empty
# (loaded again, it would undo what people changed since). Run it once per deploy, before new app containers
# take traffic:
#   docker compose run --rm web docker/release.sh
# Given a command, it runs it afterwards: docker-compose.yml starts gunicorn that way.
set -eu
python manage.py migrate --no-input
if [ "${LOAD_SAMPLE_DATA:-false}" = true ] && python manage.py shell --no-imports -c \
    "import sys; from employees.models import Employee; sys.exit(Employee.objects.exists())"; then
    python manage.py loaddata badges departments skills sample_employees
fi
if [ "$#" -gt 0 ]; then
    exec "$@"
fi
