"""Build the createTask body for an Omni Reference video, checking every Kinovi rule first.

`build_request(spec)` returns the exact JSON Kinovi expects, or every problem that would
make Kinovi reject the request, in words a user understands. `parse_payload(payload)`
reads such a JSON body back into a spec (the simulator uses it to answer like Kinovi).

Kinovi documents two shapes of `inputs`, and ignores fields it does not know, so a
request in the wrong shape would be charged and lose its references:
- "urls" (the seed's): `urls` holds images and videos together, `audioUrls` the audio;
  `duration` is a string.
- "typed" (Kinovi's per-model pages): `imageUrls`, `videoUrls`, `audioUrls`; `duration`
  is an integer.
The seed's models are sent in the shape settings choose (`shape`, default "urls"); the
catalogue's newer models (Seedance 2.5, 2.0 Mini) always in the typed shape their pages
document. Both shapes send `outputResolution` (the spec's `resolution`; "4k" there is a
native 4K render at its own price) and the seed's 4K upscale as `upscaleResolution: "4k"`
on top of 720p. Kinovi's options appear only when they mean something: `generate_audio:
false` when off, `seed` when chosen (0-4294967295; -1 or None is random), `bitrate_mode:
"high"` when on.

Every limit is the chosen model's (`catalogue.spec_for(spec.model)`), and every message
names the model; the module's constants are Seedance 2.0's, for callers that use them.

Decisions beyond the API document:
- The prompt is sent stripped; a blank prompt is rejected; the model's length limit
  applies to the prompt as sent (after `@handle` mentions became `@imageN`).
- Formats may be given as MIME types (`image/png`) or file extensions (`png`, `.jpg`).
- Formats and lengths are checked when known (`format` not empty, `duration_seconds` not
  None); audio may be any `audio/*` MIME type besides the listed formats.
- Mentions of unknown handles are errors: the user meant a character that isn't there.
- Several references may share a handle (a character's images all carry its handle);
  `@handle` then names the first of them in request order, so callers put a character's
  primary image first.
- Videos are checked one by one (at most 15 s each for the 2.0 family, the seed's rule;
  2-30 s for 2.5) and together (the model's combined limit); both when lengths are known.
- An unknown model is reported, and only the rules that hold for every model are
  checked: its limits are unknown.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from projects.kinovi import catalogue
from projects.kinovi.catalogue import ModelSpec
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

# Seedance 2.0's limits (the seed's), for callers that speak of them; the checks read
# the chosen model's from the catalogue.
_SEED_MODEL = catalogue.SEEDANCE_20
PROMPT_MAX_CHARACTERS = _SEED_MODEL.prompt_max_characters
MAX_IMAGES = _SEED_MODEL.max_images
MAX_VIDEOS = _SEED_MODEL.max_videos
MAX_AUDIO = _SEED_MODEL.max_audio
VIDEO_MAX_SECONDS = int(_SEED_MODEL.video_max_seconds)
VIDEO_TOTAL_MAX_SECONDS = int(_SEED_MODEL.video_total_max_seconds)
AUDIO_TOTAL_MAX_SECONDS = int(_SEED_MODEL.audio_total_max_seconds)
DURATIONS = _SEED_MODEL.durations
DURATION_MAX_DIGITS = 2  # of the duration string; "05" is read as 5, "100" isn't a length
DEFAULT_DURATION = 5
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "3:4", "4:3", "21:9")
DEFAULT_ASPECT_RATIO = "16:9"
URLS_SHAPE = catalogue.URLS_SHAPE
TYPED_SHAPE = catalogue.TYPED_SHAPE
REQUEST_SHAPES = (URLS_SHAPE, TYPED_SHAPE)
# The resolutions KINOVI_OUTPUT_RESOLUTION may name as the default of new projects.
OUTPUT_RESOLUTIONS = ("480p", "720p", "1080p")
DEFAULT_OUTPUT_RESOLUTION = catalogue.DEFAULT_RESOLUTION
# The seed's 4K upscale (`upscaleResolution`), from 720p; also native 4K's outputResolution.
UPSCALE_4K = "4k"
UPSCALE_FROM = "720p"
# `inputs.seed`: Kinovi's range; -1 (or no seed) asks for a random one.
SEED_MAX = 4_294_967_295
RANDOM_SEED = -1
HIGH_BITRATE = "high"

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
    `references`, `duration`, `aspect_ratio`, `resolution`, `upscale`, `seed`,
    `generate_audio`, `high_bitrate`, `callback_url`); `rule` is a short
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


def build_request(spec: GenerationSpec, *, shape: str = URLS_SHAPE) -> BuiltRequest:
    """The createTask body, or why it can't be sent.

    `shape` (see REQUEST_SHAPES) comes from settings and applies to the seed's models;
    a model whose pages document the typed shape is always sent in it (`shape_for`).
    A wrong `shape` is a ValueError.
    """
    if shape not in REQUEST_SHAPES:
        raise ValueError(f"Unknown request shape {shape!r}; expected one of {REQUEST_SHAPES}.")
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
    payload = None if errors else _payload(spec_as_sent, shape_for(spec.model, shape))
    return BuiltRequest(payload, errors, warnings, prompt, report.primary)


def shape_for(model: str, shape: str = URLS_SHAPE) -> str:
    """The shape a model's request is sent in: its documented one for the catalogue's
    typed models, `shape` (the settings') for the seed's."""
    spec = catalogue.CATALOGUE.get(model)
    if spec is not None and spec.shape == TYPED_SHAPE:
        return TYPED_SHAPE
    return shape


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
    """Every rule Kinovi applies to a request, for a spec whose prompt is as sent.

    The limits are those of `spec.model` in the catalogue; for an unknown model only the
    model and the rules every model shares are reported.
    """
    model = catalogue.CATALOGUE.get(spec.model)
    return [
        *_check_model(spec.model),
        *_check_prompt(spec.prompt, spec.references, model),
        *_check_references(spec.references, model),
        *(_check_duration(spec.duration, model) if model else []),
        *_check_aspect_ratio(spec.aspect_ratio),
        *(_check_resolution(spec, model) if model else []),
        *_check_options(spec),
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


def _payload(spec: GenerationSpec, shape: str) -> dict[str, Any]:
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
        "outputResolution": spec.resolution,
    }
    if spec.upscale_4k:
        inputs["upscaleResolution"] = UPSCALE_4K
    if not spec.generate_audio:
        inputs["generate_audio"] = False
    if spec.seed is not None and spec.seed != RANDOM_SEED:
        inputs["seed"] = spec.seed
    if spec.high_bitrate:
        inputs["bitrate_mode"] = HIGH_BITRATE
    payload: dict[str, Any] = {"model": spec.model}
    if spec.callback_url:
        payload["callBackUrl"] = spec.callback_url
    payload["inputs"] = inputs
    return payload


def _check_model(model: str) -> list[Problem]:
    if model in catalogue.CATALOGUE:
        return []
    choices = _or_list([spec.label for spec in catalogue.CATALOGUE.values()])
    return [Problem("model", "model", f"Choose a model: {choices}.")]


def _check_prompt(
    prompt: str, references: Sequence[ReferenceMedia], model: ModelSpec | None
) -> list[Problem]:
    if not prompt.strip():
        return [Problem("prompt", "prompt_blank", "Describe the video you want in the prompt.")]
    problems = []
    if model is not None and len(prompt) > model.prompt_max_characters:
        problems.append(
            Problem(
                "prompt",
                "prompt_length",
                f"The prompt is {len(prompt):,} characters long; "
                f"{model.label} takes at most {model.prompt_max_characters:,}.",
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


def _check_references(
    references: Sequence[ReferenceMedia], model: ModelSpec | None
) -> list[Problem]:
    by_kind = {kind: [ref for ref in references if ref.kind == kind] for kind in Kind}
    undecided = [ref for ref in references if ref.kind is None]
    problems = []
    if not by_kind[Kind.IMAGE] and not by_kind[Kind.VIDEO] and not undecided:
        problems.append(_no_visual_reference(bool(by_kind[Kind.AUDIO]), model))
    if model is not None:
        for kind, limit in (
            (Kind.IMAGE, model.max_images),
            (Kind.VIDEO, model.max_videos),
            (Kind.AUDIO, model.max_audio),
        ):
            if len(by_kind[kind]) > limit:
                problems.append(_too_many(kind, len(by_kind[kind]), limit, model))
        visual = len(by_kind[Kind.IMAGE]) + len(by_kind[Kind.VIDEO]) + len(undecided)
        if undecided and visual > model.max_images + model.max_videos:
            problems.append(
                Problem(
                    "references",
                    "too_many_references",
                    f"You chose {visual} images and videos; {model.label} takes at most "
                    f"{model.max_images} images and {model.max_videos} videos.",
                )
            )
    slots = iter(slots_for(_kinds(references)))
    for position, ref in enumerate(references, 1):
        if ref.kind is None:
            problems += _check_url_only(ref, position)
        else:
            problems += _check_reference(ref, next(slots), model)
    if model is not None:
        problems += _check_video_total(by_kind[Kind.VIDEO], model)
        problems += _check_audio_total(by_kind[Kind.AUDIO], model)
    return problems


def _no_visual_reference(has_audio: bool, model: ModelSpec | None) -> Problem:
    if has_audio:
        of_model = f" of {model.label}" if model else ""
        return Problem(
            "references",
            "audio_only",
            f"Add at least one image or video: audio can't be the only reference{of_model}.",
        )
    return Problem("references", "no_reference", "Add at least one image or video as a reference.")


def _too_many(kind: Kind, count: int, limit: int, model: ModelSpec) -> Problem:
    noun = {Kind.IMAGE: "images", Kind.VIDEO: "videos", Kind.AUDIO: "audio files"}[kind]
    return Problem(
        _FIELD[kind],
        f"too_many_{_FIELD[kind]}",
        f"You chose {count} {noun}; {model.label} takes at most {limit}.",
    )


def _check_url_only(ref: ReferenceMedia, position: int) -> list[Problem]:
    """What can be checked of a reference whose kind isn't known yet: its address."""
    if _is_web_url(ref.url):
        return []
    message = f"Reference {position} needs a public http:// or https:// address."
    return [Problem("references", "url", message)]


def _check_reference(ref: ReferenceMedia, slot: Slot, model: ModelSpec | None) -> list[Problem]:
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
    length = _known_length(ref)
    if ref.duration_seconds is not None and length is None:
        problems.append(
            Problem(where, "length_unknown", f"{_name(slot, ref)}: its length could not be read.")
        )
    elif ref.kind == Kind.VIDEO and model is not None and length is not None:
        problems += _check_video_length(ref, slot, length, model)
    return problems


def _check_video_length(
    ref: ReferenceMedia, slot: Slot, seconds: float, model: ModelSpec
) -> list[Problem]:
    if seconds > model.video_max_seconds:
        bound = f"at most {_seconds(model.video_max_seconds)} s"
    elif seconds < model.video_min_seconds:
        bound = f"at least {_seconds(model.video_min_seconds)} s"
    else:
        return []
    message = (
        f"{_name(slot, ref)} is {_seconds(seconds)} s long; "
        f"{model.label} takes reference videos of {bound} each."
    )
    return [Problem("videos", "video_length", message)]


def check_reference_video_length(seconds: float, model: str) -> str:
    """Why a reference video of `seconds` is refused by `model` ("" when it isn't): for
    the simulator, which measures the files it fetches."""
    spec = catalogue.spec_for(model)
    if seconds > spec.video_max_seconds:
        return f"each video can be at most {_seconds(spec.video_max_seconds)} s"
    if seconds < spec.video_min_seconds:
        return f"each video must be at least {_seconds(spec.video_min_seconds)} s"
    return ""


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


def _check_video_total(videos: list[ReferenceMedia], model: ModelSpec) -> list[Problem]:
    """Kinovi fails a task whose videos last over the model's limit together
    (InvalidParameter).

    A single long video is already reported by `video_length`; the total is reported
    when two or more videos of known length exceed it together.
    """
    lengths = [length for ref in videos if (length := _known_length(ref)) is not None]
    total = sum(lengths)
    if len(lengths) < 2 or total <= model.video_total_max_seconds:
        return []
    return [
        Problem(
            "videos",
            "video_total_length",
            f"The reference videos last {total:.1f} s together; {model.label} takes at most "
            f"{_seconds(model.video_total_max_seconds)} s of video in total.",
        )
    ]


def _check_audio_total(audio: list[ReferenceMedia], model: ModelSpec) -> list[Problem]:
    total = sum(_known_length(ref) or 0 for ref in audio)
    if total <= model.audio_total_max_seconds:
        return []
    return [
        Problem(
            "audio",
            "audio_length",
            f"The audio files are {_seconds(total)} s long together; {model.label} takes at "
            f"most {_seconds(model.audio_total_max_seconds)} s of audio in total.",
        )
    ]


def _check_duration(duration: int, model: ModelSpec) -> list[Problem]:
    if isinstance(duration, int) and not isinstance(duration, bool) and duration in model.durations:
        return []
    return [
        Problem(
            "duration",
            "duration",
            f"Choose a length of {model.min_duration} to {model.max_duration} whole seconds: "
            f"{model.label} makes no other.",
        )
    ]


def _check_aspect_ratio(aspect_ratio: str) -> list[Problem]:
    if aspect_ratio in ASPECT_RATIOS:
        return []
    return [Problem("aspect_ratio", "aspect_ratio", f"Choose {_or_list(list(ASPECT_RATIOS))}.")]


def _resolution_names(resolutions: Sequence[str]) -> str:
    return _or_list([catalogue.RESOLUTION_LABELS.get(res, res) for res in resolutions])


def _check_resolution(spec: GenerationSpec, model: ModelSpec) -> list[Problem]:
    problems = []
    if spec.resolution not in model.resolutions:
        problems.append(
            Problem(
                "resolution",
                "resolution",
                f"{model.label} makes videos at {_resolution_names(model.resolutions)}, "
                f"not {spec.resolution!r}.",
            )
        )
    if spec.upscale_4k and not model.upscale_4k:
        problems.append(
            Problem("upscale", "upscale", f"{model.label} has no 4K upscale; leave it off.")
        )
    elif spec.upscale_4k and spec.resolution != UPSCALE_FROM:
        native = " or choose native 4K" if UPSCALE_4K in model.resolutions else ""
        problems.append(
            Problem(
                "upscale",
                "upscale",
                f"{model.label}'s 4K upscale starts from {UPSCALE_FROM}: choose {UPSCALE_FROM}"
                f"{native}, or leave the upscale off.",
            )
        )
    return problems


def _check_options(spec: GenerationSpec) -> list[Problem]:
    seed = spec.seed
    if seed is None or (
        isinstance(seed, int) and not isinstance(seed, bool) and RANDOM_SEED <= seed <= SEED_MAX
    ):
        return []
    return [
        Problem(
            "seed",
            "seed",
            f"A seed is a whole number from 0 to {SEED_MAX:,}; leave it blank for a random one.",
        )
    ]


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

    Either shape is read (see the module's docstring) for the seed's models, the typed
    one for the models documented with it; other fields are ignored, as Kinovi ignores
    them. A `urls` entry may be an image or a video: the URL can't tell (a signed URL, a
    CDN path), so its kind stays None until the file is fetched (`resolve_kinds`), and
    the rules that depend on kinds are checked as far as they can be without them.
    Formats and lengths stay unknown until the files are fetched. Options read back as
    GenerationSpec holds them: no `outputResolution` is Kinovi's 720p, no seed (or -1)
    is None.
    """
    shape_errors = _check_shape(payload)
    if shape_errors:
        return ParsedPayload(None, shape_errors)
    inputs = payload["inputs"]
    shape = _shape_of(payload["model"], inputs)
    if shape == URLS_SHAPE:
        references = [ReferenceMedia(None, url) for url in inputs["urls"]]
    else:
        references = [ReferenceMedia(Kind.IMAGE, url) for url in inputs.get("imageUrls", [])]
        references += [ReferenceMedia(Kind.VIDEO, url) for url in inputs.get("videoUrls", [])]
    references += [ReferenceMedia(Kind.AUDIO, url) for url in inputs.get("audioUrls", [])]
    output_resolution = inputs.get("outputResolution", "")
    seed = inputs.get("seed")
    spec = GenerationSpec(
        model=payload["model"],
        prompt=inputs["prompt"],
        references=references,
        duration=int(inputs.get("duration", DEFAULT_DURATION)),
        aspect_ratio=inputs.get("aspectRatio", DEFAULT_ASPECT_RATIO),
        upscale_4k="upscaleResolution" in inputs,
        callback_url=payload.get("callBackUrl", ""),
        resolution=output_resolution or DEFAULT_OUTPUT_RESOLUTION,
        generate_audio=inputs.get("generate_audio", True),
        seed=None if seed == RANDOM_SEED else seed,
        high_bitrate=inputs.get("bitrate_mode") == HIGH_BITRATE,
    )
    return ParsedPayload(spec, validate(spec), shape, output_resolution)


_TYPED_FIELDS = {"imageUrls", "videoUrls"}


def _shape_of(model: Any, inputs: dict[str, Any]) -> str:
    if _TYPED_FIELDS & inputs.keys() or shape_for(str(model)) == TYPED_SHAPE:
        return TYPED_SHAPE
    return URLS_SHAPE


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
    return errors + _check_inputs_shape(str(payload.get("model")), inputs)


def _check_inputs_shape(model: str, inputs: dict[str, Any]) -> list[Problem]:
    errors = []
    if inputs.get("mode") != "reference":
        errors.append(Problem("mode", "mode", "inputs.mode must be 'reference'."))
    if not isinstance(inputs.get("prompt"), str):
        errors.append(Problem("prompt", "shape", "inputs.prompt is required."))
    typed = _shape_of(model, inputs) == TYPED_SHAPE
    if typed and "urls" in inputs:
        if _TYPED_FIELDS & inputs.keys():
            message = "Send images and videos either in inputs.urls or in inputs.imageUrls "
            message += "and inputs.videoUrls, not both."
        else:
            # Kinovi would ignore `urls` and make the video without its references.
            label = catalogue.CATALOGUE[model].label
            message = f"{label} reads images and videos from inputs.imageUrls and "
            message += "inputs.videoUrls, not inputs.urls."
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
    if inputs.get("outputResolution", UPSCALE_4K) not in catalogue.RESOLUTIONS:
        message = f"inputs.outputResolution must be one of {', '.join(catalogue.RESOLUTIONS)}."
        errors.append(Problem("resolution", "shape", message))
    if not isinstance(inputs.get("generate_audio", True), bool):
        message = "inputs.generate_audio must be true or false."
        errors.append(Problem("generate_audio", "shape", message))
    seed = inputs.get("seed", RANDOM_SEED)
    if not isinstance(seed, int) or isinstance(seed, bool):
        errors.append(Problem("seed", "shape", "inputs.seed must be a whole number."))
    if inputs.get("bitrate_mode", HIGH_BITRATE) != HIGH_BITRATE:
        message = "inputs.bitrate_mode can only be 'high'."
        errors.append(Problem("high_bitrate", "shape", message))
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
