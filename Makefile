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
# pip's noise about the local index mirrors helps nobody
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test ui bench install manifest lock clean-data instance chromium

$(BIN)/activate: pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	set -o pipefail; $(PIP) -e ".[dev]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	touch $(BIN)/activate

install: $(BIN)/activate

# dagster-dbt needs target/manifest.json at import time (dagster_anchors.md G4).
manifest: install
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

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
	$(BIN)/python -m rednote_dagster run --scale $(SCALE) --seed $(SEED)

test: manifest chromium
	$(BIN)/python -m pytest

ui: manifest instance
	$(BIN)/dagster dev -w workspace.yaml

bench: install
	$(BIN)/python benchmarks/run_all.py

lock: install
	( echo "# Pinned versions of every installed package (pip install -c constraints.txt). Regenerate with 'make lock'."; \
	  $(BIN)/pip freeze | grep -v -iE "^-e|rednote" ) > constraints.txt

clean-data:
	rm -rf $(REDNOTE_DATA_DIR)/warehouse.duckdb* $(REDNOTE_DATA_DIR)/reports
