# `make demo` and `make test` work on a fresh machine: each creates .venv and installs what it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format bench replay clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/watcher demo

test: $(STAMP)
	$(BIN)/ruff check watcher tests bench training
	$(BIN)/ruff format --check watcher tests bench training
	$(BIN)/pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check watcher tests bench training
	$(BIN)/ruff format --check watcher tests bench training

format: $(STAMP)
	$(BIN)/ruff check --fix watcher tests bench training
	$(BIN)/ruff format watcher tests bench training

bench: $(STAMP)
	$(BIN)/python bench/normalize_speed.py

replay: $(STAMP)
	$(BIN)/python bench/replay.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache test-artifacts
