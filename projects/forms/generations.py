"""The composer: one form checks a shot as the user edits it and submits it.

`ComposerForm.clean()` turns the posted fields into a Kinovi `GenerationSpec` and lets
`kinovi.request.build_request` apply every rule of the seed, so the live check and the
submit report the same problems in the same words.
"""

import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction

from projects.kinovi import request as kinovi_request
from projects.kinovi.pricing import MODEL_LABELS, format_credits
from projects.kinovi.references import Kind, slots_for
from projects.models import Character, GenerationReference, ReferenceAsset
from projects.models.credits import BudgetExceeded
from projects.models.generation import Generation

# A prompt far past Kinovi's limit is refused before any parsing: the counter says
# how long it is, but nobody needs 16 000 characters checked to learn that.
PROMPT_HARD_CAP = kinovi_request.PROMPT_MAX_CHARACTERS * 4
# More references than the seed allows of every kind together is not a composer.
MAX_POSTED_REFERENCES = (
    kinovi_request.MAX_IMAGES + kinovi_request.MAX_VIDEOS + kinovi_request.MAX_AUDIO
)
MODEL_TRADE_OFF = "Fast is about twice as quick, with slightly lower quality, and costs 30 % less."
# Generate xN: videos made at once from one composition, each with its own seed.
TAKES = (1, 2, 3, 4)
SEED_LIMIT = 2**32
TIMES = "\N{MULTIPLICATION SIGN}"
# Problem fields of kinovi.request that are about the reference list.
_REFERENCE_FIELDS = {"references", "images", "videos", "audio"}


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(16)


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
    model = forms.ChoiceField(
        choices=list(MODEL_LABELS.items()),
        help_text=MODEL_TRADE_OFF,
        widget=forms.RadioSelect,
    )
    duration = forms.TypedChoiceField(
        label="Length",
        coerce=int,
        choices=[(seconds, f"{seconds} s") for seconds in kinovi_request.DURATIONS],
    )
    aspect_ratio = forms.ChoiceField(
        label="Aspect ratio",
        choices=[(ratio, ratio) for ratio in kinovi_request.ASPECT_RATIOS],
    )
    upscale_4k = forms.BooleanField(label="Upscale to 4K", required=False)
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

    def __init__(self, *args, user, team, project, **kwargs):
        self.user = user
        self.team = team
        self.project = project
        self.chosen: list[ChosenReference] = []
        self.built: kinovi_request.BuiltRequest | None = None
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, project, generation: Generation | None = None) -> dict:
        """The composer's starting values: a generation's spec, or the project's defaults."""
        if generation is not None:
            return {
                "model": generation.model,
                "duration": generation.duration,
                "aspect_ratio": generation.aspect_ratio,
                "upscale_4k": generation.upscale_4k,
                "prompt": generation.prompt,
                "idempotency_key": new_idempotency_key(),
            }
        return {
            "model": project.default_model,
            "duration": project.default_duration,
            "aspect_ratio": project.default_aspect_ratio,
            "upscale_4k": project.default_upscale_4k,
            "idempotency_key": new_idempotency_key(),
        }

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
        self.built = kinovi_request.build_request(self.spec(), shape=settings.KINOVI_REQUEST_SHAPE)
        for problem in self.built.errors:
            field = "references" if problem.field in _REFERENCE_FIELDS else problem.field
            self.add_error(field if field in self.fields else None, problem.message)
        return data

    def spec(self) -> kinovi_request.GenerationSpec:
        data = self.cleaned_data
        return kinovi_request.GenerationSpec(
            model=data["model"],
            prompt=data["prompt"],
            references=[reference.as_media() for reference in self.chosen],
            duration=data["duration"],
            aspect_ratio=data["aspect_ratio"],
            upscale_4k=data["upscale_4k"],
        )

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

    def save(self) -> tuple[Generation, bool]:
        """The submitted generation and whether this call created it.

        The key rendered into the form makes a double click or a resubmitted form
        one generation: a second request with the same key gets the first one.
        BudgetExceeded from Generation.submit() leaves nothing stored. With `takes`
        above 1 it makes that many (`self.made`), each with its own seed, reserved all
        together or not at all.
        """
        key = self.cleaned_data["idempotency_key"]
        count = self.cleaned_data.get("takes") or 1
        existing = Generation.objects.filter(created_by=self.user, idempotency_key=key).first()
        if existing is not None:
            self.made = [existing]
            return existing, False
        seeds = secrets.SystemRandom().sample(range(SEED_LIMIT), count) if count > 1 else [None]
        made: list[Generation] = []
        try:
            with transaction.atomic():
                for index, seed in enumerate(seeds):
                    generation = self._create(key if index == 0 else f"{key}:{index + 1}", seed)
                    generation.submit()
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

    def _create(self, key: str, seed: int | None = None) -> Generation:
        data = self.cleaned_data
        payload = self.built.payload
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
