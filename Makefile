# Ad Ops Command Center. `make run` and `make test` bootstrap .venv/ from nothing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export ADOPS_HOME ?= $(CURDIR)/data
# `make run PORT=8600 SIDECAR_PORT=8766` when the default ports are taken
PORT ?= 8501
SIDECAR_PORT ?= 8765

.PHONY: install run test lint typecheck pytest bench clean-data docs

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

run: install
	$(BIN)/python -m adops.launcher --port $(PORT) --sidecar-port $(SIDECAR_PORT)

lint: install
	$(BIN)/ruff check adops pages tests benchmarks app.py mkdocs_hooks
	$(BIN)/ruff format --check adops pages tests benchmarks app.py mkdocs_hooks

typecheck: install
	$(BIN)/mypy

# two processes, a test file each at a time (its module fixtures stay in one process): 8.5 min on 2 cores, 15 serially
pytest: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck pytest

docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: install
	$(BIN)/python -m benchmarks

clean-data:
	rm -rf data/*

# The same Delta tables read by polars and delta-rs (and Spark when its Delta jars are at hand) against
# `adops query`; polars lives in its own venv so the main lock does not pull it (docs/scale.md).
ENGINES_VENV := .venv-engines
.PHONY: check-engines
check-engines: install
	test -x $(ENGINES_VENV)/bin/python || $(PYTHON) -m venv $(ENGINES_VENV)
	$(ENGINES_VENV)/bin/pip install --quiet polars==2.1.0 datafusion==55.0.0 daft==0.7.26 pyarrow==25.0.1 $$(grep -E '^deltalake==' requirements.lock)
	$(BIN)/python engines/check.py
