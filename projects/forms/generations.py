"""The composer: one form checks a shot as the user edits it and submits it.

`ComposerForm.clean()` turns the posted fields into a Kinovi `GenerationSpec` and lets
`kinovi.request.build_request` apply every rule of the seed, so the live check and the
submit report the same problems in the same words.
"""

import secrets
from dataclasses import asdict, dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction

from projects.kinovi import catalogue
from projects.kinovi import request as kinovi_request
from projects.kinovi.pricing import format_credits
from projects.kinovi.references import Kind, slots_for
from projects.models import (
    Character,
    GenerationReference,
    ModelAvailability,
    ReferenceAsset,
    credits,
)
from projects.models.credits import BudgetExceeded
from projects.models.generation import Generation

_SPECS = tuple(catalogue.CATALOGUE.values())
# A prompt far past the longest limit of any model is refused before any parsing: the
# counter says how long it is, but nobody needs 120 000 characters checked to learn that.
PROMPT_HARD_CAP = max(spec.prompt_max_characters for spec in _SPECS) * 4
# More references than any model allows of every kind together is not a composer.
MAX_POSTED_REFERENCES = max(spec.max_images + spec.max_videos + spec.max_audio for spec in _SPECS)
ALL_DURATIONS = range(
    min(spec.min_duration for spec in _SPECS), max(spec.max_duration for spec in _SPECS) + 1
)
RESOLUTION_CHOICES = {
    "480p": "480p · cheapest, for drafts",
    "720p": "720p",
    "1080p": "1080p",
    "4k": "4K (native)",
}
# The seed's 4K upscale starts from this resolution.
UPSCALE_FROM = "720p"
# Generate xN: videos made at once from one composition, each with its own seed.
TAKES = (1, 2, 3, 4)
SEED_LIMIT = 2**32
# kinovi.request's rules that the form checks itself against the chosen model's limits
# (build_request on its own knows the seed's): its problems under these rules are left
# out so that a rule is said once, in the model's terms.
_MODEL_LIMIT_RULES = {
    "too_many_images",
    "too_many_videos",
    "too_many_audio",
    "video_length",
    "video_total_length",
    "audio_length",
    "duration",
    "prompt_length",
}
QUOTE_SALT = "projects.composer.quote"
TIMES = "\N{MULTIPLICATION SIGN}"
# Problem fields of kinovi.request that are about the reference list.
_REFERENCE_FIELDS = {"references", "images", "videos", "audio"}


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(16)


class QuoteChanged(Exception):
    """The price at submit is not the one the user saw: nothing was reserved."""


@dataclass(frozen=True)
class QuoteTerms:
    """What a price shown in the composer was for, and the price: signed into the form
    (the quote lock), so that a submit reserves only the price the user saw.

    Credits are per video, as strings (exact decimals); reference seconds as the
    reservation counts them (None: unknown, the worst case).
    """

    model: str
    resolution: str
    duration: int
    upscale_4k: bool
    has_video_reference: bool
    reference_video_seconds: str | None
    takes: int
    credits: str
    price_version: int

    @property
    def total(self) -> Decimal:
        return Decimal(self.credits) * self.takes

    def token(self) -> str:
        return signing.dumps(asdict(self), salt=QUOTE_SALT, compress=True)

    @classmethod
    def from_token(cls, token: str) -> "QuoteTerms":
        """The terms a token was signed for; signing.BadSignature for any other text."""
        data = signing.loads(token, salt=QUOTE_SALT)
        try:
            return cls(**data)
        except TypeError:
            raise signing.BadSignature("Not a composer quote.") from None


def reference_video_seconds(references) -> Decimal | None:
    """The reference videos' seconds together, exactly as the reservation counts them
    (credits.reference_video_seconds); None when any video's length is unknown (the worst
    case is reserved then) or there is no video."""
    lengths = [ref.duration for ref in references if ref.kind == Kind.VIDEO]
    return credits.reference_video_seconds(lengths) if lengths else None


def model_limits(spec: catalogue.ModelSpec) -> str:
    """A model's limits in one sentence, for the composer."""
    images = f"{spec.max_images} images, {spec.max_videos} videos"
    audio = f"{spec.max_audio} audio files"
    if spec.video_max_seconds == spec.video_total_max_seconds == spec.audio_total_max_seconds:
        seconds = f" ({_s(spec.video_total_max_seconds)} s of video and of audio together)"
    else:
        seconds = (
            f" (videos {_s(spec.video_total_max_seconds)} s together, each at most"
            f" {_s(spec.video_max_seconds)} s; audio {_s(spec.audio_total_max_seconds)} s)"
        )
    return (
        f"{spec.label} takes up to {images} and {audio}{seconds}; "
        f"{spec.min_duration} to {spec.max_duration} s long; "
        f"a prompt of up to {spec.prompt_max_characters:,} characters."
    )


def _s(seconds: float) -> str:
    return f"{seconds:g}"


def composer_models_config(models: list[str]) -> dict:
    """What composer.js needs to offer each available model's choices and limits."""
    config = {}
    for model in models:
        spec = catalogue.spec_for(model)
        config[model] = {
            "label": spec.label,
            "summary": spec.summary,
            "resolutions": [[res, RESOLUTION_CHOICES[res]] for res in spec.resolutions],
            "defaultResolution": spec.default_resolution,
            "durations": [spec.min_duration, spec.max_duration],
            "defaultDuration": spec.default_duration,
            "upscale4k": spec.upscale_4k,
            "upscaleFrom": UPSCALE_FROM,
            "limits": {
                Kind.IMAGE: spec.max_images,
                Kind.VIDEO: spec.max_videos,
                Kind.AUDIO: spec.max_audio,
            },
            "videoMinSeconds": spec.video_min_seconds,
            "videoMaxSeconds": spec.video_max_seconds,
            "videoTotalMaxSeconds": spec.video_total_max_seconds,
            "audioTotalMaxSeconds": spec.audio_total_max_seconds,
            "promptMax": spec.prompt_max_characters,
            "limitsText": model_limits(spec),
        }
    return config


@dataclass(frozen=True)
class ChosenReference:
    """One reference of the composer, resolved to the user's asset (and character)."""

    asset: ReferenceAsset
    character: Character | None

    @property
    def handle(self) -> str:
        return self.character.handle if self.character else ""

    def as_media(self) -> kinovi_request.ReferenceMedia:
        return kinovi_request.ReferenceMedia(
            kind=Kind(self.asset.kind),
            url=self.asset.url,
            format=self.asset.mime_type,
            duration_seconds=self.asset.duration,
            label=self.asset.name,
            handle=self.handle,
        )


class ReferencesField(forms.Field):
    """`asset_id` or `asset_id:character_id` values, in the composer's order."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[tuple[int, int | None]]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        if len(value) > MAX_POSTED_REFERENCES:
            raise forms.ValidationError(
                f"A video takes at most {MAX_POSTED_REFERENCES} references.", code="too_many"
            )
        parsed = []
        for item in value:
            asset_id, _, character_id = str(item).partition(":")
            if not asset_id.isascii() or not asset_id.isdigit() or len(asset_id) > 18:
                raise forms.ValidationError("A reference is not one of your files.", code="bad")
            if character_id and (
                not character_id.isascii() or not character_id.isdigit() or len(character_id) > 18
            ):
                raise forms.ValidationError("A reference names an unknown character.", code="bad")
            parsed.append((int(asset_id), int(character_id) if character_id else None))
        return parsed


class ComposerForm(forms.Form):
    # Every model of the catalogue is a valid choice; one the team may not use is
    # refused in clean_model, in words that say so.
    model = forms.ChoiceField(
        choices=[(spec.id, spec.label) for spec in _SPECS],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose one of the models offered."},
    )
    # Blank: the project's default where the model offers it, else the model's.
    resolution = forms.ChoiceField(
        label="Resolution",
        required=False,
        choices=list(RESOLUTION_CHOICES.items()),
        error_messages={"invalid_choice": "Choose one of the resolutions offered."},
    )
    duration = forms.TypedChoiceField(
        label="Length",
        coerce=int,
        choices=[(seconds, f"{seconds} s") for seconds in ALL_DURATIONS],
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        choices=[(ratio, ratio) for ratio in kinovi_request.ASPECT_RATIOS],
    )
    upscale_4k = forms.BooleanField(label="Upscale to 4K", required=False)
    generate_audio = forms.BooleanField(label="Generate audio", required=False)
    high_bitrate = forms.BooleanField(label="High bitrate", required=False)
    seed = forms.IntegerField(
        label="Seed",
        required=False,
        min_value=0,
        max_value=SEED_LIMIT - 1,
        help_text="Blank for a random one; the same seed and composition give a similar video.",
        error_messages={
            "invalid": f"A seed is a whole number from 0 to {SEED_LIMIT - 1}, or blank.",
            "min_value": f"A seed is a whole number from 0 to {SEED_LIMIT - 1}, or blank.",
            "max_value": f"A seed is a whole number from 0 to {SEED_LIMIT - 1}, or blank.",
        },
    )
    # The quote lock: the price the live check showed, signed (QuoteTerms.token).
    quote = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    # Blank is reported by build_request, in its words, with every other problem.
    prompt = forms.CharField(
        required=False,
        strip=False,
        max_length=PROMPT_HARD_CAP,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    references = ReferencesField(required=False)
    takes = forms.TypedChoiceField(
        label="Videos",
        choices=[(n, f"{TIMES}{n}") for n in TAKES],
        coerce=int,
        required=False,
        empty_value=1,
        error_messages={"invalid_choice": "Make 1 to 4 videos at once."},
    )
    # Without it a resubmitted form could make a second video: a form that lacks it is
    # not one this page rendered.
    idempotency_key = forms.CharField(
        max_length=40,
        widget=forms.HiddenInput,
        error_messages={
            "required": "This form is out of date: reload the page to compose again.",
            "max_length": "This form is out of date: reload the page to compose again.",
        },
    )

    def __init__(self, *args, user, team, project, available_models=None, **kwargs):
        self.user = user
        self.team = team
        self.project = project
        self.chosen: list[ChosenReference] = []
        self.built: kinovi_request.BuiltRequest | None = None
        self.set_aside: list[str] = []
        self.available_models = (
            available_models
            if available_models is not None
            else ModelAvailability.objects.available_to(team)
        )
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(
        cls, project, generation: Generation | None = None, available_models=None
    ) -> dict:
        """The composer's starting values: a generation's spec, or the project's defaults
        (the first model offered when the project's own is not)."""
        if generation is not None:
            return {
                "model": generation.model,
                "resolution": generation.resolution,
                "duration": generation.duration,
                "aspect_ratio": generation.aspect_ratio,
                "upscale_4k": generation.upscale_4k,
                "generate_audio": generation.generate_audio,
                "high_bitrate": generation.high_bitrate,
                "seed": generation.seed_requested,
                "prompt": generation.prompt,
                "idempotency_key": new_idempotency_key(),
            }
        model = project.default_model
        if available_models is not None and model not in available_models and available_models:
            model = available_models[0]
        spec = catalogue.CATALOGUE.get(model)
        resolution = project.default_resolution
        duration = project.default_duration
        if spec is not None:
            if resolution not in spec.resolutions:
                resolution = spec.default_resolution
            if duration not in spec.durations:
                duration = spec.default_duration
        return {
            "model": model,
            "resolution": resolution,
            "duration": duration,
            "aspect_ratio": project.default_aspect_ratio,
            "upscale_4k": project.default_upscale_4k and bool(spec and spec.upscale_4k),
            "generate_audio": True,
            "idempotency_key": new_idempotency_key(),
        }

    @property
    def model_spec(self) -> catalogue.ModelSpec:
        """The chosen model's definition (the first offered one while none is valid)."""
        model = getattr(self, "cleaned_data", {}).get("model") or self.data.get("model")
        if model not in catalogue.CATALOGUE:
            model = (self.available_models or list(catalogue.CATALOGUE))[0]
        return catalogue.CATALOGUE[model]

    def model_options(self) -> list[dict]:
        """The models offered, each with its label, trade-off and whether it is chosen."""
        chosen = self.model_spec.id
        return [
            {
                "id": model,
                "label": catalogue.CATALOGUE[model].label,
                "summary": catalogue.CATALOGUE[model].summary,
                "checked": model == chosen,
            }
            for model in self.available_models
        ]

    def resolution_options(self) -> list[tuple[str, str, bool]]:
        chosen = getattr(self, "cleaned_data", {}).get("resolution") or self.data.get("resolution")
        spec = self.model_spec
        if chosen not in spec.resolutions:
            chosen = spec.default_resolution
        return [(res, RESOLUTION_CHOICES[res], res == chosen) for res in spec.resolutions]

    def duration_options(self) -> list[tuple[int, bool]]:
        chosen = str(self.data.get("duration", ""))
        spec = self.model_spec
        if not chosen.isdigit() or int(chosen) not in spec.durations:
            chosen = str(spec.default_duration)
        return [(seconds, str(seconds) == chosen) for seconds in spec.durations]

    @property
    def upscale_offered(self) -> bool:
        """The seed's 4K upscale: on its models, from 720p."""
        chosen = [res for res, _, selected in self.resolution_options() if selected]
        return self.model_spec.upscale_4k and chosen == [UPSCALE_FROM]

    @property
    def limits_text(self) -> str:
        return model_limits(self.model_spec)

    def clean_resolution(self) -> str:
        resolution = self.cleaned_data["resolution"]
        if resolution:
            return resolution
        spec = catalogue.CATALOGUE.get(self.cleaned_data.get("model", ""))
        if spec is None:
            return catalogue.DEFAULT_RESOLUTION
        default = getattr(self.project, "default_resolution", "")
        return default if default in spec.resolutions else spec.default_resolution

    def clean_model(self) -> str:
        model = self.cleaned_data["model"]
        if model not in self.available_models:
            label = catalogue.CATALOGUE[model].label
            raise forms.ValidationError(
                f"{label} is not offered in this team: choose another model.",
                code="unavailable",
            )
        return model

    def clean_references(self) -> list[ChosenReference]:
        posted = self.cleaned_data["references"]
        if not posted:
            return []
        assets = ReferenceAsset.objects.visible_to(self.user, self.team).in_bulk(
            {asset_id for asset_id, _ in posted}
        )
        character_ids = {character_id for _, character_id in posted if character_id}
        characters = (
            Character.objects.visible_to(self.user, self.team).with_images().in_bulk(character_ids)
            if character_ids
            else {}
        )
        chosen = []
        seen: set[int] = set()
        for asset_id, character_id in posted:
            asset = assets.get(asset_id)
            if asset is None:
                raise forms.ValidationError(
                    "A reference is no longer in your library or your team's; remove it.",
                    code="unknown_asset",
                )
            if asset_id in seen:
                # Kinovi would get one file as two references (@image1 and @image2).
                raise forms.ValidationError(
                    f"“{asset.name}” is a reference twice: remove one.", code="duplicate"
                )
            seen.add(asset_id)
            character = characters.get(character_id) if character_id else None
            if character_id and (
                character is None
                or not any(image.asset_id == asset_id for image in character.images.all())
            ):
                raise forms.ValidationError(
                    f"“{asset.name}” is no longer an image of that character; remove it.",
                    code="unknown_character",
                )
            chosen.append(ChosenReference(asset, character))
        return chosen

    def clean(self):
        data = super().clean()
        self.chosen = data.get("references") or []
        if self.errors:
            return data
        spec = catalogue.spec_for(data["model"])
        for field, message in self._model_problems(spec, data):
            self.add_error(field, message)
        if self.errors:
            return data
        self.built = kinovi_request.build_request(self.spec(), shape=settings.KINOVI_REQUEST_SHAPE)
        self.set_aside = []
        for problem in self.built.errors:
            if problem.rule in _MODEL_LIMIT_RULES:
                self.set_aside.append(problem.message)
                continue
            field = "references" if problem.field in _REFERENCE_FIELDS else problem.field
            self.add_error(field if field in self.fields else None, problem.message)
        if len(self.built.prompt) > spec.prompt_max_characters:
            self.add_error(
                "prompt",
                f"The prompt is {len(self.built.prompt):,} characters long; {spec.label} "
                f"takes at most {spec.prompt_max_characters:,}.",
            )
        return data

    @property
    def unsendable(self) -> str:
        """Why the Kinovi layer can't send what the form's checks let through, or ""."""
        if self.built is None or self.built.payload is not None:
            return ""
        return " ".join(getattr(self, "set_aside", [])) or "This video can't be sent to Kinovi."

    def _model_problems(self, spec: catalogue.ModelSpec, data) -> list[tuple[str, str]]:
        """The chosen model's limits: resolution, upscale, length, references, prompt."""
        problems = []
        label = spec.label
        if data["resolution"] not in spec.resolutions:
            offered = ", ".join(RESOLUTION_CHOICES[res].split(" ·")[0] for res in spec.resolutions)
            problems.append(("resolution", f"{label} is made at {offered}: choose one of them."))
        elif data["upscale_4k"] and not (spec.upscale_4k and data["resolution"] == UPSCALE_FROM):
            problems.append(
                (
                    "upscale_4k",
                    f"Upscale to 4K is offered at {UPSCALE_FROM} on Seedance 2.0 and 2.0 Fast only."
                    if not spec.upscale_4k
                    else f"Upscale to 4K starts from {UPSCALE_FROM}: choose {UPSCALE_FROM} "
                    "or a native resolution without it.",
                )
            )
        if data["duration"] not in spec.durations:
            problems.append(
                (
                    "duration",
                    f"{label} makes videos of {spec.min_duration} to {spec.max_duration} s.",
                )
            )
        kinds = [Kind(reference.asset.kind) for reference in self.chosen]
        for kind, limit, noun in (
            (Kind.IMAGE, spec.max_images, "images"),
            (Kind.VIDEO, spec.max_videos, "videos"),
            (Kind.AUDIO, spec.max_audio, "audio files"),
        ):
            if kinds.count(kind) > limit:
                problems.append(
                    (
                        "references",
                        f"You chose {kinds.count(kind)} {noun}; {label} takes at most {limit}.",
                    )
                )
        videos = [ref.asset for ref in self.chosen if ref.asset.kind == Kind.VIDEO]
        audio = [ref.asset for ref in self.chosen if ref.asset.kind == Kind.AUDIO]
        for asset in videos:
            length = asset.duration
            if length is None:
                continue
            if length > spec.video_max_seconds:
                problems.append(
                    (
                        "references",
                        f"“{asset.name}” is {length:.1f} s long; {label} takes reference "
                        f"videos of at most {_s(spec.video_max_seconds)} s.",
                    )
                )
            elif length < spec.video_min_seconds:
                problems.append(
                    (
                        "references",
                        f"“{asset.name}” is {length:.1f} s long; {label} takes reference "
                        f"videos of at least {_s(spec.video_min_seconds)} s.",
                    )
                )
        video_total = sum(asset.duration or 0 for asset in videos)
        if len(videos) > 1 and video_total > spec.video_total_max_seconds:
            problems.append(
                (
                    "references",
                    f"The reference videos last {video_total:.1f} s together; {label} takes "
                    f"at most {_s(spec.video_total_max_seconds)} s of video in total.",
                )
            )
        audio_total = sum(asset.duration or 0 for asset in audio)
        if audio_total > spec.audio_total_max_seconds:
            problems.append(
                (
                    "references",
                    f"The audio files are {audio_total:.1f} s long together; {label} takes "
                    f"at most {_s(spec.audio_total_max_seconds)} s.",
                )
            )
        return problems

    def spec(self) -> kinovi_request.GenerationSpec:
        data = self.cleaned_data
        return kinovi_request.GenerationSpec(
            model=data["model"],
            prompt=data["prompt"],
            references=[reference.as_media() for reference in self.chosen],
            duration=data["duration"],
            aspect_ratio=data["aspect_ratio"],
            upscale_4k=data["upscale_4k"],
            resolution=data["resolution"],
            generate_audio=data["generate_audio"],
            seed=data["seed"],
            high_bitrate=data["high_bitrate"],
        )

    @property
    def prompt_limit(self) -> int:
        return self.model_spec.prompt_max_characters

    def reference_video_seconds(self) -> float | None:
        return reference_video_seconds([reference.asset for reference in self.chosen])

    def quote_terms(self, quote) -> QuoteTerms:
        """The terms of `quote` (credits.quote of this form's shot) for the quote lock."""
        data = self.cleaned_data
        seconds = self.reference_video_seconds()
        return QuoteTerms(
            model=data["model"],
            resolution=data["resolution"],
            duration=data["duration"],
            upscale_4k=data["upscale_4k"],
            has_video_reference=self.has_video_reference,
            reference_video_seconds=None if seconds is None else f"{seconds:.3f}",
            takes=data.get("takes") or 1,
            credits=str(quote.credits),
            price_version=quote.price_version.pk,
        )

    @property
    def has_video_reference(self) -> bool:
        return any(reference.asset.kind == Kind.VIDEO for reference in self.chosen)

    @property
    def warnings(self) -> list[kinovi_request.Problem]:
        return self.built.warnings if self.built else []

    @property
    def prompt_length(self) -> int:
        return len(self.built.prompt if self.built else (self.data.get("prompt") or "").strip())

    def problems(self) -> list[str]:
        """Every error as one flat list, in the form's field order."""
        messages = list(self.non_field_errors())
        for name in self.fields:
            messages += self.errors.get(name, [])
        return messages

    def save(
        self, expected: QuoteTerms | None = None, *, expected_credits: Decimal | None = None
    ) -> tuple[Generation, bool]:
        """The submitted generation and whether this call created it.

        The key rendered into the form makes a double click or a resubmitted form
        one generation: a second request with the same key gets the first one.
        BudgetExceeded from Generation.submit() leaves nothing stored. With `takes`
        above 1 it makes that many (`self.made`), each with its own seed, reserved all
        together or not at all. With `expected` (the quote lock's terms), a reservation
        of any other amount (prices changed since the check) raises QuoteChanged and
        nothing is stored; `expected_credits` is that amount alone (Re-run's lock: the
        price its button was rendered with).
        """
        if expected is not None:
            expected_credits = Decimal(expected.credits)
        key = self.cleaned_data["idempotency_key"]
        count = self.cleaned_data.get("takes") or 1
        existing = Generation.objects.filter(created_by=self.user, idempotency_key=key).first()
        if existing is not None:
            self.made = [existing]
            return existing, False
        seeds = self._seeds(count)
        made: list[Generation] = []
        try:
            with transaction.atomic():
                for index, seed in enumerate(seeds):
                    generation = self._create(key if index == 0 else f"{key}:{index + 1}", seed)
                    generation.submit()
                    if (
                        expected_credits is not None
                        and generation.credits_estimated != expected_credits
                    ):
                        raise QuoteChanged(generation.credits_estimated)
                    made.append(generation)
        except IntegrityError:
            # The same key in two concurrent requests: the other one won.
            existing = Generation.objects.filter(created_by=self.user, idempotency_key=key).first()
            if existing is None:
                raise
            self.made = [existing]
            return existing, False
        except BudgetExceeded as refusal:
            if count == 1:
                raise
            together = ""
            if made:
                each = made[0].credits_estimated
                together = (
                    f" together they cost {format_credits(count * each)} credits"
                    f" ({count} {TIMES} {format_credits(each)})."
                )
            raise BudgetExceeded(
                f"None of the {count} videos was made:{together} {refusal}"
            ) from refusal
        self.made = made
        return made[0], True

    def _seeds(self, count: int) -> list[int | None]:
        """Each video's seed: the one asked for (then the next ones, for more than one
        video), or random ones, distinct, for several; None is Kinovi's random seed."""
        asked = self.cleaned_data.get("seed")
        if asked is not None:
            return [(asked + n) % SEED_LIMIT for n in range(count)]
        if count == 1:
            return [None]
        return secrets.SystemRandom().sample(range(SEED_LIMIT), count)

    def _create(self, key: str, seed: int | None = None) -> Generation:
        data = self.cleaned_data
        payload = self.built.payload
        if payload is None:
            # The Kinovi layer refused what the form's checks let through.
            raise ValueError("The Kinovi request could not be built.")
        if seed is not None:
            payload = {**payload, "inputs": {**payload["inputs"], "seed": seed}}
        generation = Generation.objects.create(
            project=self.project,
            created_by=self.user,
            idempotency_key=key,
            model=data["model"],
            prompt=data["prompt"].strip(),
            prompt_sent=self.built.prompt,
            duration=data["duration"],
            aspect_ratio=data["aspect_ratio"],
            upscale_4k=data["upscale_4k"],
            resolution=data["resolution"],
            generate_audio=data["generate_audio"],
            high_bitrate=data["high_bitrate"],
            seed_requested=seed if data.get("seed") is not None else None,
            request_payload=payload,
        )
        kinds = [Kind(reference.asset.kind) for reference in self.chosen]
        GenerationReference.objects.bulk_create(
            GenerationReference(
                generation=generation,
                asset=reference.asset,
                character=reference.character,
                kind=slot.kind.value,
                position=slot.position,
                url=reference.asset.url,
                handle=reference.handle,
                format=reference.asset.mime_type,
                duration_seconds=reference.asset.duration,
                label=reference.asset.name,
            )
            for reference, slot in zip(self.chosen, slots_for(kinds), strict=True)
        )
        return generation
