# Two commands do everything on a fresh machine: `make run` and `make test`.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
# apt needs root; use sudo when we are not root and it is there.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

.PHONY: run test test-postgres test-fast bench install install-dev chromium nginx postgresql translations clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, upgrade the database, start the delivery worker and the portal
run: $(VENV)/.installed
	$(PY) -m portal init-db
	$(PY) -m portal check-templates
	@echo "Portal on http://localhost:$(PORT) (Ctrl-C stops it and the delivery worker)"
	$(PY) -m portal deliver & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) -m streamlit run app.py --server.port $(PORT)

## chromium: Debian's Chromium for the browser tests (never a downloaded browser build)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

## nginx: Debian's nginx for the deployment test (deploy/loopback.sh runs its own, on loopback)
# The package starts a system nginx on port 80 where it can; the tests never use it, so stop it.
nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nginx; \
	  $(SUDO) service nginx stop || true; \
	fi

## postgresql: Debian's PostgreSQL when it can be installed; without root or sudo, tests that need it skip
postgresql:
	@scripts/install_postgres.sh || echo "so the tests that need PostgreSQL will be skipped"

## test: everything the tests need, then every test on SQLite (and the deployment on loopback,
## which brings its own PostgreSQL), then the database-facing ones on PostgreSQL
test: $(VENV)/.installed-dev chromium nginx postgresql
	$(PY) -m pytest
	PY=$(PY) scripts/test_postgres.sh

## test-postgres: unit, integration and page tests on a throwaway PostgreSQL cluster (installed if missing)
test-postgres: $(VENV)/.installed-dev
	PY=$(PY) scripts/test_postgres.sh

## test-fast: unit and page tests only
test-fast: $(VENV)/.installed-dev
	$(PY) -m pytest tests/unit tests/app

## bench: the benchmarks under bench/ (figures go to BENCHMARKS.md by hand)
bench: $(VENV)/.installed-dev
	$(PY) -m bench

## translations: refresh the Spanish catalog from the source (then translate the new entries)
translations: $(VENV)/.installed-dev
	$(VENV)/bin/pybabel extract -F babel.cfg -o portal/locale/messages.pot --no-location --omit-header .
	$(VENV)/bin/pybabel update -i portal/locale/messages.pot -d portal/locale -l es --no-fuzzy-matching --omit-header --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache
