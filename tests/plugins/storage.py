"""Fixtures for file storage: local media root and an S3-compatible server."""
