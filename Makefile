# Two commands: `make run` and `make test`. Everything else sets itself up too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export FLASK_APP := app.py

.PHONY: run test demo lint migrate serve bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# A random secret key kept out of git, so `make run` and `make serve` need no setup.
instance/secret_key:
	mkdir -p instance
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@

migrate: $(STAMP) instance/secret_key
	$(BIN)/flask db upgrade

run: migrate
	@echo "Tend is running at http://127.0.0.1:5000  (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

demo: migrate
	$(BIN)/flask demo

# Production-style: gunicorn with gunicorn.conf.py (set SECRET_KEY, DATABASE_URL, TRUSTED_HOSTS…).
serve: migrate
	$(BIN)/gunicorn --config gunicorn.conf.py app:app

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

# Time the weekly summary on a big SQLite database, built once into bench-data/.
# Options go through BENCH_ARGS, e.g. `make bench BENCH_ARGS="--rebuild --strict"`.
bench: $(STAMP)
	$(BIN)/python tools/bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
