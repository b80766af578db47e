# Swerve's two front-door commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test lint bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install lint
	$(VENV)/bin/swerve validate rules/
	$(PY) -m pytest -q

bench: install
	$(PY) scripts/bench_eval.py
