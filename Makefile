# Madoguchi — the only entry points people need. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
E2E_STAMP := $(VENV)/.installed-e2e
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: install run migrate demo messages catalog test e2e bench lint fmt clean openapi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

$(E2E_STAMP): $(TEST_STAMP)
	$(BIN)/pip install --quiet -e '.[test,e2e]'
	@touch $@

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,test]'
	@touch $@

## install: create .venv and install Madoguchi with its pinned dependencies
install: $(STAMP) messages

## messages: compile the gettext catalogs (.po -> .mo) with Babel, no system gettext needed
messages: $(STAMP)
	$(BIN)/python -m madoguchi compile_catalogs

## catalog: re-extract translatable strings into the English catalog (needs GNU gettext; translators edit the .po)
catalog: $(STAMP)
	cd src/madoguchi && MADOGUCHI_VAR_DIR=$(CURDIR)/var ../../$(BIN)/python -m madoguchi makemessages -l en --no-obsolete --no-location --ignore "*/tests/*"

migrate: install
	$(BIN)/python -m madoguchi migrate --no-input
	$(BIN)/python -m madoguchi createcachetable

demo: migrate
	$(BIN)/python -m madoguchi load_demo

## run: install, migrate, load the five demo municipalities, start web server and task worker
run: demo
	$(BIN)/python -m madoguchi run_dev --port $(PORT)

## test: the whole Python suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)
test: $(TEST_STAMP) messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## e2e: browser tests with the system Chromium and axe-core accessibility checks
e2e: $(E2E_STAMP) messages
	$(BIN)/python -m pytest e2e -p no:cacheprovider $(PYTEST_ARGS)

## bench: benchmarks; JSON results in bench/results/
bench: $(TEST_STAMP) messages
	$(BIN)/python bench/run.py
	$(BIN)/python bench/catalogue_search.py
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/faq_localgovfaq.py
	$(BIN)/python bench/facilities.py
	$(BIN)/python bench/opendata.py
	$(BIN)/python bench/lottery.py

## lint: ruff and mypy
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/madoguchi

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## openapi: regenerate docs/api/openapi.json after an API change
openapi: $(STAMP)
	$(BIN)/python -m madoguchi export_openapi --output docs/api/openapi.json

clean:
	rm -rf $(VENV) var/*.sqlite3* src/*.egg-info
