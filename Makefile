# Kinovi Web. `make run` starts everything; `make test` checks everything.
VENV := .venv
PY := $(VENV)/bin/python
# The password matters only where PostgreSQL asks for one (bin/ensure-postgres sets it).
PG_DATABASE_URL ?= postgres://postgres:postgres@127.0.0.1:5432/kinovi_web
PYTEST_ARGS ?=
export DJANGO_ALLOW_ASYNC_UNSAFE := true

.PHONY: run serve test test-sqlite test-postgres lint format venv browser explore screenshots simulate bench clean

venv:
	@bin/ensure-venv

run: venv
	@bin/run

# Production: gunicorn and the workers from the environment (README, Deploying).
serve: venv
	@bin/serve

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Chromium for the browser tests: installed from Debian when missing and we are root.
browser:
	@bin/ensure-browser

# Property tests run derandomised in the test targets, so a landing never fails at random;
# `make explore` searches with fresh random examples instead.
test-sqlite: venv browser
	@echo "== tests on SQLite =="
	env -u DATABASE_URL HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: venv browser
	@bin/ensure-postgres $(PG_DATABASE_URL)
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(PG_DATABASE_URL) HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

explore: venv
	env -u DATABASE_URL HYPOTHESIS_PROFILE=explore $(PY) -m pytest -m hypothesis \
		--hypothesis-show-statistics -p no:cacheprovider $(PYTEST_ARGS)

# Rewrites the PNGs under docs/ from the browser tests that take them.
screenshots: venv browser
	env -u DATABASE_URL SCREENSHOTS=1 $(PY) -m pytest tests/browser -p no:cacheprovider

bench: venv
	@bin/bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
