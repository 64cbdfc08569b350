# Tarif: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
TARIF_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint typecheck test-sqlite test-postgres test-browser-deps pdf-deps pdf-test-deps bench migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP)

run: $(STAMP) pdf-deps
	$(BIN)/tarif db upgrade
	$(BIN)/tarif demo load
	$(BIN)/tarif serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check tarif tests bench
	$(BIN)/ruff format --check tarif tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

test-browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || { echo "could not install chromium: browser tests cannot run" >&2; exit 1; }; }

# WeasyPrint draws invoices with Pango; the invoice tests read PDFs back with pdftotext.
pdf-deps:
	@{ ldconfig -p | grep -q libpangoft2-1.0 && fc-list 2>/dev/null | grep -qi dejavu; } || { \
	  echo "installing Debian's Pango for the invoice PDFs"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fontconfig) \
	    || { echo "could not install Pango: invoice PDFs cannot be rendered" >&2; exit 1; }; }

pdf-test-deps: pdf-deps
	@command -v pdftotext >/dev/null 2>&1 || { \
	  echo "installing Debian's poppler-utils (pdftotext) for the invoice tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils) \
	    || { echo "could not install poppler-utils: invoice tests cannot run" >&2; exit 1; }; }

test-sqlite: $(DEV_STAMP) test-browser-deps pdf-test-deps
	TARIF_TEST_DB=sqlite $(BIN)/pytest -n 2 --dist loadgroup -q

test-postgres: $(DEV_STAMP) pdf-test-deps
	@if $(BIN)/python -m tarif.db.probe "$(TARIF_TEST_PG_URL)"; then \
	  TARIF_TEST_DB=postgresql TARIF_TEST_PG_URL="$(TARIF_TEST_PG_URL)" \
	    $(BIN)/pytest -n 2 --dist loadgroup -q -m "not browser"; \
	else \
	  echo ""; \
	  echo "################################################################"; \
	  echo "## PostgreSQL at $(TARIF_TEST_PG_URL) is NOT reachable:"; \
	  echo "## the PostgreSQL half of the suite is SKIPPED."; \
	  echo "################################################################"; \
	  echo ""; \
	fi

test: lint typecheck test-sqlite test-postgres

bench: $(DEV_STAMP)
	$(BIN)/python -m bench

migration: $(DEV_STAMP)
	$(BIN)/python -m tarif.db.autogenerate "$(m)"

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache .ruff_cache
