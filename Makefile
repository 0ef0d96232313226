# The two commands of the README: `make run` (the platform, with demo data) and `make test` (the suite).
# Both create .venv/ and install from the hashed lock files in requirements/.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format lock stop clean

run: $(VENV)/.base-installed
	$(BIN)/python scripts/run.py

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the hashed locks after editing requirements/*.in (needs network access to PyPI).
lock: $(VENV)/.dev-installed
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 --no-header requirements/base.in -o requirements/base.txt
	$(BIN)/uv pip compile --quiet --generate-hashes --python-version 3.11 --no-header requirements/dev.in -o requirements/dev.txt

# Stop the embedded PostgreSQL server that manage.py commands leave running.
stop:
	$(BIN)/python -m pharmex.embedded_pg stop

clean: stop
	rm -rf $(VENV) .pgdata .celery .run staticfiles

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "PharmEx needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/base.txt
	@touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	@touch $@ $(VENV)/.base-installed
