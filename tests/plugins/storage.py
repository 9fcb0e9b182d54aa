"""Fixtures for file storage: local media root and an S3-compatible server.

The S3 server is moto's, run as a real HTTP server in a subprocess, so the
code under test goes through django-storages and boto3 unpatched.
"""

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

S3_BUCKET = "kinovi-test"
S3_REGION = "us-east-1"
S3_KEY_ID = "testing"
S3_SECRET = "testing"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Runs moto's S3 server until the block ends; yields its endpoint URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY_ID,
        aws_secret_access_key=S3_SECRET,
        region_name=S3_REGION,
    )


def s3_storage_options(endpoint: str, bucket: str = S3_BUCKET) -> dict:
    """What settings.py builds from the STORAGE_* variables."""
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "access_key": S3_KEY_ID,
        "secret_key": S3_SECRET,
        "region_name": S3_REGION,
        "addressing_style": "path",
        "default_acl": "public-read",
        "querystring_auth": False,
        "file_overwrite": False,
    }


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    with moto_server() as endpoint:
        s3_client(endpoint).create_bucket(Bucket=S3_BUCKET)
        yield endpoint


@pytest.fixture
def s3_storage(settings, s3_server, tmp_path):
    """Django's default storage pointed at the moto bucket (and the Content Security
    Policy allowing its origin, as settings.py does from STORAGE_ENDPOINT_URL)."""
    settings.MEDIA_ROOT = tmp_path / "unused-media"
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "img-src": [*settings.SECURE_CSP["img-src"], s3_server],
        "media-src": [*settings.SECURE_CSP["media-src"], s3_server],
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "kinovi_web.storage.S3Storage",
            "OPTIONS": s3_storage_options(s3_server),
        },
    }
    return s3_client(s3_server)


@pytest.fixture
def local_storage(settings, tmp_path):
    """Django's default storage on a temporary MEDIA_ROOT; returns that root."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return root
