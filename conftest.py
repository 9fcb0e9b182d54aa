import os

import pytest
from hypothesis import HealthCheck, Phase, settings

_POSTGRESQL_ONLY = pytest.StashKey[int]()

# Fixture modules shared by the whole suite.
pytest_plugins = [
    "tests.plugins.users",
    "tests.plugins.simulator",
    "tests.plugins.storage",
]

# Property tests: `make test` selects "ci" (derandomised: the same examples on every
# run, so a landing cannot fail at random; a failure prints the blob that replays it).
# `make explore` selects "explore": fresh random examples, many more of them.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=200,
    deadline=None,
    print_blob=True,
    database=None,
)
# Explicitly random: Hypothesis derandomises by default where the CI variable is set.
settings.register_profile(
    "explore",
    derandomize=False,
    max_examples=5000,
    deadline=None,
    print_blob=True,
    phases=list(Phase),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgresql` run in the PostgreSQL half of `make test` only."""
    if _on_postgresql():
        return
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
        config.stash[_POSTGRESQL_ONLY] = len(deselected)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if count := config.stash.get(_POSTGRESQL_ONLY, 0):
        terminalreporter.write_line(
            f"{count} test(s) marked postgresql deselected: they need DATABASE_URL on "
            "PostgreSQL (several processes share its database, or they restart a cluster of "
            "their own); make test-postgres runs them."
        )
