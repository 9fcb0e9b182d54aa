import os

from hypothesis import HealthCheck, Phase, settings

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
