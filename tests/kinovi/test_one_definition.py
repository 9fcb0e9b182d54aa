"""Facts about Kinovi are defined once, in projects/kinovi, and read everywhere else."""

from projects import media
from projects.kinovi import references, request, sniff
from projects.models import library


def test_kinds_are_one_enum():
    assert media.Kind is references.Kind
    assert [value for value, _ in library.Kind.choices] == [kind.value for kind in references.Kind]
    assert {fmt.kind for fmt in sniff.FORMATS.values()} <= set(references.Kind)


def test_the_library_sniffs_with_the_kinovi_layers_sniffer():
    assert media.sniff is sniff.sniff and media.FORMATS is sniff.FORMATS
    assert media.sniff(b"\x00\x00\x00\x18ftypisom") == sniff.FORMATS["mp4"]


def test_limits_come_from_the_request_rules():
    limits = media.Limits(max_bytes={})
    assert limits.max_video_seconds == request.VIDEO_MAX_SECONDS == 15
    assert limits.max_audio_seconds == request.AUDIO_TOTAL_MAX_SECONDS == 15
    assert library.MAX_CHARACTER_IMAGES == request.MAX_IMAGES == 9


def test_the_formats_kinovi_takes_are_the_ones_the_library_sniffs():
    for kind in references.Kind:
        labels = [fmt.label for fmt in sniff.FORMATS.values() if fmt.kind == kind]
        names = request.format_names(kind)
        assert all(label in names for label in labels), kind
        assert f"{names} {media.KIND_NOUNS[kind]}" in media.ACCEPTED
    assert request.format_names(references.Kind.AUDIO) == "MP3, WAV, AAC, M4A, Ogg or FLAC"
