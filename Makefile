# CryptoVault: `make run` serves the app, `make test` runs the tests.
# Both set everything up first (virtualenv, pinned packages, front-end assets,
# database), doing only the steps whose inputs changed since the last time.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000

VENV := .venv
PY := $(VENV)/bin/python
CHROMIUM := /usr/bin/chromium
VENDOR := static/vendor

.PHONY: run test test-unit test-e2e lint format setup setup-dev assets migrate bench bench-trading clean

run: setup migrate
	@echo ""
	@echo "  CryptoVault is starting on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup-dev assets
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-e2e

test-unit:
	$(PY) -m pytest

# Browser tests run in their own pytest process (see tests/e2e/conftest.py).
# CI sets CRYPTOVAULT_REQUIRE_E2E=1 so that a missing browser fails instead of skipping.
test-e2e:
	@if [ -x "$(CHROMIUM)" ]; then \
		CRYPTOVAULT_E2E=1 $(PY) -m pytest tests/e2e; \
	elif [ "$${CRYPTOVAULT_REQUIRE_E2E:-0}" = "1" ]; then \
		echo "Browser tests required but $(CHROMIUM) is missing (apt-get install chromium)."; exit 1; \
	else \
		echo ""; \
		echo "*** SKIPPED the browser tests: $(CHROMIUM) not found. Install Debian's chromium (apt-get install chromium) to run them. ***"; \
	fi

lint: setup-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy .

format: setup-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

setup: $(VENV)/.runtime-installed assets
setup-dev: $(VENV)/.dev-installed

migrate: setup
	$(PY) manage.py migrate --noinput

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "CryptoVault needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime-installed

assets: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js $(VENDOR)/
	@touch $@

# Load benchmarks (figures, not tests; see bench/README.md). They need Redis; chains_gas needs npm's ganache.
bench: setup
	$(PY) bench/health_live.py
	$(PY) bench/markets_http.py
	$(PY) bench/markets_upstream.py
	$(PY) bench/markets_ws.py
	$(PY) bench/chains_gas.py

# The trading benches need PostgreSQL; they recreate the database named in BENCH_DATABASE_URL.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cryptovault_bench
bench-trading: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/trading_on_tick.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/trading_orders.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var test-results
