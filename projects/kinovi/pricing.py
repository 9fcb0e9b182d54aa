"""What a Kinovi video costs, given a set of rates.

Kinovi charges per second of video: a rate per model, a per-second add-on for the 4K
upscale, and (per Kinovi's other documentation, not the seed) a per-second surcharge when
a reference video is attached. Rates change over time, so they are data: the app keeps
them as price versions in the database and passes the version in effect to the functions
here. `SEED_RATES` is the seed's version (40/s standard, 28/s fast, +28/s for 4K,
$0.005 per credit); the simulator charges it, like Kinovi did when the seed was written.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from projects.kinovi import catalogue

# Credits are exact decimals with three places: Kinovi's rates (7.5, 85.68, 143.4
# credits/s) and its reported `creditsUsed` (2.17) need at most two, and a third keeps
# any per-second rate times a whole number of seconds exact, with room to spare.
CREDIT_PLACES = 3
CREDIT_SCALE = Decimal(1).scaleb(-CREDIT_PLACES)  # 0.001

STANDARD_MODEL = catalogue.SEEDANCE_20.id
FAST_MODEL = catalogue.SEEDANCE_20_FAST.id
MODEL_LABELS: dict[str, str] = {spec.id: spec.label for spec in catalogue.CATALOGUE.values()}
MODELS: tuple[str, ...] = tuple(catalogue.CATALOGUE)
# The durations of the seed's pricing table.
TABLE_DURATIONS: tuple[int, ...] = (4, 5, 8, 10, 15)
# The resolution the seed's prices pay for; its 4K upscale starts from it.
SEED_RESOLUTION = "720p"


class PriceMissing(ValueError):
    """A shot whose (model, resolution) the price version does not price: refused, never
    priced at another resolution's rate."""


def to_credits(value: Any) -> Decimal:
    """`value` as credits at the fixed scale: Decimal, int or a numeric string, never a
    float (a float is already inexact). Raises ValueError for anything else, for more
    than three decimal places, and for NaN or infinity."""
    if isinstance(value, bool | float):
        raise ValueError(f"Credits are exact decimals, not {value!r}.")
    try:
        number = Decimal(value) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueError(f"Credits are a number, not {value!r}.")
    exact = number.quantize(CREDIT_SCALE, rounding=ROUND_HALF_UP)
    if exact != number:
        raise ValueError(f"Credits have at most {CREDIT_PLACES} decimal places, not {value!r}.")
    return exact


def format_credits(value: Any) -> str:
    """Credits for people: thousands separators, at most three decimals, no trailing
    zeros: 12,345 · 85.68 · -50 · 0.5."""
    if value is None or value == "":
        return ""
    number = Decimal(value).quantize(CREDIT_SCALE, rounding=ROUND_HALF_UP)
    text = f"{number:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def plain_credits(value: Any) -> str:
    """Credits for machines (CSV): no separators, trailing zeros trimmed: 1250 · 85.68."""
    return format_credits(value).replace(",", "")


def _rate_map(rates: Mapping[str, Any]) -> dict[str, Decimal]:
    unknown = set(rates) - set(catalogue.RESOLUTIONS)
    if unknown:
        raise ValueError(f"Unknown resolution {sorted(unknown)[0]!r}.")
    return {
        resolution: to_credits(rates[resolution])
        for resolution in catalogue.RESOLUTIONS
        if resolution in rates and rates[resolution] is not None
    }


@dataclass(frozen=True)
class ModelRate:
    """One model's credits per second of video, per output resolution: without and with a
    reference video (Kinovi's reference tier), and the seed's 4K upscale add-on (None:
    the model has none). Exact decimals."""

    per_second: Mapping[str, Decimal]
    with_reference_video: Mapping[str, Decimal] = field(default_factory=dict)
    upscale_4k_credits_per_second: Decimal | None = None

    def __post_init__(self):
        object.__setattr__(self, "per_second", _rate_map(self.per_second))
        with_video = _rate_map(self.with_reference_video)
        # A resolution priced without a tier charges the same with a reference video.
        object.__setattr__(self, "with_reference_video", self.per_second | with_video)
        if self.upscale_4k_credits_per_second is not None:
            object.__setattr__(
                self,
                "upscale_4k_credits_per_second",
                to_credits(self.upscale_4k_credits_per_second),
            )

    @classmethod
    def flat(
        cls,
        credits_per_second,
        upscale_4k_credits_per_second=None,
        video_reference_credits_per_second=0,
        resolution: str = SEED_RESOLUTION,
    ) -> "ModelRate":
        """A rate at one resolution (the seed's 720p), with a reference-video surcharge."""
        base = to_credits(credits_per_second)
        return cls(
            per_second={resolution: base},
            with_reference_video={
                resolution: base + to_credits(video_reference_credits_per_second)
            },
            upscale_4k_credits_per_second=upscale_4k_credits_per_second,
        )

    @property
    def resolutions(self) -> tuple[str, ...]:
        return tuple(self.per_second)

    def rate(self, resolution: str, *, has_video_reference: bool) -> Decimal | None:
        table = self.with_reference_video if has_video_reference else self.per_second
        return table.get(resolution)

    # The seed's figures (720p), for the places that speak of them.
    @property
    def credits_per_second(self) -> Decimal:
        return self.per_second.get(SEED_RESOLUTION, Decimal(0))

    @property
    def video_reference_credits_per_second(self) -> Decimal:
        base = self.per_second.get(SEED_RESOLUTION)
        tier = self.with_reference_video.get(SEED_RESOLUTION)
        return Decimal(0) if base is None or tier is None else tier - base

    def to_json(self) -> dict[str, Any]:
        upscale = self.upscale_4k_credits_per_second
        return {
            "per_second": {res: plain_credits(rate) for res, rate in self.per_second.items()},
            "with_reference_video": {
                res: plain_credits(rate) for res, rate in self.with_reference_video.items()
            },
            "upscale_4k_credits_per_second": None if upscale is None else plain_credits(upscale),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ModelRate":
        if "per_second" not in data:
            # The shape of the first versions: one 720p rate and per-second add-ons.
            return cls.flat(
                str(data["credits_per_second"]),
                str(data["upscale_4k_credits_per_second"]),
                str(data.get("video_reference_credits_per_second", 0)),
            )
        upscale = data.get("upscale_4k_credits_per_second")
        return cls(
            per_second={res: str(rate) for res, rate in data["per_second"].items()},
            with_reference_video={
                res: str(rate) for res, rate in data.get("with_reference_video", {}).items()
            },
            upscale_4k_credits_per_second=None if upscale in (None, "") else str(upscale),
        )


@dataclass(frozen=True)
class Rates:
    """One price version's numbers: dollars per credit and a ModelRate for every model."""

    dollars_per_credit: Decimal
    models: Mapping[str, ModelRate]

    def for_model(self, model: str) -> ModelRate:
        if model not in self.models:
            raise PriceMissing(
                f"{MODEL_LABELS.get(model, model)} has no price in the prices in effect."
                if model in MODEL_LABELS
                else f"Unknown Kinovi model {model!r}; expected one of {', '.join(self.models)}."
            )
        return self.models[model]

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (what the database stores); `from_json` reads it back."""
        return {
            "dollars_per_credit": str(self.dollars_per_credit),
            "models": {model: rate.to_json() for model, rate in self.models.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Rates":
        return cls(
            dollars_per_credit=Decimal(data["dollars_per_credit"]),
            models={
                model: ModelRate.from_json(numbers) for model, numbers in data["models"].items()
            },
        )


def _tiers(plain: dict[str, str], with_video: dict[str, str]) -> dict[str, Any]:
    return {"per_second": plain, "with_reference_video": with_video}


# What the product ships: the seed's numbers where it speaks (720p: 40 and 28 credits/s,
# the 4K upscale +28 credits/s, $0.005 a credit), Kinovi's model pages for the rest
# (the other resolutions, the reference-video tier, Seedance 2.5 and 2.0 Mini).
SHIPPED_RATES = Rates(
    dollars_per_credit=Decimal("0.005"),
    models={
        STANDARD_MODEL: ModelRate(
            **_tiers(
                {"480p": "15", "720p": "40", "1080p": "90", "4k": "200"},
                {"480p": "19", "720p": "48", "1080p": "108", "4k": "240"},
            ),
            upscale_4k_credits_per_second=Decimal(28),
        ),
        FAST_MODEL: ModelRate(
            **_tiers({"480p": "14", "720p": "28"}, {"480p": "18", "720p": "34"}),
            upscale_4k_credits_per_second=Decimal(28),
        ),
        catalogue.SEEDANCE_25.id: ModelRate(
            **_tiers(
                {"480p": "26", "720p": "59", "1080p": "143.4"},
                {"480p": "16", "720p": "35", "1080p": "85.68"},
            )
        ),
        catalogue.SEEDANCE_20_MINI.id: ModelRate(
            **_tiers({"480p": "7.5", "720p": "20"}, {"480p": "9.5", "720p": "24"})
        ),
    },
)
# The seed's own version: its two models at 720p, no reference tier (what the first
# price version in the database holds).
SEED_RATES = Rates(
    dollars_per_credit=Decimal("0.005"),
    models={
        STANDARD_MODEL: ModelRate.flat(40, 28),
        FAST_MODEL: ModelRate.flat(28, 28),
    },
)


@dataclass(frozen=True)
class Price:
    credits: Decimal  # what to reserve: Kinovi's charge, or its worst case (see below)
    dollars: Decimal
    # What the 4K upscale adds (also when not chosen: what choosing it would add; 0 where
    # the model or resolution has none).
    upscale_4k_credits: Decimal
    # What the reference-video tier adds over the same shot without one (0 without one).
    video_reference_credits: Decimal
    resolution: str = catalogue.DEFAULT_RESOLUTION
    credits_per_second: Decimal = Decimal(0)  # the rate applied (upscale not included)
    charged_seconds: int = 0  # the seconds the rate applies to
    # Kinovi settles after success at more than it reserves (Seedance 2.5 with a reference
    # video): `credits` is then (reference seconds + length) times rate, and `worst_case`
    # says the reference length was unknown, so the cap was counted.
    settles_after_success: bool = False
    worst_case: bool = False


def price(
    model: str,
    duration_seconds: int,
    upscale_4k: bool = False,
    *,
    resolution: str = catalogue.DEFAULT_RESOLUTION,
    has_video_reference: bool = False,
    reference_video_seconds: float | None = None,
    rates: Rates = SHIPPED_RATES,
) -> Price:
    """The credits to reserve for a video and their exact dollars (half cents kept).

    Per second of output at the (model, resolution) rate, its reference-video tier when
    a video is attached, plus the 4K upscale's add-on where chosen. For a model whose
    charge with a reference video also counts the reference seconds (Seedance 2.5), the
    reservation is what Kinovi will finally charge: (reference seconds, capped, + length)
    times rate, with the cap counted when `reference_video_seconds` is None (unknown).

    Raises PriceMissing when the version has no price for the model at that resolution
    (or no upscale for it), ValueError for an unknown model, a resolution the model does
    not offer, or a duration that is not a positive integer.
    """
    spec = catalogue.spec_for(model)
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
        raise ValueError(f"A duration is a whole number of seconds, not {duration_seconds!r}.")
    if duration_seconds <= 0:
        raise ValueError(f"A duration is at least 1 second, not {duration_seconds}.")
    if resolution not in spec.resolutions:
        raise ValueError(f"{spec.label} offers {', '.join(spec.resolutions)}, not {resolution!r}.")
    rate = rates.for_model(model)
    per_second = rate.rate(resolution, has_video_reference=has_video_reference)
    plain_rate = rate.rate(resolution, has_video_reference=False)
    if per_second is None or plain_rate is None:
        raise PriceMissing(
            f"{spec.label} has no price at {catalogue.RESOLUTION_LABELS[resolution]} in the "
            "prices in effect; choose another resolution or ask an admin."
        )
    upscale_rate = None
    if spec.upscale_4k and resolution == SEED_RESOLUTION:
        upscale_rate = rate.upscale_4k_credits_per_second
    if upscale_4k and upscale_rate is None:
        if not spec.upscale_4k:
            raise ValueError(f"{spec.label} has no 4K upscale.")
        if resolution != SEED_RESOLUTION:
            raise ValueError(f"Upscale to 4K starts from {SEED_RESOLUTION}, not {resolution}.")
        raise PriceMissing(f"The 4K upscale of {spec.label} has no price in the prices in effect.")
    upscale_credits = (upscale_rate or Decimal(0)) * duration_seconds
    late = has_video_reference and spec.settles_after_success
    seconds = (
        spec.charged_seconds(duration_seconds, reference_video_seconds)
        if late
        else duration_seconds
    )
    credits = per_second * seconds
    video_credits = credits - plain_rate * duration_seconds if has_video_reference else Decimal(0)
    if upscale_4k:
        credits += upscale_credits
    return Price(
        credits=credits,
        dollars=dollars_for(credits, rates),
        upscale_4k_credits=upscale_credits,
        video_reference_credits=video_credits,
        resolution=resolution,
        credits_per_second=per_second,
        charged_seconds=seconds,
        settles_after_success=late,
        worst_case=late and reference_video_seconds is None,
    )


def credits_for(
    model: str,
    duration_seconds: int,
    upscale_4k: bool = False,
    *,
    resolution: str = catalogue.DEFAULT_RESOLUTION,
    has_video_reference: bool = False,
    reference_video_seconds: float | None = None,
    rates: Rates = SHIPPED_RATES,
) -> Decimal:
    """Credits to reserve for a video; see `price`."""
    return price(
        model,
        duration_seconds,
        upscale_4k,
        resolution=resolution,
        has_video_reference=has_video_reference,
        reference_video_seconds=reference_video_seconds,
        rates=rates,
    ).credits


DOLLAR_SCALE = Decimal("0.000001")


def dollars_for(credits: Decimal, rates: "Rates" = None) -> Decimal:
    """Dollars to the millionth (half cents included; the ledger's scale): exact for
    every rate with three decimals at up to $/credit with three; formatting is the
    caller's business."""
    per_credit = (rates or SHIPPED_RATES).dollars_per_credit
    return (credits * per_credit).quantize(DOLLAR_SCALE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    """One line of the rate table as shown to admins: a model at one resolution."""

    label: str
    model: str
    resolution: str
    credits_per_second: Decimal
    with_reference_video_credits_per_second: Decimal
    upscale_4k_credits_per_second: Decimal | None
    dollars_per_second: Decimal
    charges_reference_seconds: bool

    @property
    def resolution_label(self) -> str:
        return catalogue.RESOLUTION_LABELS.get(self.resolution, self.resolution)

    @property
    def video_reference_credits_per_second(self) -> Decimal:
        return self.with_reference_video_credits_per_second - self.credits_per_second


def rate_rows(rates: Rates = SHIPPED_RATES) -> list[RateRow]:
    """The rate table for display: one row per model and resolution priced."""
    rows = []
    for model, rate in rates.models.items():
        spec = catalogue.CATALOGUE.get(model)
        for resolution, per_second in rate.per_second.items():
            upscale = None
            if spec is not None and spec.upscale_4k and resolution == SEED_RESOLUTION:
                upscale = rate.upscale_4k_credits_per_second
            rows.append(
                RateRow(
                    label=MODEL_LABELS.get(model, model),
                    model=model,
                    resolution=resolution,
                    credits_per_second=per_second,
                    with_reference_video_credits_per_second=rate.with_reference_video[resolution],
                    upscale_4k_credits_per_second=upscale,
                    dollars_per_second=per_second * rates.dollars_per_credit,
                    charges_reference_seconds=bool(spec and spec.settles_after_success),
                )
            )
    return rows


@dataclass(frozen=True)
class DurationRow:
    """One line of the seed's duration table: a model and a length, without and with 4K."""

    label: str
    model: str
    seconds: int
    credits: Decimal
    dollars: Decimal
    credits_4k: Decimal
    dollars_4k: Decimal


def duration_table(rates: Rates = SHIPPED_RATES) -> list[DurationRow]:
    """The seed's table (4, 5, 8, 10, 15 s for each of its models at 720p, with and
    without the 4K upscale) for `rates`: its 20 prices are test vectors."""
    rows = []
    for model in catalogue.SEED_MODELS:
        if model not in rates.models:
            continue
        for seconds in TABLE_DURATIONS:
            plain = price(model, seconds, rates=rates)
            upscaled = price(model, seconds, upscale_4k=True, rates=rates)
            rows.append(
                DurationRow(
                    label=MODEL_LABELS.get(model, model),
                    model=model,
                    seconds=seconds,
                    credits=plain.credits,
                    dollars=plain.dollars,
                    credits_4k=upscaled.credits,
                    dollars_4k=upscaled.dollars,
                )
            )
    return rows
