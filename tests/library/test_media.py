"""projects.media on its own: sniffing, probing, cleaning, with real files."""

import io
from pathlib import Path

import pytest
from PIL import Image

from projects import media

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
LIMITS = media.Limits(
    max_bytes={media.Kind.IMAGE: 20 << 20, media.Kind.VIDEO: 200 << 20, media.Kind.AUDIO: 50 << 20}
)


def inspect(name: str, limits: media.Limits = LIMITS) -> media.MediaInfo:
    data = (MEDIA / name).read_bytes()
    return media.inspect(io.BytesIO(data), data[: media.HEAD_SIZE], len(data), limits)


@pytest.mark.parametrize(
    ("name", "fmt", "kind"),
    [
        ("tiny.png", "png", "image"),
        ("tiny.webp", "webp", "image"),
        ("exif_gps.jpg", "jpeg", "image"),
        ("one_second.mp4", "mp4", "video"),
        ("one_second.wav", "wav", "audio"),
        ("one_second.mp3", "mp3", "audio"),
        ("one_second.ogg", "ogg", "audio"),
        ("one_second.flac", "flac", "audio"),
        ("one_second.m4a", "m4a", "audio"),
        ("one_second.aac", "aac", "audio"),
    ],
)
def test_it_accepts_each_format_by_its_bytes(name, fmt, kind):
    info = inspect(name)
    assert info.format.name == fmt
    assert info.kind == kind


def test_it_reads_dimensions_and_durations():
    video = inspect("one_second.mp4")
    assert (video.width, video.height) == (64, 64)
    assert video.duration == pytest.approx(1.0, abs=0.15)
    assert inspect("one_second.wav").duration == pytest.approx(1.0, abs=0.05)
    # Stored 64x32 with EXIF orientation 6: shown upright as 32x64.
    image = inspect("exif_gps.jpg")
    assert (image.width, image.height) == (32, 64)


@pytest.mark.parametrize("name", ["image.svg", "page.html", "archive.zip"])
def test_it_refuses_other_types_and_says_what_is_accepted(name):
    with pytest.raises(media.MediaError, match="JPEG, PNG or WebP images; MP4 videos"):
        inspect(name)


def test_it_refuses_a_video_longer_than_15_seconds():
    with pytest.raises(media.MediaError, match=r"16\.0 s long.*at most 15 s"):
        inspect("sixteen_seconds.mp4")


def test_it_refuses_audio_longer_than_15_seconds():
    with pytest.raises(media.MediaError, match="at most 15 s of audio"):
        inspect("sixteen_seconds.mp3")


def test_it_refuses_a_decompression_bomb():
    with pytest.raises(media.MediaError, match="too many pixels"):
        inspect("bomb.png")


def test_it_refuses_a_file_over_its_cap():
    small = media.Limits(
        max_bytes={media.Kind.IMAGE: 100, media.Kind.VIDEO: 100, media.Kind.AUDIO: 100}
    )
    with pytest.raises(media.MediaError, match="image files may be at most"):
        inspect("tiny.webp", small)


def test_it_refuses_a_png_header_on_other_bytes():
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    with pytest.raises(media.MediaError, match="could not be read"):
        media.inspect(io.BytesIO(data), data[:64], len(data), LIMITS)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_it_refuses_a_truncated_image(fmt):
    out = io.BytesIO()
    Image.effect_noise((256, 256), 50).convert("RGB").save(out, fmt)
    data = out.getvalue()[: len(out.getvalue()) // 2]
    with pytest.raises(media.MediaError, match=r"damaged|could not be read"):
        info = media.inspect(io.BytesIO(data), data[: media.HEAD_SIZE], len(data), LIMITS)
        media.clean_image(io.BytesIO(data), info, LIMITS)


def test_it_refuses_an_mp4_header_on_other_bytes():
    data = b"\0\0\0\x18ftypisom" + b"\0" * 500
    with pytest.raises(media.MediaError):
        media.inspect(io.BytesIO(data), data[:64], len(data), LIMITS)


def test_it_refuses_heic_although_it_is_an_iso_container():
    assert media.sniff(b"\0\0\0\x18ftypheic\0\0\0\0") is None


def test_it_strips_exif_and_gps_and_keeps_the_image_upright():
    data = (MEDIA / "exif_gps.jpg").read_bytes()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)  # the fixture does carry GPS
    info = inspect("exif_gps.jpg")
    clean = media.clean_image(io.BytesIO(data), info, LIMITS)
    with Image.open(io.BytesIO(clean.data)) as result:
        assert result.format == "JPEG"
        assert result.size == (32, 64)
        assert len(result.getexif()) == 0
        assert "exif" not in result.info
    assert b"FixtureCam" not in clean.data
    with Image.open(io.BytesIO(clean.thumbnail)) as thumb:
        assert thumb.format == "WEBP"


def test_it_makes_a_poster_frame_for_a_video():
    poster = media.poster_frame(str(MEDIA / "one_second.mp4"))
    with Image.open(io.BytesIO(poster)) as image:
        assert image.format == "WEBP"
        assert image.size == (64, 64)
