from decimal import Decimal

import pytest

from projects.kinovi.pricing import (
    FAST_MODEL,
    SEED_RATES,
    STANDARD_MODEL,
    ModelRate,
    Rates,
    credits_for,
    dollars_for,
    duration_table,
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
# Kinovi's other documentation: +8/s (standard) and +6/s (fast) with a reference video.
VIDEO_SURCHARGE_RATES = Rates(
    dollars_per_credit=Decimal("0.005"),
    models={
        STANDARD_MODEL: ModelRate.flat(40, 28, 8),
        FAST_MODEL: ModelRate.flat(28, 28, 6),
    },
)


@pytest.mark.parametrize(("model", "seconds", "upscale", "credits", "dollars"), VECTORS)
def test_it_prices_every_row_of_the_seed_table(model, seconds, upscale, credits, dollars):
    assert credits_for(model, seconds, upscale, rates=SEED_RATES) == credits
    assert price(model, seconds, upscale, rates=SEED_RATES).credits == credits
    assert price(model, seconds, upscale, rates=SEED_RATES).dollars == Decimal(dollars)


def test_it_covers_all_twenty_vectors():
    assert len({(m, s, u) for m, s, u, _, _ in VECTORS}) == 20


def test_it_generates_the_seed_table_from_the_seed_rates():
    table = [
        (row.model, row.seconds, row.credits, row.dollars, row.credits_4k, row.dollars_4k)
        for row in duration_table(SEED_RATES)
    ]
    assert table == [
        (model, s, c, Decimal(d), c4k, Decimal(d4k)) for model, s, c, d, c4k, d4k in SEED_TABLE
    ]


def test_it_says_what_4k_adds():
    assert price(STANDARD_MODEL, 5).upscale_4k_credits == 140
    assert price(FAST_MODEL, 10, upscale_4k=True).upscale_4k_credits == 280


def test_the_seed_version_charges_nothing_for_a_reference_video():
    assert price(STANDARD_MODEL, 5, has_video_reference=True, rates=SEED_RATES).credits == 200


def test_a_video_surcharge_version_adds_per_second():
    with_video = price(STANDARD_MODEL, 5, has_video_reference=True, rates=VIDEO_SURCHARGE_RATES)
    assert (with_video.credits, with_video.video_reference_credits) == (240, 40)
    assert with_video.dollars == Decimal("1.20")
    fast_4k = price(
        FAST_MODEL, 10, upscale_4k=True, has_video_reference=True, rates=VIDEO_SURCHARGE_RATES
    )
    assert fast_4k.credits == 280 + 280 + 60
    assert price(STANDARD_MODEL, 5, rates=VIDEO_SURCHARGE_RATES).video_reference_credits == 0


def test_it_rejects_an_unknown_model():
    with pytest.raises(ValueError, match="seedance-20"):
        credits_for("seedance-99", 5)


@pytest.mark.parametrize("duration", [0, -5, 2.5, "5", True])
def test_it_rejects_a_duration_that_is_not_positive_whole_seconds(duration):
    with pytest.raises(ValueError, match="duration"):
        price(STANDARD_MODEL, duration)


def test_it_keeps_half_cents_exact():
    assert dollars_for(1) == Decimal("0.005")
    assert dollars_for(3, Rates(Decimal("0.0045"), SEED_RATES.models)) == Decimal("0.0135")


def test_rates_survive_a_round_trip_through_json():
    assert Rates.from_json(VIDEO_SURCHARGE_RATES.to_json()) == VIDEO_SURCHARGE_RATES


def test_it_renders_the_rate_table_from_the_rates():
    rows = rate_rows(SEED_RATES)
    assert [
        (row.model, row.credits_per_second, row.upscale_4k_credits_per_second) for row in rows
    ] == [(STANDARD_MODEL, 40, 28), (FAST_MODEL, 28, 28)]
    assert rows[0].dollars_per_second == Decimal("0.20")
