"""Fixtures that start the Kinovi simulator for tests."""
