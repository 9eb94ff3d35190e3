# Two commands: `make run` and `make test`. Everything else sets itself up too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export FLASK_APP := app.py

.PHONY: run test test-pg e2e demo lint audit audit-deps migrate serve bench bench-http bench-web load clean \
	i18n-extract i18n-update i18n-compile i18n-check

# pip and setuptools are upgraded first: those venv ships can be old enough to have known
# advisories (setuptools 65.5.0 with Python 3.11), and `make audit-deps` checks them too.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Translations: each language's parts/*.po merged into messages.po and compiled to messages.mo
# (both built, not kept in git) whenever a part changes. See README "Languages".
I18N_PARTS := $(wildcard parenting/translations/*/LC_MESSAGES/parts/*.po)
I18N_BUILT := parenting/translations/.compiled

$(I18N_BUILT): $(I18N_PARTS) tools/i18n.py $(STAMP)
	$(BIN)/python tools/i18n.py compile
	touch $@

i18n-compile: $(STAMP)
	$(BIN)/python tools/i18n.py compile
	touch $(I18N_BUILT)

# The strings in the code, for reading: parenting/translations/messages.pot.
i18n-extract: $(STAMP)
	$(BIN)/python tools/i18n.py extract

# New strings go to one part per area, e.g. `make i18n-update PART=log`.
i18n-update: $(STAMP)
	@test -n "$(PART)" || { echo 'Name your part, e.g. make i18n-update PART=log'; exit 2; }
	$(BIN)/python tools/i18n.py update $(PART)

# Every string translated, none fuzzy, placeholders kept, no two parts disagreeing.
i18n-check: $(STAMP)
	$(BIN)/python tools/i18n.py check

# A random secret key kept out of git, so `make run` and `make serve` need no setup.
instance/secret_key:
	mkdir -p instance
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@

migrate: $(STAMP) instance/secret_key $(I18N_BUILT)
	$(BIN)/flask db upgrade

run: migrate
	@echo "Tend is running at http://127.0.0.1:5000  (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

demo: migrate
	$(BIN)/flask demo

# Production-style: gunicorn with gunicorn.conf.py (set SECRET_KEY, DATABASE_URL, TRUSTED_HOSTS…).
serve: migrate
	$(BIN)/gunicorn --config gunicorn.conf.py app:app

test: $(STAMP) $(I18N_BUILT)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The whole suite again on PostgreSQL (no lint): TEST_DATABASE_URL names a scratch database whose
# tables the tests drop and migrate afresh. `bash scripts/ci-postgres.sh` starts one, prints its URL.
test-pg: $(STAMP) $(I18N_BUILT)
	@test -n "$$TEST_DATABASE_URL" || { \
		echo 'Set TEST_DATABASE_URL, e.g. TEST_DATABASE_URL=$$(bash scripts/ci-postgres.sh) make test-pg'; \
		exit 2; }
	$(BIN)/python -m pytest -rs

# Browser tests (tests/e2e; `make test` skips them): gunicorn on 127.0.0.1 with a fresh SQLite
# database, Debian's chromium (`apt-get install chromium`) driven by Playwright, and axe-core from
# npm. Without /usr/bin/chromium they are skipped, except in CI (CI=true), where they fail.
# Options go through E2E_ARGS, e.g. `make e2e E2E_ARGS="-k offline -x"`.
AXE := tools/axe/node_modules/axe-core/axe.min.js

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	npm ci --prefix tools/axe --no-audit --no-fund
	touch $@

e2e: $(STAMP) $(AXE) $(I18N_BUILT)
	$(BIN)/python -m pytest tests/e2e -rs $(E2E_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Risky code: bandit, medium severity and up, in what runs on a server or on a developer's machine
# (settings in pyproject.toml; tests/ is left out). Offline, so CI runs it.
audit: $(STAMP)
	$(BIN)/bandit -c pyproject.toml -r app.py gunicorn.conf.py parenting migrations tools -ll -q

# Known vulnerabilities in dependencies; needs PyPI's per-version JSON API and npm's audit endpoint,
# which CI's closed network lacks (pip-audit would report every package "not found" and pass), so
# it is run by hand. pip-audit: every package in .venv but Tend itself, pinned by pip freeze
# (--skip-editable marks Tend skipped, which --strict fails on); --strict fails on a package the
# advisory service gave no answer for. npm audit: each lockfile in tools/ whole, since every
# package there is a devDependency (--omit=dev would check nothing). axe and Lighthouse only meet
# our own pages on our machines: high and critical fail, lesser ones are shown; plotly.js ships to
# every browser (static/vendor/), so moderate fails there too.
AUDIT_FAILED := make audit-deps failed: a known vulnerability is listed above, or the advisory\
	service (PyPI's JSON API, the npm registry's audit endpoint) did not answer for every package

audit-deps: $(STAMP)
	$(BIN)/python -m pip freeze --all --exclude-editable > $(VENV)/audit-requirements.txt
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		-r $(VENV)/audit-requirements.txt || { echo "$(AUDIT_FAILED)" >&2; exit 1; }
	npm audit --prefix tools/axe --audit-level=high || { echo "$(AUDIT_FAILED)" >&2; exit 1; }
	npm audit --prefix tools/lighthouse --audit-level=high || { echo "$(AUDIT_FAILED)" >&2; exit 1; }
	npm audit --prefix tools/plotly-bundle --audit-level=moderate \
		|| { echo "$(AUDIT_FAILED)" >&2; exit 1; }

# Time the weekly summary on a big SQLite database, built once into bench-data/.
# Options go through BENCH_ARGS, e.g. `make bench BENCH_ARGS="--rebuild --strict"`.
bench: $(STAMP)
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

# Issue 10's HTTP benchmark: gunicorn (2 sync workers) over SQLite databases with 1 month, 1 year
# and 5 years of a heavy household's history and with 20,000 households (built once into
# bench-data/), each endpoint's median over the login page's, write throughput against a bare
# insert endpoint, growth ratios; see docs/benchmarks.md. Options go through BENCH_HTTP_ARGS,
# e.g. `make bench-http BENCH_HTTP_ARGS="--strict"` or "--sizes 1y --seconds 0".
bench-http: $(STAMP)
	$(BIN)/python tools/bench_http.py $(BENCH_HTTP_ARGS)

# Load test: 1,000 households served by gunicorn on 127.0.0.1, Locust for 2 minutes (50 users).
# Options go through LOAD_ARGS, e.g. `make load LOAD_ARGS="--users 5 --duration 20s"` or
# LOAD_ARGS="--database-url postgresql://tend@127.0.0.1:5433/tend --reset --strict".
load: $(STAMP)
	$(BIN)/python tools/load.py $(LOAD_ARGS)

# Lighthouse (npm, pinned in tools/lighthouse/) with its mobile preset against Debian's chromium
# (CHROME_PATH, else /usr/bin/chromium): home, the moment form and the weekly summary of the demo
# household served by gunicorn, medians of 3 runs, checked against issue 4's budgets.
# Options go through BENCH_WEB_ARGS, e.g. `make bench-web BENCH_WEB_ARGS="--strict"` or "--runs 5".
LIGHTHOUSE := tools/lighthouse/node_modules/lighthouse/cli/index.js

$(LIGHTHOUSE): tools/lighthouse/package.json tools/lighthouse/package-lock.json
	npm ci --prefix tools/lighthouse --no-audit --no-fund
	touch $@

bench-web: $(STAMP) $(LIGHTHOUSE)
	$(BIN)/python tools/bench_web.py $(BENCH_WEB_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
