"""Hostile files uploaded over HTTP: each gets a 400 naming its problem, and
nothing is stored (no row, no file)."""

import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects import media
from projects.models import ReferenceAsset
from tests.fixtures import hostile
from tests.library.conftest import MEDIA


def _upload(client, name: str, data: bytes, xhr: bool = True):
    headers = {"X-Requested-With": "XMLHttpRequest"} if xhr else {}
    return client.post(
        "/library/upload/", {"file": SimpleUploadedFile(name, data)}, headers=headers
    )


def _assert_refused(response, message: str, local_storage) -> None:
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert message in response.content.decode()
    assert not ReferenceAsset.objects.exists()
    assert not [p for p in local_storage.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("ihdr.png", hostile.png_with_truncated_ihdr, "This PNG image could not be read."),
        ("ztxt.png", hostile.png_with_ztxt_bomb, "a text or colour-profile chunk"),
        ("iccp.png", hostile.png_with_iccp_bomb, "inflates to more than 1 MB"),
        ("ztxt-after-pixels.png", hostile.png_with_ztxt_bomb_after_pixels, "inflates to more"),
        (
            "codec.mp4",
            hostile.mp4_with_unknown_video_codec,
            "The video in this file uses a codec that is not supported.",
        ),
        (
            "codec.m4a",
            hostile.m4a_with_unknown_audio_codec,
            "The audio in this file uses a codec that is not supported.",
        ),
        (
            "damaged.m4a",
            hostile.m4a_none_of_whose_samples_decode,
            "The audio in this file is damaged: its first second does not decode.",
        ),
        (
            "damaged.mp4",
            hostile.mp4_none_of_whose_frames_decode,
            "The video in this file is damaged: its first second does not decode.",
        ),
    ],
)
def test_it_refuses_a_file_its_parsers_choke_on(alice_client, local_storage, name, build, message):
    _assert_refused(_upload(alice_client, name, build()), message, local_storage)


def test_it_says_an_empty_file_is_empty(alice_client, local_storage):
    _assert_refused(_upload(alice_client, "empty.png", b""), "The file is empty.", local_storage)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(hostile.png_header_claiming(100_000, 100_000), id="bomb-100000x100000"),
        pytest.param(hostile.black_png(20_000, 20_000), id="real-20000x20000"),
        pytest.param((MEDIA / "bomb.png").read_bytes(), id="bomb.png-10000x10000"),
    ],
)
def test_it_says_an_image_has_too_many_pixels_and_the_limit(alice_client, local_storage, data):
    _assert_refused(
        _upload(alice_client, "big.png", data),
        "The image has too many pixels: at most 50 megapixels are accepted.",
        local_storage,
    )


@pytest.mark.parametrize(
    ("claiming_shorter", "name", "message"),
    [
        pytest.param(
            hostile.mp4_claiming_shorter,
            "sixteen_seconds.mp4",
            "This video file says it is 5.0 s long, but its frames last 16.0 s",
            id="video",
        ),
        pytest.param(
            hostile.mp3_claiming_shorter,
            "sixteen_seconds.mp3",
            "This audio file says it is 4.8 s long, but its samples last 16.2 s",
            id="audio",
        ),
    ],
)
def test_it_refuses_a_file_whose_header_claims_a_third_of_its_length(
    alice_client, local_storage, claiming_shorter, name, message
):
    lying = claiming_shorter(MEDIA / name, 5 / 16)
    _assert_refused(_upload(alice_client, name, lying), message, local_storage)


def test_it_stores_the_measured_length_not_the_declared_one(alice_client):
    # Within the tolerance: accepted, with the length its frames really last.
    rounded = hostile.mp4_claiming_shorter(MEDIA / "one_second.mp4", 0.8)
    assert _upload(alice_client, "clip.mp4", rounded).status_code == 201
    assert ReferenceAsset.objects.get().duration == pytest.approx(1.0, abs=0.01)


def test_it_takes_an_mp3_with_cover_art_as_audio_of_its_own_length(alice_client):
    with_cover = hostile.mp3_with_cover((MEDIA / "tiny.png").read_bytes())
    assert _upload(alice_client, "song.mp3", with_cover).status_code == 201
    asset = ReferenceAsset.objects.get()
    assert (asset.kind, asset.width) == ("audio", None)
    assert asset.duration == pytest.approx(1.0, abs=0.1)


def test_it_refuses_a_file_of_countless_tiny_packets(alice_client, local_storage, monkeypatch):
    # one_second.mp4 has 10 packets; a hostile file would have millions.
    monkeypatch.setattr(media, "MAX_PACKETS", 9)
    _assert_refused(
        _upload(alice_client, "clip.mp4", (MEDIA / "one_second.mp4").read_bytes()),
        "This file has far too many frames for a short reference.",
        local_storage,
    )


def test_it_refuses_a_hostile_file_from_the_plain_form_with_a_message(alice_client, local_storage):
    response = _upload(alice_client, "ihdr.png", hostile.png_with_truncated_ihdr(), xhr=False)
    assert response.status_code == 302
    page = alice_client.get(response["Location"]).content.decode()
    assert "ihdr.png: This PNG image could not be read." in page
    assert not ReferenceAsset.objects.exists()


_FIXTURES = [
    "tiny.png",
    "tiny.webp",
    "exif_gps.jpg",
    "one_second.mp4",
    "one_second.wav",
    "one_second.mp3",
    "one_second.ogg",
    "one_second.flac",
    "one_second.m4a",
    "one_second.aac",
]


@pytest.mark.filterwarnings("ignore:Truncated File Read")
@pytest.mark.parametrize("name", _FIXTURES)
def test_it_never_fails_on_damaged_copies_of_real_files(alice_client, name):
    """Truncated and bit-flipped copies are stored or refused with a message, never a
    500. The damage is drawn from a fixed seed per file, so a run is reproducible."""
    original = (MEDIA / name).read_bytes()
    chance = random.Random(name)
    for _ in range(12):
        data = bytearray(original)
        if chance.random() < 0.3:
            data = data[: chance.randrange(16, len(data))]
        # Spare the magic number, so the damage reaches the parsers.
        for _ in range(chance.randrange(1, 8)):
            data[chance.randrange(12, len(data))] = chance.randrange(256)
        response = _upload(alice_client, name, bytes(data))
        assert response.status_code in (200, 201, 400), response.content[:200]
        if response.status_code == 400:
            assert response.content.decode().strip()
