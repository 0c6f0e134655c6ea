# Two commands on a fresh clone: `make run` (the whole service) and `make test` (every check).
# Prerequisites: Python >= 3.11 as `python3` (or PYTHON=...) and make; nothing else.
SHELL := /bin/bash
PYTHON ?= python3
# uv: the one on PATH, else a private copy in a virtual environment of its own under
# var/bootstrap (made with `python3 -m venv`, which PEP 668 allows on Debian/Ubuntu system
# Pythons; never `pip install --break-system-packages` or `--user`).
BOOTSTRAP := $(CURDIR)/var/bootstrap
UV = $(shell command -v uv 2>/dev/null || echo $(BOOTSTRAP)/bin/uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format setup uv

uv:
	@if command -v uv >/dev/null 2>&1 || [ -x "$(BOOTSTRAP)/bin/uv" ]; then exit 0; fi; \
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Python >= 3.11 is needed as '$(PYTHON)' (or run: make PYTHON=/path/to/python3.x ...)" >&2; exit 1; }; \
	echo "Installing uv into $(BOOTSTRAP) (once)..."; \
	rm -rf "$(BOOTSTRAP)"; \
	if $(PYTHON) -m venv "$(BOOTSTRAP)" >/dev/null 2>&1 && [ -x "$(BOOTSTRAP)/bin/pip" ]; then \
	  "$(BOOTSTRAP)/bin/pip" install --quiet --disable-pip-version-check uv; \
	else \
	  rm -rf "$(BOOTSTRAP)" && $(PYTHON) -m venv --without-pip "$(BOOTSTRAP)" && \
	  $(PYTHON) -m pip --python "$(BOOTSTRAP)/bin/python" install --quiet --disable-pip-version-check uv \
	  || { echo "Could not make a virtual environment with pip: install python3-venv (Debian/Ubuntu: apt install python3-venv) or uv (https://docs.astral.sh/uv/)." >&2; \
	       rm -rf "$(BOOTSTRAP)"; exit 1; }; \
	fi

setup: uv
	@$(UV) sync --frozen --quiet
	@$(UV) run python manage.py migrate --no-input -v0

## Run web (127.0.0.1:8000) + Celery worker + Celery beat; one Ctrl-C stops all three.
run: setup
	@$(UV) run python manage.py demo_setup --host $(HOST) --port $(PORT)
	@HOST=$(HOST) PORT=$(PORT) $(UV) run honcho --no-colour -f Procfile.dev start

## Lint, format check, type check (mypy), migrations check, and the whole pytest suite
## (PostgreSQL when DATABASE_URL is set, else SQLite).
test: uv
	@$(UV) sync --frozen --quiet
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy
	$(UV) run python manage.py makemigrations --check --dry-run
	$(UV) run pytest $(PYTEST_ARGS)

lint:
	$(UV) run ruff check --fix .
	$(UV) run ruff format .
