# Swerve's two front-door commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

PORT ?= 8787
ORIGIN_PORT ?= 8788

PYODIDE_SITE := .cache/pyodide/site

.PHONY: install test test-pyodide lint bench demo check-tools

check-tools:
	@python3 scripts/check_tools.py

$(VENV)/.installed: pyproject.toml | check-tools
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json | check-tools
	npm ci --no-audit --no-fund
	touch $@

# Pure-Python test wheels for the Pyodide runs, fetched now so tests never download.
$(PYODIDE_SITE)/.installed: scripts/pyodide-requirements.txt | $(VENV)/.installed
	rm -rf $(PYODIDE_SITE)
	$(VENV)/bin/pip install -q --no-deps --no-compile --only-binary=:all: --platform any --implementation py \
		--abi none --python-version 3.12 --target $(PYODIDE_SITE) -r scripts/pyodide-requirements.txt
	touch $@

install: $(VENV)/.installed node_modules/.installed $(PYODIDE_SITE)/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The pure edge modules' tests in every Pyodide of package.json (Node, offline).
test-pyodide: install
	$(PY) scripts/pyodide_tests.py

test: install lint test-pyodide
	$(PY) scripts/ensure_chromium.py
	$(VENV)/bin/swerve validate rules/
	$(PY) -m pytest -q

demo: install
	$(PY) scripts/demo.py --port $(PORT) --origin-port $(ORIGIN_PORT)

bench: install
	$(PY) scripts/bench_eval.py
