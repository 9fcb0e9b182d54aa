"""The Kinovi video models the product offers, as data: one definition per model.

Each `ModelSpec` says what a model accepts (reference counts, per-file and combined
seconds, lengths, prompt length, resolutions, 4K upscale), the request shape its
documentation uses, and how Kinovi charges it. Rates are not here: they change over
time, so they live in price versions (`pricing.Rates`); the shipped rates are
`pricing.SHIPPED_RATES`.

Sources: the seed's API document for `seedance-20` and `seedance2-fast` (where it speaks,
it stands), Kinovi's per-model READMEs (GitHub kinovi-ai/kinovi-models,
`models/<id>/README.md`) for everything the seed is silent on and for the newer models.
"""

from dataclasses import dataclass

# outputResolution values. "4k" is a native 4K render (its own price), not the seed's
# upscale (`upscaleResolution: "4k"`, a per-second add-on).
RESOLUTIONS: tuple[str, ...] = ("480p", "720p", "1080p", "4k")
RESOLUTION_LABELS = {"480p": "480p", "720p": "720p", "1080p": "1080p", "4k": "4K (native)"}
DEFAULT_RESOLUTION = "720p"

URLS_SHAPE = "urls"  # the seed's: `urls` holds images and videos, `duration` a string
TYPED_SHAPE = "typed"  # the model pages': imageUrls / videoUrls / audioUrls, integer duration

# How a model is charged.
PER_OUTPUT_SECOND = "output"  # duration times rate, charged at submit, final
# With a reference video: (reference video seconds, capped, + duration) times the reference
# rate, known only after success (Kinovi reserves duration times rate, then settles higher).
REFERENCE_PLUS_OUTPUT = "reference+output"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    label: str
    summary: str  # the trade-off, in one sentence for the composer
    shape: str
    durations: range
    prompt_max_characters: int
    max_images: int
    max_videos: int
    max_audio: int
    video_min_seconds: float  # per file; 0 when the model names no minimum
    video_max_seconds: float  # per file
    video_total_max_seconds: float
    audio_total_max_seconds: float
    resolutions: tuple[str, ...]
    upscale_4k: bool  # the seed's upscale add-on exists for this model
    # Charge basis with a reference video attached (without one: per output second).
    reference_video_charge: str = PER_OUTPUT_SECOND
    # REFERENCE_PLUS_OUTPUT: at most this many reference seconds are charged.
    charged_reference_seconds_max: int = 0
    default_resolution: str = DEFAULT_RESOLUTION

    @property
    def default_duration(self) -> int:
        return 5 if 5 in self.durations else self.durations.start

    @property
    def min_duration(self) -> int:
        return self.durations.start

    @property
    def max_duration(self) -> int:
        return self.durations.stop - 1

    @property
    def settles_after_success(self) -> bool:
        """Whether Kinovi's final charge with a reference video exceeds what it reserves
        (and `creditsUsed` is updated shortly after `success`)."""
        return self.reference_video_charge == REFERENCE_PLUS_OUTPUT

    def charged_seconds(self, duration: int, reference_video_seconds: float | None) -> int:
        """The seconds the reference-video rate applies to. Without a known reference
        length the worst case (the cap) counts; Kinovi bills whole seconds, rounding a
        fraction up (what reserving must never undershoot)."""
        if self.reference_video_charge != REFERENCE_PLUS_OUTPUT:
            return duration
        cap = self.charged_reference_seconds_max
        if reference_video_seconds is None:
            reference = cap
        else:
            reference = min(cap, _ceil(reference_video_seconds))
        return reference + duration


def _ceil(seconds: float) -> int:
    whole = int(seconds)
    return whole if whole == seconds else whole + 1


SEEDANCE_20 = ModelSpec(
    id="seedance-20",
    label="Seedance 2.0",
    summary="Best quality of the 2.0 family, up to 1080p or native 4K.",
    shape=URLS_SHAPE,
    durations=range(4, 16),
    prompt_max_characters=4000,
    max_images=9,
    max_videos=3,
    max_audio=3,
    video_min_seconds=0,
    video_max_seconds=15,
    video_total_max_seconds=15,
    audio_total_max_seconds=15,
    resolutions=("480p", "720p", "1080p", "4k"),
    upscale_4k=True,
)
SEEDANCE_20_FAST = ModelSpec(
    id="seedance2-fast",
    label="Seedance 2.0 Fast",
    summary="Quicker and cheaper than 2.0, at 480p or 720p.",
    shape=URLS_SHAPE,
    durations=range(4, 16),
    prompt_max_characters=4000,
    max_images=9,
    max_videos=3,
    max_audio=3,
    video_min_seconds=0,
    video_max_seconds=15,
    video_total_max_seconds=15,
    audio_total_max_seconds=15,
    resolutions=("480p", "720p"),
    upscale_4k=True,
)
SEEDANCE_25 = ModelSpec(
    id="seedance2-5",
    label="Seedance 2.5",
    summary=(
        "Longer shots (up to 30 s) from up to 30 images, 10 videos and 10 audio files; "
        "with a reference video the reference seconds are charged too."
    ),
    shape=TYPED_SHAPE,
    durations=range(4, 31),
    prompt_max_characters=30000,
    max_images=30,
    max_videos=10,
    max_audio=10,
    video_min_seconds=2,
    video_max_seconds=30,
    video_total_max_seconds=30,
    audio_total_max_seconds=30,
    resolutions=("480p", "720p", "1080p"),
    upscale_4k=False,
    reference_video_charge=REFERENCE_PLUS_OUTPUT,
    charged_reference_seconds_max=30,
)
SEEDANCE_20_MINI = ModelSpec(
    id="seedance2.0-mini",
    label="Seedance 2.0 Mini",
    summary="The cheapest: for drafts, batch tests and prompt iteration, 480p or 720p.",
    shape=TYPED_SHAPE,
    durations=range(4, 16),
    prompt_max_characters=10000,
    max_images=9,
    max_videos=3,
    max_audio=3,
    video_min_seconds=0,
    video_max_seconds=15,
    video_total_max_seconds=15,
    audio_total_max_seconds=15,
    resolutions=("480p", "720p"),
    upscale_4k=False,
)

CATALOGUE: dict[str, ModelSpec] = {
    spec.id: spec for spec in (SEEDANCE_20, SEEDANCE_20_FAST, SEEDANCE_25, SEEDANCE_20_MINI)
}
# The seed's two models, in the seed's order.
SEED_MODELS: tuple[str, ...] = (SEEDANCE_20.id, SEEDANCE_20_FAST.id)


class UnknownModel(ValueError):
    pass


def spec_for(model: str) -> ModelSpec:
    try:
        return CATALOGUE[model]
    except KeyError:
        raise UnknownModel(
            f"Unknown Kinovi model {model!r}; expected one of {', '.join(CATALOGUE)}."
        ) from None
