import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.views.static import serve
from PIL import Image

from projects.models import ReferenceAsset
from tests.library.conftest import MEDIA, fixture_file, upload


@pytest.mark.parametrize(
    ("name", "kind", "mime"),
    [
        ("tiny.png", "image", "image/png"),
        ("tiny.webp", "image", "image/webp"),
        ("exif_gps.jpg", "image", "image/jpeg"),
        ("one_second.mp4", "video", "video/mp4"),
        ("one_second.wav", "audio", "audio/wav"),
        ("one_second.mp3", "audio", "audio/mpeg"),
        ("one_second.ogg", "audio", "audio/ogg"),
        ("one_second.flac", "audio", "audio/flac"),
        ("one_second.m4a", "audio", "audio/mp4"),
        ("one_second.aac", "audio", "audio/aac"),
    ],
)
def test_it_stores_each_accepted_kind(alice_client, alice, team, local_storage, name, kind, mime):
    response = upload(alice_client, name)
    assert response.status_code == 201
    asset = ReferenceAsset.objects.get()
    assert (asset.owner, asset.team, asset.kind, asset.mime_type) == (alice, team, kind, mime)
    assert asset.url == f"http://127.0.0.1:8000/media/{asset.file.name}"
    assert (local_storage / asset.file.name).exists()
    assert f'id="asset-{asset.pk}"' in response.content.decode()
    if kind == "audio":
        assert asset.duration == pytest.approx(1.0, abs=0.1)
        assert not asset.thumbnail


def test_it_stores_under_a_random_key_and_not_the_file_name(alice_client):
    upload(alice_client, "tiny.png", "My Secret Portrait.png")
    asset = ReferenceAsset.objects.get()
    assert "Secret" not in asset.file.name
    assert asset.file.name.startswith("refs/") and asset.file.name.endswith(".png")
    assert len(asset.file.name.split("/")[1].split(".")[0]) >= 32
    assert asset.name == "My Secret Portrait"
    assert asset.original_filename == "My Secret Portrait.png"


def test_it_serves_the_file_at_its_public_url(alice_client, settings, rf):
    upload(alice_client, "one_second.mp4")
    asset = ReferenceAsset.objects.get()
    assert asset.url.startswith(settings.SITE_URL + settings.MEDIA_URL)
    # kinovi_web.urls binds the media route to MEDIA_ROOT at import time, so
    # call the same view with this test's temporary root.
    key = asset.url.removeprefix(settings.SITE_URL + settings.MEDIA_URL)
    response = serve(rf.get("/media/" + key), key, document_root=settings.MEDIA_ROOT)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (MEDIA / "one_second.mp4").read_bytes()
    assert response["Content-Type"] == "video/mp4"


def test_it_strips_exif_and_gps_and_keeps_orientation(alice_client, local_storage):
    upload(alice_client, "exif_gps.jpg")
    asset = ReferenceAsset.objects.get()
    stored = (local_storage / asset.file.name).read_bytes()
    assert b"FixtureCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert len(image.getexif()) == 0
        assert image.size == (32, 64)
    assert (asset.width, asset.height) == (32, 64)
    assert asset.size_bytes == len(stored)


def test_it_makes_an_image_thumbnail_and_a_video_poster(alice_client, local_storage):
    upload(alice_client, "tiny.png")
    upload(alice_client, "one_second.mp4")
    for asset in ReferenceAsset.objects.all():
        assert asset.thumbnail.name.startswith("thumbs/")
        assert asset.thumbnail_url.endswith(asset.thumbnail.name)
        with Image.open(local_storage / asset.thumbnail.name) as thumb:
            assert thumb.format == "WEBP"


def test_it_reads_video_facts(alice_client):
    upload(alice_client, "one_second.mp4")
    asset = ReferenceAsset.objects.get()
    assert (asset.width, asset.height) == (64, 64)
    assert asset.duration == pytest.approx(1.0, abs=0.15)


def test_it_refuses_a_16_second_video_and_says_why(alice_client, local_storage):
    response = upload(alice_client, "sixteen_seconds.mp4")
    assert response.status_code == 400
    assert "16.0 s long" in response.content.decode()
    assert "at most 15 s" in response.content.decode()
    assert not ReferenceAsset.objects.exists()
    assert not any(local_storage.rglob("*.*"))


@pytest.mark.parametrize(
    ("name", "upload_name"),
    [("image.svg", "image.svg"), ("page.html", "photo.jpg"), ("archive.zip", "clip.mp4")],
)
def test_it_refuses_other_files_by_content_not_name(alice_client, name, upload_name):
    response = upload(alice_client, name, upload_name)
    assert response.status_code == 400
    assert "JPEG, PNG or WebP images; MP4 videos; MP3, WAV" in response.content.decode()
    assert not ReferenceAsset.objects.exists()


def test_it_takes_the_kind_from_the_bytes_even_under_a_wrong_name(alice_client):
    assert upload(alice_client, "tiny.png", "song.mp3").status_code == 201
    assert ReferenceAsset.objects.get().kind == "image"


def test_it_refuses_a_decompression_bomb(alice_client):
    response = upload(alice_client, "bomb.png")
    assert response.status_code == 400
    assert "too many pixels" in response.content.decode()


def test_it_refuses_a_truncated_image_with_a_message(alice_client, local_storage):
    data = (MEDIA / "tiny.png").read_bytes()
    half = SimpleUploadedFile("half.png", data[: len(data) // 2], content_type="image/png")
    response = alice_client.post(
        "/library/upload/", {"file": half}, headers={"X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 400
    assert "PNG image" in response.content.decode()
    assert not ReferenceAsset.objects.exists()
    assert not any(local_storage.rglob("*.*"))


def test_it_refuses_a_file_over_its_size_cap(alice_client, settings):
    settings.UPLOAD_MAX_AUDIO_MB = 0
    response = upload(alice_client, "one_second.wav")
    assert response.status_code == 400
    assert "audio files may be at most 0 MB" in response.content.decode()


def test_it_refuses_a_body_larger_than_any_cap_before_reading_it(alice_client, settings):
    settings.UPLOAD_MAX_IMAGE_MB = settings.UPLOAD_MAX_VIDEO_MB = 0
    settings.UPLOAD_MAX_AUDIO_MB = 0
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 2**20))
    response = alice_client.post(
        "/library/upload/", {"file": big}, headers={"X-Requested-With": "XMLHttpRequest"}
    )
    assert response.status_code == 413
    assert not ReferenceAsset.objects.exists()


def test_it_stores_the_same_bytes_once_per_owner(alice_client, local_storage):
    assert upload(alice_client, "tiny.png", "a.png").status_code == 201
    response = upload(alice_client, "tiny.png", "b.png")
    assert response.status_code == 200
    assert ReferenceAsset.objects.count() == 1
    assert len(list((local_storage / "refs").iterdir())) == 1


def test_it_stores_the_same_bytes_separately_for_another_owner(alice_client, bob):
    upload(alice_client, "tiny.png")
    alice_client.force_login(bob)
    assert upload(alice_client, "tiny.png").status_code == 201
    assert ReferenceAsset.objects.count() == 2


def test_it_restores_an_archived_asset_uploaded_again(alice_client):
    upload(alice_client, "tiny.png")
    asset = ReferenceAsset.objects.get()
    ReferenceAsset.objects.filter(pk=asset.pk).update(archived_at="2026-01-01T00:00:00Z")
    assert upload(alice_client, "tiny.png").status_code == 200
    asset.refresh_from_db()
    assert asset.archived_at is None


def test_it_uploads_many_files_from_the_plain_form(alice_client):
    response = alice_client.post(
        "/library/upload/",
        {"file": [fixture_file("tiny.png"), fixture_file("page.html"), fixture_file("tiny.webp")]},
        follow=True,
    )
    assert ReferenceAsset.objects.count() == 2
    text = response.content.decode()
    assert "tiny.png: uploaded." in text
    assert "page.html: This file type is not accepted" in text


def test_it_requires_a_file(alice_client):
    response = alice_client.post("/library/upload/", headers={"X-Requested-With": "XMLHttpRequest"})
    assert response.status_code == 400


def test_it_only_accepts_post(alice_client):
    assert alice_client.get("/library/upload/").status_code == 405


def test_it_requires_login(client):
    response = upload(client, "tiny.png")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_uploads_into_the_uploaders_current_team(charlie_client, charlie, other_team):
    upload(charlie_client, "tiny.png")
    assert ReferenceAsset.objects.get().team == other_team
