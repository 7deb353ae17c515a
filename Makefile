# Two commands do everything: `make run` and `make test`. Both install into .venv/ first if needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8

export DAGSTER_HOME := $(CURDIR)/.dagster
# dbt and dagster from .venv/ even when it is not activated (`dg dev`, which `make ui` runs, looks dbt up on PATH)
export PATH := $(CURDIR)/$(BIN):$(PATH)
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

DBT_SOURCES := $(shell find dbt_project/models dbt_project/seeds dbt_project/macros dbt_project/tests -type f) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml
MANIFEST := dbt_project/target/manifest.json

.PHONY: install prepare browser java run test soak ui docs report screenshots lint clean bench

# Debian packages the tests need (chromium, a JVM), as root or through sudo
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) apt-get

## install: the locked environment in .venv/ (uv from PyPI, then `uv sync --frozen`), compiled to bytecode
## at install: with PYTHONDONTWRITEBYTECODE set (as here), every process would compile its imports again
## (dbt and Great Expectations: seconds per refresh)
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/uv || { $(BIN)/python -m ensurepip --upgrade >/dev/null && \
		$(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }
	$(BIN)/uv sync --frozen --compile-bytecode --python $(BIN)/python
	touch $@

## prepare: Dagster home and the dbt manifest, which must exist before the definitions load
prepare: install $(DAGSTER_HOME)/dagster.yaml $(MANIFEST)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

$(MANIFEST): $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/dbt parse --quiet --project-dir dbt_project --profiles-dir dbt_project
	touch $@

## browser: Debian chromium and CJK fonts for the report, docs and UI tests (Playwright drives them)
browser:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

## java: a Java 17+ runtime from Debian for the spark target (pyspark 4 runs Spark in a local JVM)
java:
	@if ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then \
		$(APT_GET) update -qq && \
		{ $(APT_GET) install -y -qq openjdk-17-jre-headless >/dev/null 2>&1 || \
		  $(APT_GET) install -y -qq openjdk-21-jre-headless >/dev/null; }; \
	fi

## run: one full refresh on raw/ (or $$WAREHOUSE_RAW_ROOTS), then where the warehouse is and how to query it
## (WAREHOUSE_TARGET=spark builds the dbt models in Spark, local mode)
run: prepare $(if $(filter spark,$(WAREHOUSE_TARGET)),java)
	$(BIN)/warehouse refresh

## test: the whole suite (pytest exits 5 when it collected nothing: that is a failure here)
test: prepare browser java
	$(BIN)/pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status

## soak: 50 refreshes, good and held in turn, with two readers querying throughout (SOAK_REFRESHES=N)
soak: prepare
	$(BIN)/pytest -m soak -s -p no:randomly tests/test_soak.py

## ui: the Dagster UI and daemon (schedule, sensors, run queue) on http://127.0.0.1:3000
ui: prepare $(DAGSTER_HOME)/workspace.yaml
	cd $(DAGSTER_HOME) && $(CURDIR)/$(BIN)/dg dev -w workspace.yaml -h 127.0.0.1 -p 3000

# Dagster's UI starts in $$DAGSTER_HOME (from the project folder it warns that the project's dagster.yaml is
# not the instance's), so it is told where the code location is: pyproject.toml's [tool.dagster], as a workspace
$(DAGSTER_HOME)/workspace.yaml: pyproject.toml
	mkdir -p $(DAGSTER_HOME)
	printf 'load_from:\n  - python_module:\n      module_name: %s\n      location_name: %s\n      working_directory: %s\n' \
		orchestration.definitions yangtze_warehouse $(CURDIR) > $@

## docs: the dbt docs site as one HTML file that opens offline (warehouse/docs.html)
docs: prepare
	$(BIN)/warehouse docs

## report: the HTML report with charts from the published warehouse (warehouse/report.html)
report: prepare
	$(BIN)/warehouse report

## screenshots: the README's pictures (docs/images/), from this checkout's .dagster/ and warehouse
screenshots: prepare browser
	WAREHOUSE_SCREENSHOTS=$(CURDIR)/docs/images $(BIN)/pytest -q tests/test_ui.py tests/test_report.py tests/test_docs.py

## lint: ruff, and the code location as Dagster's own tooling loads it (`dg check defs`)
lint: prepare
	$(BIN)/ruff check orchestration tests benchmarks
	$(BIN)/ruff format --check orchestration tests benchmarks
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

clean:
	rm -rf warehouse dbt_project/target dbt_project/logs .pytest_cache

## bench: documents 1k/10k/100k and county statistics, each figure beside a baseline; writes benchmarks/RESULTS.md
bench: prepare
	$(BIN)/python -m benchmarks --write benchmarks/RESULTS.md
