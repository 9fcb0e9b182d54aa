"""Checks and conversions for reference media: sniff the bytes, probe, clean.

Plain Python on Pillow (images) and PyAV (video, audio); no Django. PyAV is the
probe because its wheels bundle FFmpeg: no ffprobe binary to install or find on
PATH, no subprocess per upload, and the same library decodes the poster frame.

The kind of a file is decided by its first bytes, never by its name or the
browser's content type; the probe then confirms the container really is what
the magic number says and reads dimensions and durations from it.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

import av
from av.error import FFmpegError
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED = "JPEG, PNG or WebP images; MP4 videos; MP3, WAV, M4A/AAC, OGG or FLAC audio"

# Bytes the sniffer looks at.
HEAD_SIZE = 64
THUMBNAIL_SIZE = (480, 480)

Source = str | BinaryIO


class Kind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


class MediaError(ValueError):
    """A file we refuse; the message is shown to the user as is."""


@dataclass(frozen=True)
class Limits:
    max_bytes: dict[Kind, int]
    max_video_seconds: float = 15.0
    max_audio_seconds: float = 15.0
    # Decompression-bomb guards: a 20 MB PNG may claim 100k x 100k pixels.
    max_image_pixels: int = 50_000_000
    max_video_pixels: int = 4096 * 4096


@dataclass(frozen=True)
class Format:
    name: str
    kind: Kind
    mime: str
    extension: str
    # Names FFmpeg (or Pillow) gives the container; the probe must agree.
    probe_names: frozenset[str]


_MP4_NAMES = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "mov", "mp4"})
FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("jpeg", Kind.IMAGE, "image/jpeg", "jpg", frozenset({"JPEG"})),
        Format("png", Kind.IMAGE, "image/png", "png", frozenset({"PNG"})),
        Format("webp", Kind.IMAGE, "image/webp", "webp", frozenset({"WEBP"})),
        Format("mp4", Kind.VIDEO, "video/mp4", "mp4", _MP4_NAMES),
        Format("m4a", Kind.AUDIO, "audio/mp4", "m4a", _MP4_NAMES),
        Format("aac", Kind.AUDIO, "audio/aac", "aac", frozenset({"aac"})),
        Format("mp3", Kind.AUDIO, "audio/mpeg", "mp3", frozenset({"mp3"})),
        Format("wav", Kind.AUDIO, "audio/wav", "wav", frozenset({"wav"})),
        Format("ogg", Kind.AUDIO, "audio/ogg", "ogg", frozenset({"ogg"})),
        Format("flac", Kind.AUDIO, "audio/flac", "flac", frozenset({"flac"})),
    ]
}

# ISO base media brands of MP4 proper; HEIC, AVIF, QuickTime and 3GP share the
# `ftyp` box and are refused.
_MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"iso7",
    b"iso8",
    b"iso9",
    b"mp41",
    b"mp42",
    b"mp71",
    b"avc1",
    b"dash",
    b"mmp4",
    b"MSNV",
    b"M4V ",
    b"M4VP",
}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}


@dataclass(frozen=True)
class MediaInfo:
    format: Format
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @property
    def kind(self) -> Kind:
        return self.format.kind


def sniff(head: bytes) -> Format | None:
    """The format the first bytes announce, or None for anything we refuse.

    An MP4 container is reported as video here; the probe turns one without a
    video stream into M4A audio.
    """
    if head[:3] == b"\xff\xd8\xff":
        return FORMATS["jpeg"]
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return FORMATS["png"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FORMATS["webp"]
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return FORMATS["wav"]
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _M4A_BRANDS:
            return FORMATS["m4a"]
        if brand in _MP4_BRANDS:
            return FORMATS["mp4"]
        return None
    if head[:4] == b"OggS":
        return FORMATS["ogg"]
    if head[:4] == b"fLaC":
        return FORMATS["flac"]
    if head[:3] == b"ID3":
        return FORMATS["mp3"]  # an ID3 tag; the probe checks what follows
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer 00
            return FORMATS["aac"]
        if head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 0b11:  # MPEG audio frame
            return FORMATS["mp3"]
    return None


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def inspect(source: Source, head: bytes, size: int, limits: Limits) -> MediaInfo:
    """Everything we need to know about a file, or MediaError saying why not."""
    fmt = sniff(head)
    if fmt is None:
        raise MediaError(f"This file type is not accepted. Upload {ACCEPTED}.")
    if size == 0:
        raise MediaError("The file is empty.")
    # M4A/MP4 are told apart only by probing; cap by the larger until then.
    cap = limits.max_bytes[fmt.kind]
    if fmt.name in ("mp4", "m4a"):
        cap = max(limits.max_bytes[Kind.VIDEO], limits.max_bytes[Kind.AUDIO])
    if size > cap:
        raise _too_big(fmt.kind, cap)
    _rewind(source)
    if fmt.kind == Kind.IMAGE:
        info = _probe_image(source, fmt, limits)
    else:
        info = _probe_av(source, fmt, limits)
    if size > limits.max_bytes[info.kind]:
        raise _too_big(info.kind, limits.max_bytes[info.kind])
    return info


def _too_big(kind: Kind, cap: int) -> MediaError:
    return MediaError(f"The file is too large: {kind} files may be at most {cap // 2**20} MB.")


def _rewind(source: Source) -> None:
    if not isinstance(source, str):
        source.seek(0)


def _open_image(source: Source, fmt: Format, limits: Limits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=sorted(fmt.probe_names))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as e:
        raise MediaError(f"This {fmt.name.upper()} image could not be read.") from e
    except Image.DecompressionBombWarning as e:
        raise MediaError(_too_many_pixels(limits)) from e
    width, height = image.size
    if width * height > limits.max_image_pixels:
        raise MediaError(_too_many_pixels(limits))
    if getattr(image, "n_frames", 1) > 1:
        raise MediaError("Animated images are not accepted; upload a still image.")
    return image


def _too_many_pixels(limits: Limits) -> str:
    return (
        "The image has too many pixels: at most "
        f"{limits.max_image_pixels // 1_000_000} megapixels are accepted."
    )


def _probe_image(source: Source, fmt: Format, limits: Limits) -> MediaInfo:
    with _open_image(source, fmt, limits) as image:
        width, height = image.size
        try:
            # Decodes the pixels of a PNG (its EXIF may follow them): a truncated
            # or lying file fails here.
            orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1)
        except (OSError, SyntaxError, ValueError) as e:
            raise MediaError(f"This {fmt.name.upper()} image is damaged.") from e
    if orientation in (5, 6, 7, 8):  # shown rotated by a quarter turn
        width, height = height, width
    return MediaInfo(fmt, width=width, height=height)


def _probe_av(source: Source, fmt: Format, limits: Limits) -> MediaInfo:
    try:
        with av.open(source, mode="r") as container:
            if container.format.name not in fmt.probe_names:
                raise MediaError(f"This {fmt.name.upper()} file could not be read.")
            video = container.streams.video[0] if container.streams.video else None
            audio = container.streams.audio[0] if container.streams.audio else None
            duration = _duration(container)
            width = video.codec_context.width if video else None
            height = video.codec_context.height if video else None
    except FFmpegError as e:
        raise MediaError(f"This {fmt.name.upper()} file could not be read.") from e
    if fmt.name in ("mp4", "m4a"):
        if video is not None and fmt.name == "mp4":
            fmt = FORMATS["mp4"]
        elif audio is not None:
            fmt = FORMATS["m4a"]
        else:
            raise MediaError("This MP4 file has neither video nor audio.")
    elif audio is None:
        raise MediaError(f"This {fmt.name.upper()} file has no audio.")
    if duration is None or duration <= 0:
        raise MediaError(f"The length of this {fmt.kind} could not be read.")
    if fmt.kind == Kind.VIDEO:
        if not width or not height:
            raise MediaError("The size of this video could not be read.")
        if width * height > limits.max_video_pixels:
            raise MediaError(f"The video is too large ({width}x{height}).")
        if duration > limits.max_video_seconds:
            raise MediaError(
                f"The video is {duration:.1f} s long; Kinovi accepts videos of at most "
                f"{limits.max_video_seconds:g} s."
            )
        return MediaInfo(fmt, width=width, height=height, duration=duration)
    if duration > limits.max_audio_seconds:
        raise MediaError(
            f"The audio is {duration:.1f} s long; Kinovi accepts at most "
            f"{limits.max_audio_seconds:g} s of audio per video."
        )
    return MediaInfo(fmt, duration=duration)


def _duration(container) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    for stream in container.streams:
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
    return None


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def clean_image(source: Source, info: MediaInfo, limits: Limits) -> CleanImage:
    """The image turned upright and re-encoded without EXIF, XMP, GPS or comments."""
    _rewind(source)
    fmt = info.format
    with _open_image(source, fmt, limits) as original:
        icc_profile = original.info.get("icc_profile")
        try:
            upright = ImageOps.exif_transpose(original)
            upright.load()
        except (OSError, SyntaxError, ValueError) as e:
            raise MediaError(f"This {fmt.name.upper()} image is damaged.") from e
    # Drop every piece of metadata Pillow carried over; keep only the colours.
    upright.info = {}
    out = io.BytesIO()
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if fmt.name == "jpeg":
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=92, optimize=True, **options)
    elif fmt.name == "png":
        upright.save(out, "PNG", **options)
    else:
        if upright.mode not in ("RGB", "RGBA"):
            upright = upright.convert("RGBA" if _has_alpha(upright) else "RGB")
        upright.save(out, "WEBP", quality=90, method=4, **options)
    return CleanImage(
        data=out.getvalue(),
        width=upright.width,
        height=upright.height,
        thumbnail=make_thumbnail(upright),
    )


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def make_thumbnail(image: Image.Image) -> bytes:
    """A small WebP for the library grid."""
    thumb = image.convert("RGBA" if _has_alpha(image) else "RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, "WEBP", quality=80)
    return out.getvalue()


def poster_frame(source: Source) -> bytes:
    """A thumbnail of the video a moment in (first frames are often black)."""
    _rewind(source)
    try:
        with av.open(source, mode="r") as container:
            stream = container.streams.video[0]
            length = _duration(container) or 0
            at = min(1.0, length / 4)
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is None or frame.time >= at:
                    break
            if chosen is None:
                raise MediaError("The video has no frames.")
            image = chosen.to_image()
    except FFmpegError as e:
        raise MediaError("The video could not be decoded.") from e
    return make_thumbnail(image)
