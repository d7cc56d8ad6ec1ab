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

.PHONY: run prod test test-unit test-e2e test-topology lint format secrets scan-tracked-files scan-baseline audit setup setup-dev assets migrate bench bench-trading clean

run: setup migrate
	@echo ""
	@echo "  CryptoVault is starting on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production process set on loopback (SPEC §1): nginx on HOST:PORT in front of
# gunicorn (WEB_WORKERS), WS_PROCESSES uvicorn processes, two price feeds and the task
# worker, after migrate and collectstatic. Needs DATABASE_URL (PostgreSQL) and REDIS_URL;
# TLS_CERT + TLS_KEY serve HTTPS. Ctrl+C or SIGTERM stops every process. See deploy/prod.py.
prod: setup assets
	$(PY) deploy/prod.py

test: setup-dev assets
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-e2e

test-unit:
	$(PY) -m pytest

# Topology tests: they start `make prod` on loopback against DATABASE_URL and REDIS_URL
# (PostgreSQL and Redis); .ci/run runs them in its services mode.
test-topology: setup-dev assets
	CRYPTOVAULT_TOPOLOGY=1 $(PY) -m pytest tests/topology

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

# Secret scan of every git-tracked file with detect-secrets (offline; CI runs it after
# lint). A finding fails unless .secrets.baseline lists it, and the baseline holds only
# reviewed non-secrets (each marked "is_secret": false): the throwaway passwords of the
# tests ("correct horse battery"...), the placeholder user:password of the database URL
# in .env.example and README, the "test-only-kkkk..." keys tests/processes.py gives its
# child servers, and dictionary keys that merely contain "password". (Ganache's
# well-known dev keys in chains/local_evm.py are not flagged: 0x-prefixed hex is not
# something detect-secrets looks for.) The scan reads a copy of the baseline, so it
# never rewrites the committed one; its exit status 3 only means line numbers moved.
# A new false positive: run `make scan-baseline`, label it with
# `.venv/bin/detect-secrets audit .secrets.baseline`, and commit the baseline.
#
# The target named "secrets" has no recipe of its own: the scanner reads a Makefile
# like an INI file too, and would take the recipe under it for the value of a key
# named "secrets". The pragma tells it the target line is not one either.
SCAN_BASELINE := .secrets.baseline
secrets: scan-tracked-files  # pragma: allowlist secret

scan-tracked-files: setup-dev
	@baseline=$$(mktemp); report=$$(mktemp); cp $(SCAN_BASELINE) "$$baseline"; \
	$(VENV)/bin/detect-secrets-hook --baseline "$$baseline" \
		$$(git ls-files | grep -vx '$(SCAN_BASELINE)') > "$$report" 2>&1; found=$$?; \
	if [ $$found -eq 0 ] || [ $$found -eq 3 ]; then \
		echo "No secrets found in the $$(git ls-files | wc -l) tracked files (beyond the reviewed $(SCAN_BASELINE))."; \
	else \
		cat "$$report"; \
		echo "FAILED, see above. Remove it (and rotate it if it was real); a false positive goes in $(SCAN_BASELINE) (make scan-baseline)."; \
	fi; \
	rm -f "$$baseline" "$$report"; [ $$found -eq 0 ] || [ $$found -eq 3 ]

scan-baseline: setup-dev
	$(VENV)/bin/detect-secrets scan --baseline $(SCAN_BASELINE) \
		$$(git ls-files | grep -vx '$(SCAN_BASELINE)')

# Known vulnerabilities in the pinned Python packages (pip-audit, with their dependencies
# resolved from requirements.txt) and in the npm packages (npm audit). Both ask online
# vulnerability databases (PyPI's JSON API, the npm registry's advisories), which this
# machine and CI cannot reach: run it where there is internet access. CI does not run
# it. Offline it fails, saying the database could not be reached.
audit: setup-dev
	@$(PY) -m pip_audit --strict --progress-spinner off -r requirements.txt || { \
		echo "pip-audit FAILED: a vulnerability is listed above, or PyPI's vulnerability data could not be reached (make audit needs internet access)."; \
		exit 1; }
	@npm audit || { \
		echo "npm audit FAILED: a vulnerability is listed above, or the npm registry's advisory service could not be reached (make audit needs internet access)."; \
		exit 1; }

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
	$(PY) bench/accounts_enumeration.py

# The trading benches need PostgreSQL; they recreate the database named in BENCH_DATABASE_URL.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cryptovault_bench
bench-trading: setup
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/trading_on_tick.py
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/trading_orders.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var test-results
