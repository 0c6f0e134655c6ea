# Two commands on a fresh clone: `make run` (the whole service) and `make test` (every check).
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(HOME)/.cargo/bin:$(PATH)
# Resolved when a recipe runs (after the `uv` target may have installed it): the `uv`
# command if it is on PATH, else the module pip installed (no shim or PATH change needed).
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format setup uv

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
	  python3 -m pip install --quiet uv 2>/dev/null || python3 -m pip install --user --quiet uv

setup: uv
	@$(UV) sync --frozen --quiet
	@$(UV) run python manage.py migrate --no-input -v0

## Run web (127.0.0.1:8000) + Celery worker + Celery beat; one Ctrl-C stops all three.
run: setup
	@$(UV) run python manage.py demo_setup --host $(HOST) --port $(PORT)
	@HOST=$(HOST) PORT=$(PORT) $(UV) run honcho --no-colour -f Procfile.dev start

## Lint, format check, migrations check, and the whole pytest suite
## (PostgreSQL when DATABASE_URL is set, else SQLite).
test: uv
	@$(UV) sync --frozen --quiet
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run python manage.py makemigrations --check --dry-run
	$(UV) run pytest $(PYTEST_ARGS)

lint:
	$(UV) run ruff check --fix .
	$(UV) run ruff format .
