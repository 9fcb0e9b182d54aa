"""What a Kinovi video costs, given a set of rates.

Kinovi charges per second of video: a rate per model, a per-second add-on for the 4K
upscale, and (per Kinovi's other documentation, not the seed) a per-second surcharge when
a reference video is attached. Rates change over time, so they are data: the app keeps
them as price versions in the database and passes the version in effect to the functions
here. `SEED_RATES` is the seed's version (40/s standard, 28/s fast, +28/s for 4K,
$0.005 per credit); the simulator charges it, like Kinovi did when the seed was written.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Credits are exact decimals with three places: Kinovi's rates (7.5, 85.68, 143.4
# credits/s) and its reported `creditsUsed` (2.17) need at most two, and a third keeps
# any per-second rate times a whole number of seconds exact, with room to spare.
CREDIT_PLACES = 3
CREDIT_SCALE = Decimal(1).scaleb(-CREDIT_PLACES)  # 0.001

STANDARD_MODEL = "seedance-20"
FAST_MODEL = "seedance2-fast"
MODEL_LABELS: dict[str, str] = {STANDARD_MODEL: "Standard", FAST_MODEL: "Fast"}
MODELS: tuple[str, ...] = tuple(MODEL_LABELS)
# The durations of the seed's pricing table.
TABLE_DURATIONS: tuple[int, ...] = (4, 5, 8, 10, 15)


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


@dataclass(frozen=True)
class ModelRate:
    """Credits per second of video for one model (exact decimals)."""

    credits_per_second: Decimal
    upscale_4k_credits_per_second: Decimal
    video_reference_credits_per_second: Decimal = Decimal(0)

    def __post_init__(self):
        for name in (
            "credits_per_second",
            "upscale_4k_credits_per_second",
            "video_reference_credits_per_second",
        ):
            object.__setattr__(self, name, to_credits(getattr(self, name)))


@dataclass(frozen=True)
class Rates:
    """One price version's numbers: dollars per credit and a ModelRate for every model."""

    dollars_per_credit: Decimal
    models: Mapping[str, ModelRate]

    def for_model(self, model: str) -> ModelRate:
        if model not in self.models:
            raise ValueError(
                f"Unknown Kinovi model {model!r}; expected one of {', '.join(self.models)}."
            )
        return self.models[model]

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (what the database stores); `from_json` reads it back."""
        return {
            "dollars_per_credit": str(self.dollars_per_credit),
            "models": {
                model: {
                    "credits_per_second": plain_credits(rate.credits_per_second),
                    "upscale_4k_credits_per_second": plain_credits(
                        rate.upscale_4k_credits_per_second
                    ),
                    "video_reference_credits_per_second": plain_credits(
                        rate.video_reference_credits_per_second
                    ),
                }
                for model, rate in self.models.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Rates":
        return cls(
            dollars_per_credit=Decimal(data["dollars_per_credit"]),
            models={
                model: ModelRate(**{name: str(number) for name, number in numbers.items()})
                for model, numbers in data["models"].items()
            },
        )


SEED_RATES = Rates(
    dollars_per_credit=Decimal("0.005"),
    models={
        STANDARD_MODEL: ModelRate(credits_per_second=40, upscale_4k_credits_per_second=28),
        FAST_MODEL: ModelRate(credits_per_second=28, upscale_4k_credits_per_second=28),
    },
)


@dataclass(frozen=True)
class Price:
    credits: Decimal
    dollars: Decimal
    # What the 4K upscale adds (also when not chosen: what choosing it would add).
    upscale_4k_credits: Decimal
    # What the attached reference video adds (0 without one).
    video_reference_credits: Decimal


def price(
    model: str,
    duration_seconds: int,
    upscale_4k: bool = False,
    *,
    has_video_reference: bool = False,
    rates: Rates = SEED_RATES,
) -> Price:
    """The credits Kinovi reserves for a video and their exact dollars (half cents kept).

    Raises ValueError for an unknown model or a duration that is not a positive integer.
    """
    rate = rates.for_model(model)
    if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int):
        raise ValueError(f"A duration is a whole number of seconds, not {duration_seconds!r}.")
    if duration_seconds <= 0:
        raise ValueError(f"A duration is at least 1 second, not {duration_seconds}.")
    upscale_credits = rate.upscale_4k_credits_per_second * duration_seconds
    video_credits = rate.video_reference_credits_per_second * duration_seconds
    credits = rate.credits_per_second * duration_seconds
    if upscale_4k:
        credits += upscale_credits
    if has_video_reference:
        credits += video_credits
    else:
        video_credits = Decimal(0)
    return Price(
        credits=credits,
        dollars=dollars_for(credits, rates),
        upscale_4k_credits=upscale_credits,
        video_reference_credits=video_credits,
    )


def credits_for(
    model: str,
    duration_seconds: int,
    upscale_4k: bool = False,
    *,
    has_video_reference: bool = False,
    rates: Rates = SEED_RATES,
) -> Decimal:
    """Credits Kinovi reserves for a video; raises ValueError for an unknown model."""
    return price(
        model, duration_seconds, upscale_4k, has_video_reference=has_video_reference, rates=rates
    ).credits


DOLLAR_SCALE = Decimal("0.000001")


def dollars_for(credits: Decimal, rates: Rates = SEED_RATES) -> Decimal:
    """Dollars to the millionth (half cents included; the ledger's scale): exact for
    every rate with three decimals at up to $/credit with three; formatting is the
    caller's business."""
    return (credits * rates.dollars_per_credit).quantize(DOLLAR_SCALE, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    """One line of the rate table as shown to admins."""

    label: str
    model: str
    credits_per_second: Decimal
    upscale_4k_credits_per_second: Decimal
    video_reference_credits_per_second: Decimal
    dollars_per_second: Decimal


def rate_rows(rates: Rates = SEED_RATES) -> list[RateRow]:
    """The rate table for display: one row per model."""
    return [
        RateRow(
            label=MODEL_LABELS.get(model, model),
            model=model,
            credits_per_second=rate.credits_per_second,
            upscale_4k_credits_per_second=rate.upscale_4k_credits_per_second,
            video_reference_credits_per_second=rate.video_reference_credits_per_second,
            dollars_per_second=rate.credits_per_second * rates.dollars_per_credit,
        )
        for model, rate in rates.models.items()
    ]


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


def duration_table(rates: Rates = SEED_RATES) -> list[DurationRow]:
    """The seed's table (4, 5, 8, 10, 15 s for each model, with and without 4K) for `rates`."""
    rows = []
    for model in rates.models:
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
