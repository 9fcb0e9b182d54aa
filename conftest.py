# Fixture modules shared by the whole suite.
pytest_plugins = [
    "tests.plugins.users",
    "tests.plugins.simulator",
    "tests.plugins.storage",
]
