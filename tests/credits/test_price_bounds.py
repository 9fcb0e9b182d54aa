"""Price versions stay storable: their moment within 10 years, in UTC; their numbers
within what a ledger row holds."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.kinovi.catalogue import CATALOGUE, RESOLUTIONS, SEEDANCE_25
from projects.kinovi.pricing import SEED_RATES, ModelRate, Rates
from projects.models import LedgerEntry, PriceVersion
from projects.models.credits import (
    MAX_BILLED_SECONDS,
    MAX_CREDITS_PER_SECOND,
    MAX_DOLLARS_PER_CREDIT,
    add_price_version,
    reserve,
)
from tests.credits.test_pricing_page import VERSIONS_AT_START, _version_form


def test_a_far_date_in_a_negative_offset_is_a_400_with_its_reason(staff_client, settings):
    """9999-12-31 23:59 in Los Angeles is year 10000 in UTC: no database reads it back."""
    settings.TIME_ZONE = "America/Los_Angeles"
    form = _version_form(dt.datetime(2026, 1, 1))
    form["effective_from"] = "9999-12-31T23:59"
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert b"within the next 10 years" in response.content
    assert PriceVersion.objects.count() == VERSIONS_AT_START
    # Every page that prices still works.
    assert staff_client.get(reverse("pricing")).status_code == 200


def test_a_date_past_ten_years_is_refused(staff_client):
    moment = timezone.now() + dt.timedelta(days=3660)
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 400
    assert b"within the next 10 years" in response.content
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def test_the_ledger_function_refuses_it_too(alice):
    far = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    with pytest.raises(ValueError, match="10 years"):
        add_price_version(SEED_RATES, effective_from=far, actor=alice)
    assert PriceVersion.objects.count() == VERSIONS_AT_START


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dollars_per_credit", "999999.999999"),
        ("dollars_per_credit", "10.000001"),
        ("seedance-20__720p", "100000"),
        ("seedance2-5__1080p__with_reference_video", str(MAX_CREDITS_PER_SECOND + 1)),
        ("seedance2-fast__upscale_4k", str(MAX_CREDITS_PER_SECOND + 1)),
    ],
)
def test_prices_past_what_the_ledger_holds_are_refused(staff_client, field, value):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form[field] = value
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def test_the_dearest_video_the_bounds_allow_fits_a_ledger_row(make_generation, clock, alice):
    credits = 3 * MAX_CREDITS_PER_SECOND * MAX_BILLED_SECONDS
    dollars = credits * MAX_DOLLARS_PER_CREDIT
    field = LedgerEntry._meta.get_field("dollars")
    assert dollars < Decimal(10) ** (field.max_digits - field.decimal_places)
    assert credits < 2**31
    # The longest charge: 2.5's 30 s with the worst case of 30 reference seconds.
    longest = SEEDANCE_25.max_duration + SEEDANCE_25.charged_reference_seconds_max
    assert longest <= MAX_BILLED_SECONDS
    top = dict.fromkeys(RESOLUTIONS, MAX_CREDITS_PER_SECOND)
    rates = Rates(
        dollars_per_credit=MAX_DOLLARS_PER_CREDIT,
        models={
            spec.id: ModelRate(
                per_second={resolution: top[resolution] for resolution in spec.resolutions},
                with_reference_video={
                    resolution: top[resolution] for resolution in spec.resolutions
                },
                upscale_4k_credits_per_second=MAX_CREDITS_PER_SECOND if spec.upscale_4k else None,
            )
            for spec in CATALOGUE.values()
        },
    )
    moment = timezone.now() + dt.timedelta(hours=1)
    add_price_version(rates, effective_from=moment, actor=alice)
    clock(moment + dt.timedelta(minutes=1))
    entry = reserve(make_generation(duration=15, upscale_4k=True), has_video_reference=True)
    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert (entry.credits, entry.dollars) == (300_000, Decimal("3000000"))
    entry = reserve(make_generation(model=SEEDANCE_25.id, duration=30), has_video_reference=True)
    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert (entry.credits, entry.dollars) == (600_000, Decimal("6000000"))
