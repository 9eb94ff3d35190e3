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

migrate: $(STAMP)
	$(BIN)/flask db upgrade

run: migrate
	@echo "Tend is running at http://127.0.0.1:5000  (Ctrl-C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

demo: migrate
	$(BIN)/flask demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
