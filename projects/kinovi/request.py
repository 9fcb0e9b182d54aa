"""Build the createTask body for an Omni Reference video, checking every Kinovi rule first.

`build_request(spec)` returns the exact JSON Kinovi expects, or every problem that would
make Kinovi reject the request, in words a user understands. `parse_payload(payload)`
reads such a JSON body back into a spec (the simulator uses it to answer like Kinovi).

Kinovi documents two shapes of `inputs`, and ignores fields it does not know, so a
request in the wrong shape would be charged and lose its references:
- "urls" (the seed's, the default): `urls` holds images and videos together, `audioUrls`
  the audio; `duration` is a string; 4K is `upscaleResolution: "4k"`.
- "typed" (Kinovi's GitHub examples): `imageUrls`, `videoUrls`, `audioUrls`; `duration`
  is an integer; 4K is `outputResolution: "4k"`.
Both send `outputResolution` (720p unless configured otherwise; an empty one is left out).

Decisions beyond the API document:
- The prompt is sent stripped; a blank prompt is rejected; the 4000-character limit
  applies to the prompt as sent (after `@handle` mentions became `@imageN`).
- Formats may be given as MIME types (`image/png`) or file extensions (`png`, `.jpg`).
- Formats and lengths are checked when known (`format` not empty, `duration_seconds` not
  None); audio may be any `audio/*` MIME type besides the listed formats.
- Mentions of unknown handles are errors: the user meant a character that isn't there.
- Several references may share a handle (a character's images all carry its handle);
  `@handle` then names the first of them in request order, so callers put a character's
  primary image first.
- Videos are checked one by one (at most 15 s each, the seed's rule) and together (at
  most 15 s in total, as Kinovi's error documentation says); both when lengths are known.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from projects.kinovi.pricing import MODELS
from projects.kinovi.references import (
    Kind,
    Slot,
    check_mentions,
    find_handles,
    find_mentions,
    rewrite_handles,
    slots_for,
)
from projects.kinovi.sniff import FORMATS

PROMPT_MAX_CHARACTERS = 4000
MAX_IMAGES = 9
MAX_VIDEOS = 3
MAX_AUDIO = 3
VIDEO_MAX_SECONDS = 15
VIDEO_TOTAL_MAX_SECONDS = 15
AUDIO_TOTAL_MAX_SECONDS = 15
DURATIONS = range(4, 16)
DURATION_MAX_DIGITS = 2  # of the duration string; "05" is read as 5, "100" isn't a length
DEFAULT_DURATION = 5
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "3:4", "4:3", "21:9")
DEFAULT_ASPECT_RATIO = "16:9"
URLS_SHAPE = "urls"
TYPED_SHAPE = "typed"
REQUEST_SHAPES = (URLS_SHAPE, TYPED_SHAPE)
OUTPUT_RESOLUTIONS = ("480p", "720p", "1080p")
# The resolution the seed's prices pay for; 4K is the upscale on top of it.
DEFAULT_OUTPUT_RESOLUTION = "720p"
UPSCALE_4K = "4k"

# The formats of each kind, keyed by MIME subtype as `normalize_format` names them: those
# the sniffer knows, so the library stores nothing Kinovi would refuse. Kinovi's audio list
# ends in "other common audio formats", so any audio/* MIME type passes too
# (`_format_allowed`); WebM is not among ours: Kinovi names no WebM, and takes video as MP4.
_ALLOWED = {
    kind: {fmt.mime.split("/")[1]: fmt.label for fmt in FORMATS.values() if fmt.kind == kind}
    for kind in Kind
}
_FORMAT_ALIASES = {"jpg": "jpeg", "mp3": "mpeg", "m4a": "mp4", "x-wav": "wav", "wave": "wav"}
_FORMAT_ALIASES |= {"x-m4a": "mp4", "oga": "ogg", "opus": "ogg", "x-flac": "flac"}
_FORMAT_ALIASES |= {"vnd.wave": "wav"}
_FIELD = {Kind.IMAGE: "images", Kind.VIDEO: "videos", Kind.AUDIO: "audio"}


@dataclass(frozen=True)
class ReferenceMedia:
    """One reference as the user chose it, with what we know about the file.

    `kind` is None only in a request read back from `urls`, which holds images and videos
    alike: only the file's bytes tell which it is (see `resolve_kinds`).
    """

    kind: Kind | None
    url: str
    format: str = ""  # MIME type or file extension; empty when unknown
    duration_seconds: float | None = None  # videos and audio
    label: str = ""  # how the user knows it, e.g. its file name
    # Lets the prompt name it as @handle. References may share a handle (a character's
    # images all carry the character's): @handle means the first of them in request
    # order (`urls` order, audio after), so put a character's primary image first.
    handle: str = ""


@dataclass(frozen=True)
class GenerationSpec:
    model: str
    prompt: str
    references: Sequence[ReferenceMedia]  # images and videos in `urls` order, audio in order
    duration: int = DEFAULT_DURATION
    aspect_ratio: str = DEFAULT_ASPECT_RATIO
    upscale_4k: bool = False
    callback_url: str = ""
    # outputResolution (catalogue.RESOLUTIONS; "4k" a native 4K render, not the upscale).
    resolution: str = DEFAULT_OUTPUT_RESOLUTION
    # Kinovi's per-shot options; each is sent only when it means something.
    generate_audio: bool = True  # Kinovi's default; false is sent
    seed: int | None = None  # None: random (nothing sent)
    high_bitrate: bool = False  # bitrate_mode "high"


@dataclass(frozen=True)
class Problem:
    """Something wrong (or, as a warning, worth a look) with a request.

    `field` names the form field (`model`, `prompt`, `images`, `videos`, `audio`,
    `references`, `duration`, `aspect_ratio`, `upscale`, `callback_url`); `rule` is a short
    stable identifier for code and tests; `message` is for the user.
    """

    field: str
    rule: str
    message: str


@dataclass(frozen=True)
class BuiltRequest:
    payload: dict[str, Any] | None  # None when there are errors
    errors: list[Problem]
    warnings: list[Problem]
    prompt: str  # the prompt as sent: stripped, handles rewritten
    primary: Slot | None  # the reference Kinovi puts first when the prompt mentions none

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ParsedPayload:
    spec: GenerationSpec | None  # None when the body's shape is wrong
    errors: list[Problem] = field(default_factory=list)
    shape: str = ""  # URLS_SHAPE or TYPED_SHAPE
    output_resolution: str = ""  # as sent; empty when absent

    @property
    def undecided(self) -> int:
        """How many references came in `urls`: images or videos, their bytes will tell."""
        return sum(ref.kind is None for ref in self.spec.references) if self.spec else 0


def build_request(
    spec: GenerationSpec,
    *,
    shape: str = URLS_SHAPE,
    output_resolution: str = DEFAULT_OUTPUT_RESOLUTION,
) -> BuiltRequest:
    """The createTask body in `shape` (see REQUEST_SHAPES), or why it can't be sent.

    `shape` and `output_resolution` come from settings: a wrong one is a ValueError.
    """
    if shape not in REQUEST_SHAPES:
        raise ValueError(f"Unknown request shape {shape!r}; expected one of {REQUEST_SHAPES}.")
    if output_resolution not in ("", *OUTPUT_RESOLUTIONS):
        raise ValueError(
            f"Unknown output resolution {output_resolution!r}; expected one of "
            f"{OUTPUT_RESOLUTIONS} or empty."
        )
    kindless = [_kind_unknown(n) for n, ref in enumerate(spec.references, 1) if ref.kind is None]
    if kindless:
        return BuiltRequest(None, kindless, [], spec.prompt.strip(), None)
    prompt, errors = _rewrite_prompt(spec)
    spec_as_sent = replace(spec, prompt=prompt, references=_request_order(spec.references))
    errors += validate(spec_as_sent)
    report = check_mentions(prompt, _kinds(spec_as_sent.references))
    warnings = [
        _unmentioned(slot)
        for slot in _unmentioned_apart_from_handles(spec.prompt, spec_as_sent, report)
    ]
    payload = None if errors else _payload(spec_as_sent, shape, output_resolution)
    return BuiltRequest(payload, errors, warnings, prompt, report.primary)


def resolve_kinds(spec: GenerationSpec, kinds: Sequence[Kind]) -> GenerationSpec:
    """The spec with the kinds of its `urls` references, in order, as their bytes told."""
    remaining = iter(kinds)
    references = [
        ref if ref.kind is not None else replace(ref, kind=next(remaining))
        for ref in spec.references
    ]
    if next(remaining, None) is not None:
        raise ValueError("More kinds than references of unknown kind.")
    return replace(spec, references=references)


def validate(spec: GenerationSpec) -> list[Problem]:
    """Every rule Kinovi applies to a request, for a spec whose prompt is as sent."""
    return [
        *_check_model(spec.model),
        *_check_prompt(spec.prompt, spec.references),
        *_check_references(spec.references),
        *_check_duration(spec.duration),
        *_check_aspect_ratio(spec.aspect_ratio),
        *_check_callback_url(spec.callback_url),
    ]


def _kind_unknown(position: int) -> Problem:
    return Problem(
        "references",
        "kind_unknown",
        f"Reference {position}: say whether it is an image, a video or audio.",
    )


def _kinds(references: Sequence[ReferenceMedia]) -> list[Kind]:
    """The kinds of references that all have one."""
    return [ref.kind for ref in references if ref.kind is not None]


def _unmentioned_apart_from_handles(
    prompt_as_written: str, spec_as_sent: GenerationSpec, report
) -> list[Slot]:
    """Unmentioned slots, less those of a character the prompt names by handle.

    `@mira` is sent as her first image's token; her other images go with it as more
    views of the same character, which the user did mention.
    """
    named = {mention.handle for mention in find_handles(prompt_as_written)}
    slots = slots_for(_kinds(spec_as_sent.references))
    handle_of = {
        slot: ref.handle.lower() for slot, ref in zip(slots, spec_as_sent.references, strict=True)
    }
    return [slot for slot in report.unmentioned if handle_of.get(slot, "") not in named]


def _unmentioned(slot: Slot) -> Problem:
    return Problem(
        _FIELD[slot.kind],
        "unmentioned",
        f"{_name(slot)} isn't mentioned in the prompt; write {slot.token} where it "
        "should be used, or Kinovi decides on its own how to use it.",
    )


def _request_order(references: Sequence[ReferenceMedia]) -> list[ReferenceMedia]:
    """`urls` (images and videos, order kept) first, then audio: the slots' order."""
    visual = [ref for ref in references if ref.kind != Kind.AUDIO]
    return visual + [ref for ref in references if ref.kind == Kind.AUDIO]


def _rewrite_prompt(spec: GenerationSpec) -> tuple[str, list[Problem]]:
    ordered = _request_order(spec.references)
    slots = slots_for(_kinds(ordered))
    handles: dict[str, Slot] = {}
    for ref, slot in zip(ordered, slots, strict=True):
        if ref.handle:
            handles.setdefault(ref.handle, slot)  # the first reference with the handle
    rewrite = rewrite_handles(spec.prompt.strip(), handles)
    errors = [
        Problem(
            "prompt",
            "unknown_handle",
            f"The prompt mentions @{handle}, but no reference of this video is called that.",
        )
        for handle in rewrite.unknown_handles
    ]
    return rewrite.prompt, errors


def _payload(spec: GenerationSpec, shape: str, output_resolution: str) -> dict[str, Any]:
    urls = {kind: [ref.url for ref in spec.references if ref.kind == kind] for kind in Kind}
    inputs: dict[str, Any] = {}
    if shape == URLS_SHAPE:
        inputs["urls"] = [ref.url for ref in spec.references if ref.kind != Kind.AUDIO]
    else:
        for kind, name in ((Kind.IMAGE, "imageUrls"), (Kind.VIDEO, "videoUrls")):
            if urls[kind]:
                inputs[name] = urls[kind]
    if urls[Kind.AUDIO]:
        inputs["audioUrls"] = urls[Kind.AUDIO]
    inputs |= {
        "prompt": spec.prompt,
        "duration": str(spec.duration) if shape == URLS_SHAPE else spec.duration,
        "aspectRatio": spec.aspect_ratio,
        "mode": "reference",
    }
    if shape == TYPED_SHAPE and spec.upscale_4k:
        inputs["outputResolution"] = UPSCALE_4K
    elif output_resolution:
        inputs["outputResolution"] = output_resolution
    if shape == URLS_SHAPE and spec.upscale_4k:
        inputs["upscaleResolution"] = UPSCALE_4K
    payload: dict[str, Any] = {"model": spec.model}
    if spec.callback_url:
        payload["callBackUrl"] = spec.callback_url
    payload["inputs"] = inputs
    return payload


def _check_model(model: str) -> list[Problem]:
    if model in MODELS:
        return []
    choices = " or ".join(MODELS)
    return [Problem("model", "model", f"Choose the model {choices}.")]


def _check_prompt(prompt: str, references: Sequence[ReferenceMedia]) -> list[Problem]:
    if not prompt.strip():
        return [Problem("prompt", "prompt_blank", "Describe the video you want in the prompt.")]
    problems = []
    if len(prompt) > PROMPT_MAX_CHARACTERS:
        problems.append(
            Problem(
                "prompt",
                "prompt_length",
                f"The prompt is {len(prompt)} characters long; "
                f"it can be at most {PROMPT_MAX_CHARACTERS}.",
            )
        )
    kinds = _kinds(references)
    counts = {kind: kinds.count(kind) for kind in Kind}
    undecided = len(references) - len(kinds)
    if undecided:
        unknown = [m for m in find_mentions(prompt) if _surely_unknown(m.slot, counts, undecided)]
    else:
        unknown = check_mentions(prompt, kinds).unknown
    seen: set[Slot] = set()
    for mention in unknown:
        if mention.slot in seen:
            continue
        seen.add(mention.slot)
        message = _unknown_position(mention.slot, counts, undecided)
        problems.append(Problem("prompt", "unknown_position", message))
    return problems


def _surely_unknown(slot: Slot, counts: dict[Kind, int], undecided: int) -> bool:
    """Whether no reference can be behind a mention while `undecided` kinds are unknown."""
    possible = counts[slot.kind] + (undecided if slot.kind != Kind.AUDIO else 0)
    return not 1 <= slot.position <= possible


def _unknown_position(slot: Slot, counts: dict[Kind, int], undecided: int = 0) -> str:
    if undecided and slot.kind != Kind.AUDIO:
        visual = counts[Kind.IMAGE] + counts[Kind.VIDEO] + undecided
        return f"The prompt mentions {slot.token}, but there are only {visual} images and videos."
    count = counts[slot.kind]
    plural = _FIELD[slot.kind] if slot.kind != Kind.AUDIO else "audio files"
    if count == 0:
        there_are = f"there are no {plural}"
    elif count == 1:
        there_are = f"there is only one {slot.kind}" + (" file" if slot.kind == Kind.AUDIO else "")
    else:
        there_are = f"there are only {count} {plural}"
    return f"The prompt mentions {slot.token}, but {there_are}."


def _check_references(references: Sequence[ReferenceMedia]) -> list[Problem]:
    by_kind = {kind: [ref for ref in references if ref.kind == kind] for kind in Kind}
    undecided = [ref for ref in references if ref.kind is None]
    problems = []
    if not by_kind[Kind.IMAGE] and not by_kind[Kind.VIDEO] and not undecided:
        problems.append(_no_visual_reference(bool(by_kind[Kind.AUDIO])))
    for kind, limit in (
        (Kind.IMAGE, MAX_IMAGES),
        (Kind.VIDEO, MAX_VIDEOS),
        (Kind.AUDIO, MAX_AUDIO),
    ):
        if len(by_kind[kind]) > limit:
            problems.append(_too_many(kind, len(by_kind[kind]), limit))
    visual = len(by_kind[Kind.IMAGE]) + len(by_kind[Kind.VIDEO]) + len(undecided)
    if undecided and visual > MAX_IMAGES + MAX_VIDEOS:
        problems.append(
            Problem(
                "references",
                "too_many_references",
                f"You chose {visual} images and videos; "
                f"the limit is {MAX_IMAGES} images and {MAX_VIDEOS} videos.",
            )
        )
    slots = iter(slots_for(_kinds(references)))
    for position, ref in enumerate(references, 1):
        if ref.kind is None:
            problems += _check_url_only(ref, position)
        else:
            problems += _check_reference(ref, next(slots))
    problems += _check_video_total(by_kind[Kind.VIDEO])
    problems += _check_audio_total(by_kind[Kind.AUDIO])
    return problems


def _no_visual_reference(has_audio: bool) -> Problem:
    if has_audio:
        return Problem(
            "references",
            "audio_only",
            "Add at least one image or video: audio can't be the only reference.",
        )
    return Problem("references", "no_reference", "Add at least one image or video as a reference.")


def _too_many(kind: Kind, count: int, limit: int) -> Problem:
    noun = {Kind.IMAGE: "images", Kind.VIDEO: "videos", Kind.AUDIO: "audio files"}[kind]
    return Problem(
        _FIELD[kind], f"too_many_{_FIELD[kind]}", f"You chose {count} {noun}; the limit is {limit}."
    )


def _check_url_only(ref: ReferenceMedia, position: int) -> list[Problem]:
    """What can be checked of a reference whose kind isn't known yet: its address."""
    if _is_web_url(ref.url):
        return []
    message = f"Reference {position} needs a public http:// or https:// address."
    return [Problem("references", "url", message)]


def _check_reference(ref: ReferenceMedia, slot: Slot) -> list[Problem]:
    problems = []
    where = _FIELD[ref.kind]
    if not _is_web_url(ref.url):
        problems.append(
            Problem(where, "url", f"{_name(slot, ref)} needs a public http:// or https:// address.")
        )
    if not _format_allowed(ref):
        names = format_names(ref.kind)
        problems.append(
            Problem(where, "format", f"{_name(slot, ref)} must be {names}; it is {ref.format!r}.")
        )
    if ref.duration_seconds is not None and _known_length(ref) is None:
        problems.append(
            Problem(where, "length_unknown", f"{_name(slot, ref)}: its length could not be read.")
        )
    elif ref.kind == Kind.VIDEO and (ref.duration_seconds or 0) > VIDEO_MAX_SECONDS:
        problems.append(
            Problem(
                where,
                "video_length",
                f"{_name(slot, ref)} is {_seconds(ref.duration_seconds or 0)} s long; "
                f"each reference video can be at most {VIDEO_MAX_SECONDS} s.",
            )
        )
    return problems


def _known_length(ref: ReferenceMedia) -> float | None:
    """The length in seconds when it is a real one (not NaN, infinite, zero or negative)."""
    seconds = ref.duration_seconds
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        return None
    return seconds


def _format_allowed(ref: ReferenceMedia) -> bool:
    if not ref.format:
        return True
    if ref.kind == Kind.AUDIO and ref.format.strip().lower().startswith("audio/"):
        return True
    return normalize_format(ref.format) in _ALLOWED[ref.kind]


def _check_video_total(videos: list[ReferenceMedia]) -> list[Problem]:
    """Kinovi fails a task whose videos last over 15 s together (InvalidParameter).

    A single long video is already reported by `video_length`; the total is reported
    when two or more videos of known length exceed it together.
    """
    lengths = [length for ref in videos if (length := _known_length(ref)) is not None]
    total = sum(lengths)
    if len(lengths) < 2 or total <= VIDEO_TOTAL_MAX_SECONDS:
        return []
    return [
        Problem(
            "videos",
            "video_total_length",
            f"The reference videos last {total:.1f} s together; "
            f"Kinovi accepts at most {VIDEO_TOTAL_MAX_SECONDS} s of video in total.",
        )
    ]


def _check_audio_total(audio: list[ReferenceMedia]) -> list[Problem]:
    total = sum(_known_length(ref) or 0 for ref in audio)
    if total <= AUDIO_TOTAL_MAX_SECONDS:
        return []
    return [
        Problem(
            "audio",
            "audio_length",
            f"The audio files are {_seconds(total)} s long together; "
            f"together they can be at most {AUDIO_TOTAL_MAX_SECONDS} s.",
        )
    ]


def _check_duration(duration: int) -> list[Problem]:
    if isinstance(duration, int) and not isinstance(duration, bool) and duration in DURATIONS:
        return []
    return [
        Problem(
            "duration",
            "duration",
            f"Choose a length of {DURATIONS.start} to {DURATIONS.stop - 1} whole seconds.",
        )
    ]


def _check_aspect_ratio(aspect_ratio: str) -> list[Problem]:
    if aspect_ratio in ASPECT_RATIOS:
        return []
    return [Problem("aspect_ratio", "aspect_ratio", f"Choose {_or_list(list(ASPECT_RATIOS))}.")]


def _check_callback_url(url: str) -> list[Problem]:
    if not url or _is_web_url(url):
        return []
    return [
        Problem("callback_url", "url", "The callback address must be an http:// or https:// URL.")
    ]


def normalize_format(format: str) -> str:
    """`image/JPEG`, `.jpg` and `jpeg` all become `jpeg`; see the `_ALLOWED` keys."""
    name = format.strip().lower().split(";")[0].rsplit("/", 1)[-1].removeprefix(".")
    return _FORMAT_ALIASES.get(name, name)


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and url.strip() == url


def _name(slot: Slot, ref: ReferenceMedia | None = None) -> str:
    noun = "Audio" if slot.kind == Kind.AUDIO else slot.kind.capitalize()
    label = f" ({ref.label})" if ref is not None and ref.label else ""
    return f"{noun} {slot.position}{label}"


def _seconds(seconds: float) -> str:
    return f"{seconds:.2f}".rstrip("0").rstrip(".")


def format_names(kind: Kind) -> str:
    """The formats Kinovi accepts for a kind, for messages: "JPEG, PNG or WebP"."""
    return _or_list(list(dict.fromkeys(_ALLOWED[kind].values())))


def _or_list(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def parse_payload(payload: Any) -> ParsedPayload:
    """Read a createTask body as Kinovi does: its shape first, then every rule it can check.

    Either shape is read (see the module's docstring); other fields are ignored, as
    Kinovi ignores them. A `urls` entry may be an image or a video: the URL can't tell
    (a signed URL, a CDN path), so its kind stays None until the file is fetched
    (`resolve_kinds`), and the rules that depend on kinds are checked as far as they can
    be without them. Formats and lengths stay unknown until the files are fetched.
    """
    shape_errors = _check_shape(payload)
    if shape_errors:
        return ParsedPayload(None, shape_errors)
    inputs = payload["inputs"]
    shape = TYPED_SHAPE if _TYPED_FIELDS & inputs.keys() else URLS_SHAPE
    if shape == URLS_SHAPE:
        references = [ReferenceMedia(None, url) for url in inputs["urls"]]
    else:
        references = [ReferenceMedia(Kind.IMAGE, url) for url in inputs.get("imageUrls", [])]
        references += [ReferenceMedia(Kind.VIDEO, url) for url in inputs.get("videoUrls", [])]
    references += [ReferenceMedia(Kind.AUDIO, url) for url in inputs.get("audioUrls", [])]
    output_resolution = inputs.get("outputResolution", "")
    spec = GenerationSpec(
        model=payload["model"],
        prompt=inputs["prompt"],
        references=references,
        duration=int(inputs.get("duration", DEFAULT_DURATION)),
        aspect_ratio=inputs.get("aspectRatio", DEFAULT_ASPECT_RATIO),
        upscale_4k="upscaleResolution" in inputs or output_resolution == UPSCALE_4K,
        callback_url=payload.get("callBackUrl", ""),
    )
    return ParsedPayload(spec, validate(spec), shape, output_resolution)


_TYPED_FIELDS = {"imageUrls", "videoUrls"}


def _check_shape(payload: Any) -> list[Problem]:
    if not isinstance(payload, dict):
        return [Problem("body", "shape", "The body must be a JSON object.")]
    errors = []
    if not isinstance(payload.get("model"), str):
        errors.append(Problem("model", "shape", "model is required."))
    if not isinstance(payload.get("callBackUrl", ""), str):
        errors.append(Problem("callback_url", "shape", "callBackUrl must be a string."))
    inputs = payload.get("inputs")
    if not isinstance(inputs, dict):
        return [*errors, Problem("inputs", "shape", "inputs is required.")]
    return errors + _check_inputs_shape(inputs)


def _check_inputs_shape(inputs: dict[str, Any]) -> list[Problem]:
    errors = []
    if inputs.get("mode") != "reference":
        errors.append(Problem("mode", "mode", "inputs.mode must be 'reference'."))
    if not isinstance(inputs.get("prompt"), str):
        errors.append(Problem("prompt", "shape", "inputs.prompt is required."))
    typed = bool(_TYPED_FIELDS & inputs.keys())
    if typed and "urls" in inputs:
        message = "Send images and videos either in inputs.urls or in inputs.imageUrls and "
        message += "inputs.videoUrls, not both."
        errors.append(Problem("references", "shape", message))
    elif not typed and not _is_list_of_strings(inputs.get("urls")):
        errors.append(Problem("references", "shape", "inputs.urls must be a list of URLs."))
    for name, where in (("imageUrls", "images"), ("videoUrls", "videos"), ("audioUrls", "audio")):
        if not _is_list_of_strings(inputs.get(name, [])):
            errors.append(Problem(where, "shape", f"inputs.{name} must be a list of URLs."))
    if not _is_duration(inputs.get("duration", DEFAULT_DURATION)):
        message = 'inputs.duration must be a whole number of seconds, like 5 or "5".'
        errors.append(Problem("duration", "shape", message))
    if not isinstance(inputs.get("aspectRatio", DEFAULT_ASPECT_RATIO), str):
        errors.append(Problem("aspect_ratio", "shape", "inputs.aspectRatio must be a string."))
    if inputs.get("upscaleResolution", UPSCALE_4K) != UPSCALE_4K:
        errors.append(Problem("upscale", "shape", "inputs.upscaleResolution can only be '4k'."))
    resolutions = (*OUTPUT_RESOLUTIONS, UPSCALE_4K)
    if inputs.get("outputResolution", UPSCALE_4K) not in resolutions:
        message = f"inputs.outputResolution must be one of {', '.join(resolutions)}."
        errors.append(Problem("upscale", "shape", message))
    return errors


def _is_duration(duration: Any) -> bool:
    """A string of ASCII digits (the seed's shape) or an integer (the typed shape)."""
    if isinstance(duration, str):
        return (
            1 <= len(duration) <= DURATION_MAX_DIGITS and duration.isascii() and duration.isdigit()
        )
    return isinstance(duration, int) and not isinstance(duration, bool)


def _is_list_of_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
