# The two commands: `make run` (the demo) and `make test` (the whole suite).
# Both create .venv, install, migrate and compile translations first; both are idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` needs only the runtime dependencies; the tests need the dev extra too (pytest,
# Playwright, ruff, ...), installed on top when `make test` or `make install` first runs.
STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed
# --no-compile: modules are byte-compiled when first imported, not all 10,000 files at install
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install translations migrate lint worker messages clean-demo bench validation \
	docs-screens

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	@touch $@

$(DEV_STAMP): $(STAMP)
	$(PIP) -e '.[dev]'
	@touch $@

install: $(DEV_STAMP)

translations: $(STAMP)
	$(BIN)/python manage.py compile_translations

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: translations migrate
	$(BIN)/python manage.py demo_setup --skip-outside-demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The test server speaks plain HTTP; DEBUG is off whenever DATABASE_URL is set, so a
# throw-away key is supplied unless the caller gives one.
test: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),test-only-key-not-for-production)
test: export EDC_HTTPS := 0
# Files the tests publish (reports, releases) go to a throw-away folder, never var/media.
test: export EDC_MEDIA_ROOT := $(or $(EDC_MEDIA_ROOT),$(CURDIR)/var/test-media)
test: install translations
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

# Regenerate the message catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py update_catalogues

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

# Benchmarks (bench/run.py): gunicorn + Celery + PostgreSQL + Redis on this machine, results
# written to docs/benchmarks.md. `make bench SIZES=100,10000,100000`; BENCH_ARGS for more.
SIZES ?= $(or $(BENCH_SIZE),100)
# Like the tests, the bench servers speak plain HTTP with a throw-away key unless given one.
bench: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),bench-only-key-not-for-production)
bench: export EDC_HTTPS := 0
bench: install translations
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python bench/run.py --sizes $(SIZES) $(BENCH_ARGS)

# The validation traceability report (docs/validation/README.md): requirement -> tests ->
# result of the last `make test` (any pytest run writes var/validation/results.json), as
# var/validation/traceability.html and .csv. Refuses results of another commit (run
# `make test` again) and fails when a requirement's test failed; runs no test itself.
validation: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),test-only-key-not-for-production)
validation: install
	$(BIN)/python manage.py validation_report $(VALIDATION_ARGS)

# The user guide's screenshots (docs/user-guide/img/*.png, docs/user-guide/README.md): the
# browser test photographs every screen of the guide in English and Chinese at a fixed
# viewport, with the demo data loaded under a frozen clock. Needs Chromium. Leaves the
# validation results of the last `make test` alone (-p no:validation-recorder).
docs-screens: export EDC_DOCS_SCREENS := 1
docs-screens: export DJANGO_SECRET_KEY := $(or $(DJANGO_SECRET_KEY),test-only-key-not-for-production)
docs-screens: export EDC_HTTPS := 0
docs-screens: export EDC_MEDIA_ROOT := $(or $(EDC_MEDIA_ROOT),$(CURDIR)/var/test-media)
docs-screens: install translations
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/pytest tests/browser/test_docs_screens.py -q -p no:validation-recorder
