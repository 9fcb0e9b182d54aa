from decimal import Decimal

import pytest

from projects.kinovi.pricing import (
    FAST_MODEL,
    RATES,
    STANDARD_MODEL,
    UPSCALE_4K_CREDITS_PER_SECOND,
    credits_for,
    dollars_for,
    price,
    rate_rows,
)

# The seed's pricing table: (model, seconds, credits, dollars, 4K credits, 4K dollars).
SEED_TABLE = [
    (STANDARD_MODEL, 4, 160, "0.80", 272, "1.36"),
    (STANDARD_MODEL, 5, 200, "1.00", 340, "1.70"),
    (STANDARD_MODEL, 8, 320, "1.60", 544, "2.72"),
    (STANDARD_MODEL, 10, 400, "2.00", 680, "3.40"),
    (STANDARD_MODEL, 15, 600, "3.00", 1020, "5.10"),
    (FAST_MODEL, 4, 112, "0.56", 224, "1.12"),
    (FAST_MODEL, 5, 140, "0.70", 280, "1.40"),
    (FAST_MODEL, 8, 224, "1.12", 448, "2.24"),
    (FAST_MODEL, 10, 280, "1.40", 560, "2.80"),
    (FAST_MODEL, 15, 420, "2.10", 840, "4.20"),
]
VECTORS = [(model, s, False, c, d) for model, s, c, d, _, _ in SEED_TABLE] + [
    (model, s, True, c4k, d4k) for model, s, _, _, c4k, d4k in SEED_TABLE
]


@pytest.mark.parametrize(("model", "seconds", "upscale", "credits", "dollars"), VECTORS)
def test_it_prices_every_row_of_the_seed_table(model, seconds, upscale, credits, dollars):
    assert credits_for(model, seconds, upscale) == credits
    assert price(model, seconds, upscale).credits == credits
    assert price(model, seconds, upscale).dollars == Decimal(dollars)


def test_it_covers_all_twenty_vectors():
    assert len({(m, s, u) for m, s, u, _, _ in VECTORS}) == 20


def test_it_rejects_an_unknown_model():
    with pytest.raises(ValueError, match="seedance-20"):
        credits_for("seedance-99", 5)


def test_it_keeps_half_cents_exact():
    assert dollars_for(1) == Decimal("0.005")


def test_it_renders_the_rate_table_from_the_rates():
    rows = rate_rows()
    assert [(row.model, row.credits_per_second) for row in rows] == [
        (STANDARD_MODEL, 40),
        (FAST_MODEL, 28),
        ("", UPSCALE_4K_CREDITS_PER_SECOND),
    ]
    assert rows[0].dollars_per_second == Decimal("0.20")
    assert len(rows) == len(RATES) + 1
