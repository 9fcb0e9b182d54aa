"""Tests marked `postgres_only` run on the PostgreSQL half of `make test` only: several
processes share one database there, which an in-memory SQLite test database cannot be."""

import os

import pytest

REASON = (
    "deselected {n} test(s) marked postgres_only: several processes share one database, "
    "which needs PostgreSQL (they run in the PostgreSQL half of make test)"
)


def _on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    if _on_postgres():
        return
    dropped = [item for item in items if item.get_closest_marker("postgres_only")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
        config.stash[_dropped] = len(dropped)


_dropped = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    if config.stash.get(_dropped, 0):
        terminalreporter.write_line(REASON.format(n=config.stash[_dropped]))
