# Swerve's two front-door commands: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python

PORT ?= 8787
ORIGIN_PORT ?= 8788

.PHONY: install test lint bench demo check-tools

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

install: $(VENV)/.installed node_modules/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install lint
	$(PY) scripts/ensure_chromium.py
	$(VENV)/bin/swerve validate rules/
	$(PY) -m pytest -q

demo: install
	$(PY) scripts/demo.py --port $(PORT) --origin-port $(ORIGIN_PORT)

bench: install
	$(PY) scripts/bench_eval.py
