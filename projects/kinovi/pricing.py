"""What a Kinovi video costs, from one table of rates.

Kinovi charges per second of video: a rate per model, plus a flat rate per second for the
4K upscale. One credit is $0.005. A rate change is a change to `RATES` or
`UPSCALE_4K_CREDITS_PER_SECOND` and nowhere else; admins see the table via `rate_rows()`.
"""

from dataclasses import dataclass
from decimal import Decimal

STANDARD_MODEL = "seedance-20"
FAST_MODEL = "seedance2-fast"


@dataclass(frozen=True)
class Rate:
    model: str
    label: str
    credits_per_second: int


RATES: dict[str, Rate] = {
    STANDARD_MODEL: Rate(STANDARD_MODEL, "Standard", 40),
    FAST_MODEL: Rate(FAST_MODEL, "Fast", 28),
}
MODELS: tuple[str, ...] = tuple(RATES)
UPSCALE_4K_CREDITS_PER_SECOND = 28
DOLLARS_PER_CREDIT = Decimal("0.005")


@dataclass(frozen=True)
class Price:
    credits: int
    dollars: Decimal


@dataclass(frozen=True)
class RateRow:
    """One line of the rate table as shown to admins."""

    label: str
    model: str
    credits_per_second: int
    dollars_per_second: Decimal


def credits_for(model: str, duration_seconds: int, upscale_4k: bool = False) -> int:
    """Credits Kinovi reserves for a video; raises ValueError for an unknown model."""
    if model not in RATES:
        raise ValueError(f"Unknown Kinovi model {model!r}; expected one of {', '.join(MODELS)}.")
    per_second = RATES[model].credits_per_second
    if upscale_4k:
        per_second += UPSCALE_4K_CREDITS_PER_SECOND
    return per_second * duration_seconds


def dollars_for(credits: int) -> Decimal:
    """Exact dollars (half cents included); formatting is the caller's business."""
    return credits * DOLLARS_PER_CREDIT


def price(model: str, duration_seconds: int, upscale_4k: bool = False) -> Price:
    credits = credits_for(model, duration_seconds, upscale_4k)
    return Price(credits=credits, dollars=dollars_for(credits))


def rate_rows() -> list[RateRow]:
    """The rate table for display: one row per model, then the 4K add-on."""
    rows = [
        RateRow(
            rate.label,
            rate.model,
            rate.credits_per_second,
            rate.credits_per_second * DOLLARS_PER_CREDIT,
        )
        for rate in RATES.values()
    ]
    rows.append(
        RateRow(
            "4K upscale (added)",
            "",
            UPSCALE_4K_CREDITS_PER_SECOND,
            UPSCALE_4K_CREDITS_PER_SECOND * DOLLARS_PER_CREDIT,
        )
    )
    return rows
