"""Mentions of references in a prompt: `@image2`, `@video1`, `@audio1` and named `@mira`.

The rules, as this module applies them:

- A mention is `@` at the start of the text or after a character that is not a word
  character (so `email@image1.com` is not a mention), followed by a name, and it ends at a
  word boundary (so `@image1x` is not `@image1`; `@image1,` and `@image1-style` are).
- Positional mentions are `@imageN`, `@videoN` and `@audioN`, case-insensitive (`@Image1`
  and `@IMAGE1` are `@image1`), N written in ASCII digits. `@imageN` and `@videoN` count
  images and videos separately by their position within `urls`; `@audioN` counts within
  `audioUrls`. Positions start at 1; `@image0` or `@image4` with three images are unknown.
- Without any positional mention the first reference (the first of `urls`, else the
  first audio) is the primary one: Kinovi puts it in front of the prompt by itself.
  References that a prompt with mentions never names are reported as unmentioned
  (a warning: Kinovi still receives them, but the prompt says nothing about their use).
- Named mentions (`@mira`) refer to references by handle. A handle is lowercase letters,
  digits, `_` and `-`, starts with a letter, ends with a letter or digit, is at most
  40 characters, and never starts with `image`, `video` or `audio` followed by a digit,
  so no handle can be read as a positional mention. In a prompt, handles match
  case-insensitively and as long as possible: `@mira-2` is the handle `mira-2`, while
  `@mira.` and `@mira-` are `@mira` (a handle mention, too, ends at a word boundary).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True)
class Slot:
    """A reference's place in a request: the N of `@imageN`."""

    kind: Kind
    position: int

    @property
    def token(self) -> str:
        return f"@{self.kind}{self.position}"


@dataclass(frozen=True)
class Mention:
    """A positional mention found in a prompt; `text` is as written, e.g. `@Image2`."""

    slot: Slot
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class HandleMention:
    handle: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class MentionReport:
    mentions: list[Mention]
    unknown: list[Mention]  # mentions of positions with no reference behind them
    unmentioned: list[Slot]  # references the prompt never names
    primary: Slot | None  # the automatic primary reference, only when nothing is mentioned


@dataclass(frozen=True)
class Rewrite:
    prompt: str
    unknown_handles: list[str]  # in order of first appearance, without `@`


HANDLE_MAX_LENGTH = 40

_NOT_AFTER_WORD = r"(?<!\w)"
_POSITIONAL = re.compile(_NOT_AFTER_WORD + r"@(?ai:(image|video|audio)([0-9]+))(?!\w)")
_HANDLE = re.compile(_NOT_AFTER_WORD + r"@(?ai:([a-z](?:[a-z0-9_-]*[a-z0-9])?))(?!\w)")
_HANDLE_SHAPE = re.compile(r"[a-z](?:[a-z0-9_-]*[a-z0-9])?", re.ASCII)
_POSITIONAL_PREFIX = re.compile(r"(?:image|video|audio)[0-9]", re.ASCII | re.IGNORECASE)


def slots_for(kinds: Sequence[Kind]) -> list[Slot]:
    """Slots of references given in request order (`urls`, then `audioUrls`)."""
    counts = dict.fromkeys(Kind, 0)
    slots = []
    for kind in kinds:
        counts[kind] += 1
        slots.append(Slot(kind, counts[kind]))
    return slots


def find_mentions(prompt: str) -> list[Mention]:
    return [
        Mention(Slot(Kind(match[1].lower()), int(match[2])), match[0], match.start(), match.end())
        for match in _POSITIONAL.finditer(prompt)
    ]


def check_mentions(prompt: str, kinds: Sequence[Kind]) -> MentionReport:
    """Compare a prompt's positional mentions with the references it goes out with."""
    slots = slots_for(kinds)
    mentions = find_mentions(prompt)
    known = set(slots)
    unknown = [mention for mention in mentions if mention.slot not in known]
    if not mentions:
        primary = _first_reference(slots)
        unmentioned = [slot for slot in slots if slot != primary]
        return MentionReport(mentions, unknown, unmentioned, primary)
    mentioned = {mention.slot for mention in mentions}
    unmentioned = [slot for slot in slots if slot not in mentioned]
    return MentionReport(mentions, unknown, unmentioned, None)


def _first_reference(slots: list[Slot]) -> Slot | None:
    visual = [slot for slot in slots if slot.kind != Kind.AUDIO]
    return (visual or slots or [None])[0]


def find_handles(prompt: str) -> list[HandleMention]:
    return [
        HandleMention(match[1].lower(), match[0], match.start(), match.end())
        for match in _HANDLE.finditer(prompt)
        if not _POSITIONAL_PREFIX.match(match[1])
    ]


def rewrite_handles(prompt: str, handles: Mapping[str, Slot]) -> Rewrite:
    """Replace `@handle` mentions by the positional token of the reference they name.

    `handles` maps handles (with or without a leading `@`, any case) to slots. Mentions
    of handles not in the mapping are left as written and reported.
    """
    by_handle = {name.removeprefix("@").lower(): slot for name, slot in handles.items()}
    pieces: list[str] = []
    unknown: list[str] = []
    written_up_to = 0
    for mention in find_handles(prompt):
        slot = by_handle.get(mention.handle)
        if slot is None:
            if mention.handle not in unknown:
                unknown.append(mention.handle)
            continue
        pieces += [prompt[written_up_to : mention.start], slot.token]
        written_up_to = mention.end
    pieces.append(prompt[written_up_to:])
    return Rewrite("".join(pieces), unknown)


def validate_handle(handle: str) -> str | None:
    """Why `handle` (without `@`) can't be a handle, or None when it can."""
    if not handle:
        return "Choose a handle."
    if len(handle) > HANDLE_MAX_LENGTH:
        return f"A handle can be at most {HANDLE_MAX_LENGTH} characters long."
    if not _HANDLE_SHAPE.fullmatch(handle):
        return (
            "A handle uses lowercase letters, digits, '-' and '_', starts with a letter "
            "and ends with a letter or digit."
        )
    if _POSITIONAL_PREFIX.match(handle):
        return (
            "A handle can't start with image, video or audio followed by a number: "
            "prompts use @image1, @video1 and @audio1 for references by position."
        )
    return None
