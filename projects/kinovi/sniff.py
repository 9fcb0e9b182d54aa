"""What a media file is, by its first bytes: never by its name or a declared content type.

One sniffer for the library's uploads (projects/media.py, which then probes the file) and
the simulator's review of fetched references, as Kinovi looks at the file and not at its
URL. Plain Python: no Django, no Pillow, no FFmpeg.
"""

from dataclasses import dataclass

from projects.kinovi.references import Kind

# Bytes the sniffer looks at.
HEAD_SIZE = 64


@dataclass(frozen=True)
class Format:
    name: str
    label: str  # how messages and cards name it: "WebP", "Ogg"
    kind: Kind
    mime: str
    extension: str
    # Names FFmpeg (or Pillow) gives the container; a probe must agree.
    probe_names: frozenset[str]


_MP4_NAMES = frozenset({"mov,mp4,m4a,3gp,3g2,mj2", "mov", "mp4"})
FORMATS: dict[str, Format] = {
    f.name: f
    for f in [
        Format("jpeg", "JPEG", Kind.IMAGE, "image/jpeg", "jpg", frozenset({"JPEG"})),
        Format("png", "PNG", Kind.IMAGE, "image/png", "png", frozenset({"PNG"})),
        Format("webp", "WebP", Kind.IMAGE, "image/webp", "webp", frozenset({"WEBP"})),
        Format("mp4", "MP4", Kind.VIDEO, "video/mp4", "mp4", _MP4_NAMES),
        Format("mp3", "MP3", Kind.AUDIO, "audio/mpeg", "mp3", frozenset({"mp3"})),
        Format("wav", "WAV", Kind.AUDIO, "audio/wav", "wav", frozenset({"wav"})),
        Format("aac", "AAC", Kind.AUDIO, "audio/aac", "aac", frozenset({"aac"})),
        Format("m4a", "M4A", Kind.AUDIO, "audio/mp4", "m4a", _MP4_NAMES),
        # Vorbis or Opus inside: FFmpeg's ogg demuxer reads both.
        Format("ogg", "Ogg", Kind.AUDIO, "audio/ogg", "ogg", frozenset({"ogg"})),
        Format("flac", "FLAC", Kind.AUDIO, "audio/flac", "flac", frozenset({"flac"})),
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


def sniff(head: bytes) -> Format | None:
    """The format the first bytes announce, or None for anything we refuse.

    An MP4 container is reported as video here; a probe turns one without a
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
        return FORMATS["mp3"]  # an ID3 tag; a probe checks what follows
    if len(head) >= 2 and head[0] == 0xFF:
        if head[1] & 0xF6 == 0xF0:  # ADTS sync word, layer 00
            return FORMATS["aac"]
        if head[1] & 0xE0 == 0xE0 and (head[1] >> 1) & 0b11:  # MPEG audio frame
            return FORMATS["mp3"]
    return None
