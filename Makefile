# Kinovi Web. `make run` starts everything; `make test` checks everything.
VENV := .venv
PY := $(VENV)/bin/python
# The password matters only where PostgreSQL asks for one (bin/ensure-postgres sets it).
PG_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/kinovi_web
PYTEST_ARGS ?=
export DJANGO_ALLOW_ASYNC_UNSAFE := true

.PHONY: run test test-sqlite test-postgres lint format venv simulate bench clean

venv:
	@bin/ensure-venv

run: venv
	@bin/run

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test-sqlite: venv
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: venv
	@bin/ensure-postgres $(PG_DATABASE_URL)
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(PG_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

bench: venv
	$(PY) bench/upload_to_s3.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
