# rednote_dagster — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export REDNOTE_DATA_DIR ?= $(CURDIR)/data
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
SCALE ?= small
SEED ?= 0
UI_PORT ?= 3000
# pip's noise about the local index mirrors helps nobody
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test ui share bench install manifest lock clean-data instance chromium

$(BIN)/activate: pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "make: needs $(PYTHON) on PATH (or PYTHON=/path/to/python3.11)"; exit 1; }
	@echo "installing the project and its pinned dependencies into $(VENV) (2-4 min the first time; log: $(VENV)/install.log)"
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@{ $(PIP) --upgrade pip && $(PIP) -e ".[dev]"; } > $(VENV)/install.log 2>&1 \
	  || { tail -n 30 $(VENV)/install.log; echo "make: install failed; the whole log is $(VENV)/install.log"; exit 1; }
	@touch $(BIN)/activate

install: $(BIN)/activate

# dagster-dbt needs target/manifest.json when the definitions are loaded (defs/transform/project.py).
manifest: install
	@cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

# The instance config (DuckDB concurrency pool, run queue) for a DAGSTER_HOME that has none yet.
instance:
	@mkdir -p "$(DAGSTER_HOME)"
	@test -f "$(DAGSTER_HOME)/dagster.yaml" || cp .dagster_home/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

# Browser tests drive Debian's chromium (never a downloaded browser). Installs it when missing and
# possible (root and apt-get); otherwise says why, and those tests skip. Never fails the build.
chromium:
	@if command -v chromium >/dev/null 2>&1 || test -x /usr/bin/chromium; then :; \
	elif [ "$$(id -u)" != 0 ]; then echo "chromium: not installed, not root: browser tests will be skipped"; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "chromium: no apt-get: browser tests will be skipped"; \
	else echo "chromium: installing Debian chromium (apt-get install chromium)"; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
	    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; }; } \
	  || echo "chromium: apt-get install failed: browser tests will be skipped"; \
	fi

run: manifest instance
	@$(BIN)/python -m rednote_dagster run --scale $(SCALE) --seed $(SEED)

test: manifest chromium
	$(BIN)/python -m pytest

ui: manifest instance
	@echo "Dagster UI: http://127.0.0.1:$(UI_PORT)  (loads in ~20 s; Ctrl-C stops it)"
	@$(BIN)/dagster dev -w workspace.yaml -p $(UI_PORT)

# The share-safe replication package of the warehouse `make run` built (lib/share.py).
share: manifest
	@$(BIN)/python -m rednote_dagster share

bench: install
	$(BIN)/python benchmarks/run_all.py

lock: install
	( echo "# Pinned versions of every installed package (pip install -c constraints.txt). Regenerate with 'make lock'."; \
	  $(BIN)/pip freeze | grep -v -iE "^-e|rednote" ) > constraints.txt

clean-data:
	rm -rf $(REDNOTE_DATA_DIR)/warehouse.duckdb* $(REDNOTE_DATA_DIR)/reports
