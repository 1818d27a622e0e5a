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

.PHONY: run test test-sqlite test-postgres lint format checks api-fuzz benchmark-import vendor clean

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
	$(MANAGE) loaddata badges sample_employees
	@if [ -n "$$DJANGO_SUPERUSER_USERNAME" ] && [ -n "$$DJANGO_SUPERUSER_PASSWORD" ]; then \
		$(MANAGE) createsuperuser --no-input || echo "Superuser $$DJANGO_SUPERUSER_USERNAME was not created (see above); the existing account is unchanged."; \
	fi
	@echo
	@echo "Sign in with a superuser. Create one with: $(MANAGE) createsuperuser"
	@echo "(or run: DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=... make run)"
	@echo
	$(MANAGE) runserver $(HOST):$(PORT)

## test: the whole suite on SQLite and on PostgreSQL (SQLITE_ONLY=1 skips PostgreSQL)
test: test-sqlite $(if $(SQLITE_ONLY),,test-postgres)

test-sqlite: $(VENV)/.dev
	DATABASE_URL=sqlite:///db.sqlite3 $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev
	@$(PY) -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=5).close()' "$(POSTGRES_URL)" 2>/dev/null || { \
		echo "PostgreSQL is not reachable at $(POSTGRES_URL)." >&2; \
		echo "Start it with:  pg_ctlcluster --skip-systemctl-redirect \$$(ls /etc/postgresql) main start" >&2; \
		echo "or point DATABASE_URL at another server, or run SQLite only:  make test SQLITE_ONLY=1" >&2; \
		exit 1; }
	DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest $(PYTEST_ARGS)

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

## api-fuzz: schemathesis against the running app's OpenAPI schema (gunicorn on 127.0.0.1:$(API_FUZZ_PORT))
API_FUZZ_PORT ?= 8601
api-fuzz: $(VENV)/.dev
	API_FUZZ_PORT=$(API_FUZZ_PORT) PY=$(PY) bash .ci/api-fuzz

## benchmark-import: time the admin import of 10,000 new employees (rolled back afterwards)
benchmark-import: $(VENV)/.runtime
	DEBUG=true $(MANAGE) benchmark_import --rows 10000

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

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .coverage
