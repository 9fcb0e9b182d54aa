"""A body larger than any cap is refused by its Content-Length, before anything
reads it: 413 and the message the upload row shows, no row, no file."""

import socket
import time

import pytest
from django.test import Client

from projects.models import ReferenceAsset

MB = 2**20
TOO_LARGE = (
    "The file is too large: images may be at most 20 MB, videos 200 MB and audio files 50 MB."
)
# The largest cap (video, 200 MB) plus the allowance for the multipart framing.
UPLOAD_CEILING = 201 * MB
# How upload.js sends each file.
XHR = {"X-Requested-With": "XMLHttpRequest"}


def _post_declaring(browser: Client, url: str, length: int | str, headers: dict | None = None):
    """POST a small body whose Content-Length claims `length` bytes: the view would fail
    to read it, so an answer proves nothing read the body."""
    return browser.post(
        url,
        _multipart_head(),
        content_type="multipart/form-data; boundary=x",
        headers=headers,
        CONTENT_LENGTH=str(length),
    )


def _multipart_head() -> bytes:
    return (
        b"--x\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n"
    )


def test_it_answers_upload_js_with_413_and_the_caps(alice_client, local_storage):
    response = _post_declaring(alice_client, "/library/upload/", UPLOAD_CEILING + 1, headers=XHR)
    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == TOO_LARGE
    assert not ReferenceAsset.objects.exists()
    assert not any(local_storage.rglob("*.*"))


def test_it_lets_a_body_at_the_ceiling_through_to_the_view(alice_client, settings):
    settings.UPLOAD_MAX_IMAGE_MB = settings.UPLOAD_MAX_VIDEO_MB = 0
    settings.UPLOAD_MAX_AUDIO_MB = 0
    with open(__file__, "rb") as small:
        response = alice_client.post(
            "/library/upload/",
            {"file": small},
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
    # Refused by the view for what it is, not by its size.
    assert response.status_code == 400
    assert "This file type is not accepted" in response.content.decode()


def test_it_follows_the_caps_in_settings(alice_client, settings):
    settings.UPLOAD_MAX_IMAGE_MB, settings.UPLOAD_MAX_VIDEO_MB = 1, 3
    settings.UPLOAD_MAX_AUDIO_MB = 2
    response = _post_declaring(alice_client, "/library/upload/", 4 * MB + 1, headers=XHR)
    assert response.status_code == 413
    assert "images may be at most 1 MB, videos 3 MB and audio files 2 MB" in (
        response.content.decode()
    )


def test_it_shows_the_plain_form_the_message_in_the_library(alice_client):
    response = _post_declaring(alice_client, "/library/upload/", UPLOAD_CEILING + 1)
    assert response.status_code == 302
    assert response["Location"] == "/library/"
    assert TOO_LARGE in alice_client.get("/library/").content.decode()


@pytest.mark.parametrize("url", ["/accounts/login/", "/library/characters/new/", "/teams/switch/"])
def test_it_refuses_a_large_body_anywhere_else_unread(client, alice_client, url):
    for browser in (client, alice_client):
        response = _post_declaring(browser, url, 4 * MB)
        assert response.status_code == 413
        assert response.content.decode() == (
            "The request is too large: at most 3 MB is accepted here."
        )


@pytest.mark.django_db(transaction=True)
def test_it_answers_a_slow_oversized_upload_at_once(live_server, alice_client):
    """A client declaring 4 MB over the ceiling and sending 64 KB gets its 413
    without the server waiting for the rest."""
    session = alice_client.cookies["sessionid"].value
    host, port = live_server.thread.host, live_server.thread.port
    head = (
        "POST /library/upload/ HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Cookie: sessionid={session}\r\n"
        "X-Requested-With: XMLHttpRequest\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {UPLOAD_CEILING + 4 * MB}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=2) as sock:
        sock.sendall(head + _multipart_head() + b"\0" * (64 * 1024))
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(TOO_LARGE.encode()):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert answer.endswith(TOO_LARGE.encode())
    assert elapsed < 2
    assert not ReferenceAsset.objects.exists()


@pytest.mark.parametrize("length", ["-1", "abc", "1e9", " 5", str(10**25)])
@pytest.mark.parametrize("url", ["/library/upload/", "/library/characters/new/", "/teams/switch/"])
def test_it_never_fails_on_a_forged_content_length(alice, url, length):
    browser = Client(raise_request_exception=False)
    browser.force_login(alice)
    response = _post_declaring(browser, url, length, headers=XHR)
    assert response.status_code < 500
    assert not ReferenceAsset.objects.exists()
