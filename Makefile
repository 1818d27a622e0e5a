# The verbs people type. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL run of `make test` uses DATABASE_URL when it names PostgreSQL, else this local server.
POSTGRES_URL ?= $(if $(filter postgres%,$(DATABASE_URL)),$(DATABASE_URL),postgres://postgres@127.0.0.1:5432/postgres)
PYTEST_ARGS ?=
CHROMIUM ?= /usr/bin/chromium

# `make bench` creates, seeds and keeps <this>_100k and <this>_1000k: never a database in use.
BENCH_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/bench_directory
BENCH_ARGS ?=

.PHONY: run test test-sqlite test-postgres test-browser lint format checks vendor clean container-test bench observatory drills api-fuzz messages

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## run: set up everything (virtualenv, dependencies, migrations, sample data) and serve on http://127.0.0.1:8000
run: export DEBUG ?= true
run: $(VENV)/.runtime
	$(MANAGE) migrate --no-input
	@# Sample data only into an empty directory: loaded again, it would undo the changes made since.
	$(MANAGE) shell --no-imports -c "import sys; from employees.models import Employee; sys.exit(Employee.objects.exists())" \
		&& $(MANAGE) loaddata badges departments skills sample_employees || echo "The directory has people: sample data not loaded."
	@if [ -n "$$DJANGO_SUPERUSER_USERNAME" ] && [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
		DJANGO_SUPERUSER_EMAIL="$${DJANGO_SUPERUSER_EMAIL:-$$DJANGO_SUPERUSER_USERNAME@localhost}" \
			$(MANAGE) createsuperuser --no-input || echo "Superuser $$DJANGO_SUPERUSER_USERNAME was not created (see above); the existing account is unchanged."; \
	fi
	@echo
	@echo "Sign in with a superuser. Create one with: $(MANAGE) createsuperuser"
	@echo "(or run: DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=... make run)"
	@echo
	$(MANAGE) runserver $(HOST):$(PORT)

## test: the whole suite on SQLite and on PostgreSQL, then the browser tests (SQLITE_ONLY=1 skips PostgreSQL)
test: test-sqlite $(if $(SQLITE_ONLY),,test-postgres) test-browser

test-sqlite: $(VENV)/.dev
	DATABASE_URL=sqlite:///db.sqlite3 $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev
	@$(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], dbname="postgres", connect_timeout=5).close()' "$(POSTGRES_URL)" 2>/dev/null || { \
		echo "PostgreSQL is not reachable at $(POSTGRES_URL)." >&2; \
		echo "Start it with:  pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start" >&2; \
		echo "or point DATABASE_URL at another server, or run SQLite only:  make test SQLITE_ONLY=1" >&2; \
		exit 1; }
	DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest -m "not browser" $(PYTEST_ARGS)

# As root (these machines, CI), a missing Chromium or npm is installed from Debian's packages; otherwise the
# recipe says what to install.
APT_INSTALL = test "$$(id -u)" != 0 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1))

node_modules/.installed: package-lock.json
	@command -v npm >/dev/null || $(call APT_INSTALL,nodejs npm)
	npm ci --no-audit --no-fund
	touch $@

## test-browser: the browser tests (accessibility with axe-core, user journeys) in Chromium; screenshots in test-results/
test-browser: $(VENV)/.dev node_modules/.installed
	@test -x $(CHROMIUM) || $(call APT_INSTALL,chromium)
	@test -x $(CHROMIUM) || { \
		echo "Chromium is not installed at $(CHROMIUM)." >&2; \
		echo "Install it with:  sudo apt-get install -y chromium   (or set CHROMIUM=/path/to/chromium)" >&2; \
		exit 1; }
	DATABASE_URL=sqlite:///db.sqlite3 CHROMIUM=$(CHROMIUM) $(PY) -m pytest -m browser $(PYTEST_ARGS)

## lint: ruff, as CI runs it
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## checks: Django's system checks, missing migrations, and the deployment checklist with production settings
checks: $(VENV)/.runtime
	DEBUG=true $(MANAGE) check --fail-level WARNING
	DEBUG=true $(MANAGE) makemigrations --check --dry-run
	SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=directory.example.com \
		$(MANAGE) check --deploy --fail-level WARNING

## messages: refresh the catalogues in locale/ (es, fr, de) from the code and templates, then compile them;
# Translate every new or fuzzy entry, then commit both the .po and the .mo files. Needs GNU gettext.
MESSAGES_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor \
	--ignore=test-results --ignore=var --ignore=media --ignore=tests
messages: $(VENV)/.runtime
	@command -v msgfmt >/dev/null || $(call APT_INSTALL,gettext)
	DEBUG=true $(MANAGE) makemessages -l es -l fr -l de --no-obsolete $(MESSAGES_IGNORE)
	DEBUG=true $(MANAGE) compilemessages $(MESSAGES_IGNORE)

## container-test: build the image, start the compose stack, check it, print its figures, remove it
DOCKER ?= docker
COMPOSE ?= docker compose
container-test:
	DOCKER="$(DOCKER)" COMPOSE="$(COMPOSE)" bash docker/smoke_test.sh

## bench: the mix of searches and list pages under load, on PostgreSQL with 100k and 1M employees; writes docs/PERFORMANCE.md
bench: $(VENV)/.runtime
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(PY) tools/bench.py --postgres-url $(BENCH_POSTGRES_URL) $(BENCH_ARGS)

## observatory: grade the production headers with the MDN HTTP Observatory (gunicorn on 127.0.0.1:8480/8481)
OBSERVATORY_VERSION := 1.4.8
observatory: $(VENV)/.runtime
	test -d node_modules/@mdn/mdn-http-observatory || \
		npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund @mdn/mdn-http-observatory@$(OBSERVATORY_VERSION)
	$(PY) tools/observatory.py

## drills: fault drills against gunicorn, a job worker and throwaway PostgreSQL (and replica), Redis and PgBouncer (ports 8460, 8450-8454), 3-4 minutes
drills: $(VENV)/.runtime
	$(PY) tools/fault_drills.py

## api-fuzz: schemathesis against the running app's OpenAPI schema (gunicorn on 127.0.0.1:$(API_FUZZ_PORT))
API_FUZZ_PORT ?= 8601
api-fuzz: $(VENV)/.dev
	API_FUZZ_PORT=$(API_FUZZ_PORT) PY=$(PY) bash .ci/api-fuzz

## vendor: refresh static/vendor/ from the pinned npm packages in package.json
vendor:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/bootstrap/css static/vendor/bootstrap/js static/vendor/font-awesome/css static/vendor/font-awesome/fonts static/vendor/jquery
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map static/vendor/bootstrap/css/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/js/
	cp node_modules/bootstrap/LICENSE static/vendor/bootstrap/
	cp node_modules/font-awesome/css/font-awesome.min.css static/vendor/font-awesome/css/
	cp node_modules/font-awesome/fonts/* static/vendor/font-awesome/fonts/
	cp node_modules/jquery/dist/jquery.slim.min.js node_modules/jquery/LICENSE.txt static/vendor/jquery/
	mkdir -p static/vendor/chart.js
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map node_modules/chart.js/LICENSE.md static/vendor/chart.js/

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .coverage test-results
