"""Checks and conversions for reference media: sniff the bytes, probe, clean.

Plain Python on Pillow (images) and PyAV (video, audio); no Django. PyAV is the
probe because its wheels bundle FFmpeg: no ffprobe binary to install or find on
PATH, no subprocess per upload, and the same library decodes the poster frame.

The kind of a file is decided by its first bytes, never by its name or the
browser's content type; the probe then confirms the container really is what
the magic number says and reads dimensions and durations from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import struct
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import av
from av.error import FFmpegError
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

# The sniffer and the kinds live in the framework-free Kinovi layer, shared with the
# simulator's review of references; re-exported here for the library.
from projects.kinovi.references import Kind as Kind
from projects.kinovi.request import AUDIO_TOTAL_MAX_SECONDS, VIDEO_MAX_SECONDS, format_names
from projects.kinovi.sniff import FORMATS as FORMATS
from projects.kinovi.sniff import HEAD_SIZE as HEAD_SIZE
from projects.kinovi.sniff import Format as Format
from projects.kinovi.sniff import sniff as sniff

KIND_NOUNS = {Kind.IMAGE: "images", Kind.VIDEO: "videos", Kind.AUDIO: "audio"}
# "JPEG, PNG or WebP images; MP4 videos; MP3, WAV, AAC, M4A, Ogg or FLAC audio"
ACCEPTED = "; ".join(f"{format_names(kind)} {noun}" for kind, noun in KIND_NOUNS.items())

THUMBNAIL_SIZE = (480, 480)
# A file's header may round its length; its packets may start after a codec's
# priming samples. Beyond this the header does not describe the file.
LENGTH_TOLERANCE_SECONDS = 0.5
LENGTH_TOLERANCE_RATIO = 0.05
# Far more packets than 15 s of any real video or audio holds (240 fps video is
# 3,600): a file of millions of tiny packets is refused before it costs minutes.
MAX_PACKETS = 100_000
# A file must decode, not only demux: the first second of each of its streams, at most
# this many packets of it, is decoded at upload, and at least half of them must decode.
DECODE_CHECK_SECONDS = 1.0
DECODE_CHECK_PACKETS = 100

Source = str | BinaryIO
logger = logging.getLogger(__name__)


class MediaError(ValueError):
    """A file we refuse; the message is shown to the user as is."""


@dataclass(frozen=True)
class Limits:
    max_bytes: dict[Kind, int]
    max_video_seconds: float = VIDEO_MAX_SECONDS
    max_audio_seconds: float = AUDIO_TOTAL_MAX_SECONDS
    # Decompression-bomb guards: a 20 MB PNG may claim 100k x 100k pixels.
    max_image_pixels: int = 50_000_000
    max_video_pixels: int = 4096 * 4096


@dataclass(frozen=True)
class MediaInfo:
    format: Format
    width: int | None = None
    height: int | None = None
    duration: float | None = None

    @property
    def kind(self) -> Kind:
        return self.format.kind


def sha256_of(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def accepted_format(head: bytes, size: int) -> Format:
    """The format of a file that starts with `head`, or MediaError saying why not."""
    if size == 0:
        raise MediaError("The file is empty.")
    fmt = sniff(head)
    if fmt is None:
        raise MediaError(f"This file type is not accepted. Upload {ACCEPTED}.")
    return fmt


def inspect(source: Source, head: bytes, size: int, limits: Limits) -> MediaInfo:
    """Everything we need to know about a file, or MediaError saying why not."""
    fmt = accepted_format(head, size)
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


# What Pillow's and FFmpeg's parsers raise on bytes they cannot make sense of.
_PARSER_ERRORS = (
    FFmpegError,
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)


# Pillow's refusal of a PNG text or colour-profile chunk that inflates past its limit.
_METADATA_BOMB = (
    "This PNG image carries a text or colour-profile chunk that inflates to more than "
    f"{PngImagePlugin.MAX_TEXT_CHUNK // 2**20} MB; save it again without that metadata."
)


@contextmanager
def _reading(message: str) -> Iterator[None]:
    """Refuse the file with `message` when reading it fails in any way.

    The bytes are the uploader's: whatever a parser raises on them is a file we
    cannot read, never a server error. Anything outside the parsers' usual
    errors is logged with its traceback, since it may be a fault of our own.
    """
    try:
        yield
    except MediaError:
        raise
    except _PARSER_ERRORS as e:
        if isinstance(e, ValueError) and str(e).startswith("Decompressed data too large"):
            raise MediaError(_METADATA_BOMB) from e
        raise MediaError(message) from e
    except Exception as e:
        logger.warning("unexpected error reading an upload: %s", message, exc_info=True)
        raise MediaError(message) from e


def _open_image(source: Source, fmt: Format, limits: Limits) -> Image.Image:
    with _reading(f"This {fmt.name.upper()} image could not be read."):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image = Image.open(source, formats=sorted(fmt.probe_names))
        # Pillow warns above its own pixel limit and refuses twice that.
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as e:
            raise MediaError(_too_many_pixels(limits)) from e
        frames = getattr(image, "n_frames", 1)
    width, height = image.size
    if width * height > limits.max_image_pixels:
        image.close()
        raise MediaError(_too_many_pixels(limits))
    if frames > 1:
        image.close()
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
        # Decodes the pixels of a PNG (its EXIF may follow them): a truncated
        # or lying file fails here.
        with _reading(f"This {fmt.name.upper()} image is damaged."):
            orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1)
    if orientation in (5, 6, 7, 8):  # shown rotated by a quarter turn
        width, height = height, width
    return MediaInfo(fmt, width=width, height=height)


@contextmanager
def _av_container(source: Source, message: str) -> Iterator[av.container.InputContainer]:
    """The file opened by PyAV, refused with `message` when reading it fails in any way.

    The one way this module reads video and audio.
    """
    _rewind(source)
    with _reading(message), av.open(source, mode="r") as container:
        yield container


def _probe_av(source: Source, fmt: Format, limits: Limits) -> MediaInfo:
    with _av_container(source, f"This {fmt.name.upper()} file could not be read.") as container:
        if container.format.name not in fmt.probe_names:
            raise MediaError(f"This {fmt.name.upper()} file could not be read.")
        # Only an MP4 is read as a video; the picture in an audio file is its cover.
        video = container.streams.video[0] if container.streams.video else None
        video = video if fmt.name == "mp4" else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is not None and video.codec_context is None:
            raise MediaError("The video in this file uses a codec that is not supported.")
        if video is None and audio is not None and audio.codec_context is None:
            raise MediaError("The audio in this file uses a codec that is not supported.")
        declared = _duration(container)
        content = [*container.streams.audio, *([video] if video is not None else [])]
        decoding = _DecodeCheck()
        measured = _measured_duration(container, content, decoding)
        if undecodable := decoding.undecodable():
            noun = "video" if undecodable.type == "video" else "audio"
            raise MediaError(
                f"The {noun} in this file is damaged: its first second does not decode. "
                "Export it again and re-upload."
            )
        width = video.codec_context.width if video else None
        height = video.codec_context.height if video else None
    if fmt.name in ("mp4", "m4a"):
        if video is not None and fmt.name == "mp4":
            fmt = FORMATS["mp4"]
        elif audio is not None:
            fmt = FORMATS["m4a"]
        else:
            raise MediaError("This MP4 file has neither video nor audio.")
    elif audio is None:
        raise MediaError(f"This {fmt.name.upper()} file has no audio.")
    if measured is None or measured <= 0:
        raise MediaError(f"The length of this {fmt.kind} could not be read.")
    if declared is not None and _lengths_disagree(declared, measured):
        raise MediaError(
            f"This {fmt.kind} file says it is {declared:.1f} s long, but its "
            f"{'frames' if fmt.kind == Kind.VIDEO else 'samples'} last {measured:.1f} s: "
            "its header does not match its content. Export it again and re-upload."
        )
    duration = measured
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
    """The length the file's header declares."""
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    for stream in container.streams:
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
    return None


class _DecodeCheck:
    """Decodes the first second (at most DECODE_CHECK_PACKETS packets) of each stream.

    A file can demux into well-timed packets none of which decodes (its sample data
    damaged); its length then reads right, but no player could play it.
    """

    def __init__(self) -> None:
        self.tried: dict[int, int] = {}
        self.decoded: dict[int, int] = {}
        self.frames: dict[int, int] = {}
        self.streams: dict[int, av.stream.Stream] = {}

    def feed(self, packet, since_start: float) -> None:
        stream = packet.stream
        index = stream.index
        tried = self.tried.get(index, 0)
        if stream.codec_context is None or packet.size == 0:
            return
        if (since_start >= DECODE_CHECK_SECONDS and tried) or tried >= DECODE_CHECK_PACKETS:
            return
        self.streams[index] = stream
        self.tried[index] = tried + 1
        try:
            frames = len(packet.decode())
        except FFmpegError:
            return
        self.decoded[index] = self.decoded.get(index, 0) + 1
        self.frames[index] = self.frames.get(index, 0) + frames

    def undecodable(self):
        """The first stream (video before audio) whose start doesn't decode, or None."""
        for index, stream in sorted(self.streams.items(), key=lambda i: i[1].type != "video"):
            if not self.frames.get(index):
                # A decoder may hold its first frames back: let it give them up.
                with contextlib.suppress(FFmpegError):
                    self.frames[index] = len(stream.codec_context.decode(None))
            if not self.frames.get(index) or 2 * self.decoded.get(index, 0) < self.tried[index]:
                return stream
        return None


def _measured_duration(container, streams, decoding: _DecodeCheck | None = None) -> float | None:
    """The length the packets' timestamps span: the longest of `streams`.

    Demuxing reads the packets without decoding them, so this is cheap even for
    a large file (190 MB in well under a second), and the duration fields of a
    header cannot lie about it. `decoding`, when given, decodes the first second.
    """
    spans: dict[int, tuple[int, int]] = {}
    for count, packet in enumerate(container.demux(streams)):
        if count >= MAX_PACKETS:
            raise MediaError("This file has far too many frames for a short reference.")
        start = packet.pts if packet.pts is not None else packet.dts
        # The flush packet at the end of each stream has no time; an edit list
        # marks packets that are decoded but never shown (an encoder's priming).
        if start is None:
            continue
        index = packet.stream.index
        if decoding is not None:
            first = spans.get(index, (start, start))[0]
            decoding.feed(packet, float((start - first) * Fraction(packet.stream.time_base)))
        if packet.is_discard:
            continue
        end = start + (packet.duration or 0)
        first, last = spans.get(index, (start, end))
        spans[index] = (min(first, start), max(last, end))
    lengths = [
        float((last - first) * Fraction(container.streams[index].time_base))
        for index, (first, last) in spans.items()
    ]
    return max(lengths, default=None)


def _lengths_disagree(declared: float, measured: float) -> bool:
    tolerance = max(LENGTH_TOLERANCE_SECONDS, LENGTH_TOLERANCE_RATIO * measured)
    return abs(declared - measured) > tolerance


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
    with (
        _open_image(source, fmt, limits) as original,
        _reading(f"This {fmt.name.upper()} image is damaged."),
    ):
        icc_profile = original.info.get("icc_profile")
        upright = ImageOps.exif_transpose(original)
        upright.load()
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
        thumbnail = make_thumbnail(upright)
    return CleanImage(
        data=out.getvalue(), width=upright.width, height=upright.height, thumbnail=thumbnail
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
    with _av_container(source, "The video could not be decoded.") as container:
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
        return make_thumbnail(chosen.to_image())


def last_frame_png(source: Source) -> bytes:
    """The video's last frame as a PNG, full size (it may become a new reference)."""
    with _av_container(source, "The video could not be decoded.") as container:
        stream = container.streams.video[0]
        if container.duration and container.duration > av.time_base:
            # Jump to the keyframe before the last second instead of decoding it all.
            container.seek(container.duration - av.time_base, backward=True)
        last = None
        for frame in container.decode(stream):
            last = frame
        if last is None:
            raise MediaError("The video has no frames.")
        out = io.BytesIO()
        last.to_image().save(out, format="PNG")
        return out.getvalue()
