"""/media/ on the app's origin: no stored file runs as a page of the app."""

import pytest
from django.test import Client

from kinovi_web.storage import served_type


@pytest.fixture
def media(local_storage):
    (local_storage / "refs").mkdir()
    (local_storage / "refs" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    (local_storage / "outputs").mkdir()
    (local_storage / "outputs" / "v.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    (local_storage / "outputs" / "evil.html").write_bytes(
        b"<script>alert(document.cookie)</script>"
    )
    (local_storage / "outputs" / "evil.svg").write_bytes(b"<svg onload=alert(1)></svg>")
    (local_storage / "outputs" / "noextension").write_bytes(b"<script>alert(1)</script>")
    return local_storage


@pytest.mark.parametrize(
    "path, content_type",
    [("refs/a.png", "image/png"), ("outputs/v.mp4", "video/mp4")],
)
def test_it_serves_media_inline_sandboxed_and_unsniffed(media, path, content_type):
    response = Client().get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"] == "inline"


@pytest.mark.parametrize("path", ["outputs/evil.html", "outputs/evil.svg", "outputs/noextension"])
def test_it_serves_anything_else_as_an_opaque_download(media, path):
    response = Client().get(f"/media/{path}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_missing_file_is_still_a_404(media):
    assert Client().get("/media/refs/missing.png").status_code == 404


@pytest.mark.parametrize(
    "name, expected",
    [
        ("thumbs/x.webp", ("image/webp", "inline")),
        ("refs/x.m4a", ("audio/mp4", "inline")),
        ("frames/x.jpg", ("image/jpeg", "inline")),
        ("outputs/x.HTML", ("application/octet-stream", "attachment")),
        ("a.b/c", ("application/octet-stream", "attachment")),
    ],
)
def test_the_type_follows_the_sniffed_extension_of_the_stored_name(name, expected):
    assert served_type(name) == expected
