# Two commands matter: `make run` for a demo portal, `make test` for the suite.
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST := $(VENV)/bin/pytest
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test install install-dev browser lint format migrate demo-code test-embedded test-services

$(VENV)/bin/activate:
	python3 -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py createcachetable

run: migrate
	$(PY) manage.py seed_demo
	@echo "Portal, worker and scheduler start now; Ctrl-C stops all of them."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile -p 8000

demo-code: install
	@$(PY) manage.py demo_code

# Debian's Chromium drives the browser tests; the test tool's own browser
# download cannot work on a machine without the open internet.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is missing: install Debian's chromium package for browser tests"; \
		fi; \
	fi

test: install-dev browser
	$(MAKE) --no-print-directory test-embedded
	@if $(PY) tests/services_up.py "$(PG_URL)" "$(REDIS_URL)"; then \
		$(MAKE) --no-print-directory test-services; \
	elif [ "$$CI" = "true" ]; then \
		echo "CI=true and PostgreSQL or Redis does not answer: failing."; exit 1; \
	else \
		echo "PostgreSQL or Redis does not answer: the second pass is not run."; \
	fi

test-embedded: install-dev
	@echo "== Pass 1: embedded default (SQLite, no broker service)"
	env -u DATABASE_URL -u CELERY_BROKER_URL STRONGROOM_VAR_DIR=$(CURDIR)/var/test \
		$(PYTEST) -m "not services"

test-services: install-dev
	@echo "== Pass 2: PostgreSQL, Redis and a real Celery worker"
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) \
		STRONGROOM_VAR_DIR=$(CURDIR)/var/test-services $(PYTEST)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
