"""Generation.submit() prices the shot as Kinovi charges it: its resolution, its reference
videos' length (the worst case when one is unknown), and refuses what it cannot price."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from projects.kinovi.catalogue import SEEDANCE_20, SEEDANCE_20_FAST, SEEDANCE_25
from projects.kinovi.pricing import SHIPPED_RATES, ModelRate, Rates
from projects.models import AuditEntry, Generation, GenerationReference, LedgerEntry
from projects.models.credits import (
    BudgetExceeded,
    PriceRefused,
    SubmissionRefused,
    add_price_version,
    quote,
    reference_video_seconds,
    set_budget,
    settle,
)
from projects.models.library import Kind


def _with_videos(generation, *lengths):
    for position, seconds in enumerate(lengths, 1):
        GenerationReference.objects.create(
            generation=generation,
            kind=Kind.VIDEO,
            position=position,
            url=f"https://cdn.example/clip{position}.mp4",
            format="video/mp4",
            duration_seconds=seconds,
        )
    return generation


def _draft(make_generation, *, resolution="720p", **fields):
    generation = make_generation(**fields)
    Generation.objects.filter(pk=generation.pk).update(resolution=resolution)
    generation.resolution = resolution
    return generation


def _reserved(generation) -> LedgerEntry:
    return LedgerEntry.objects.get(generation=generation, kind=LedgerEntry.Kind.RESERVE)


@pytest.mark.parametrize(
    ("model", "resolution", "credits"),
    [
        (SEEDANCE_20.id, "480p", 75),
        (SEEDANCE_20.id, "720p", 200),
        (SEEDANCE_20.id, "1080p", 450),
        (SEEDANCE_20.id, "4k", 1000),
        (SEEDANCE_20_FAST.id, "480p", 70),
        (SEEDANCE_25.id, "1080p", Decimal("717")),
        ("seedance2.0-mini", "480p", Decimal("37.5")),
    ],
)
def test_it_reserves_at_the_shots_resolution(make_generation, model, resolution, credits):
    generation = _draft(make_generation, model=model, resolution=resolution)
    generation.submit()
    generation.refresh_from_db()
    assert generation.status == Generation.Status.QUEUED
    assert generation.credits_estimated == _reserved(generation).credits == credits
    assert not generation.estimate_worst_case


def test_a_reference_video_reserves_the_tier_of_a_seed_model(make_generation):
    # 5 s at 720p with a reference video: 48 credits/s as Kinovi charges, not 40.
    generation = _with_videos(_draft(make_generation), 4.0)
    generation.submit()
    generation.refresh_from_db()
    assert generation.credits_estimated == 240
    assert not generation.estimate_worst_case


def test_seedance_25_with_a_known_reference_reserves_its_seconds_and_the_length(make_generation):
    generation = _with_videos(
        _draft(make_generation, model=SEEDANCE_25.id, resolution="1080p"), 10.0
    )
    generation.submit()
    generation.refresh_from_db()
    # (10 + 5) s x 85.68.
    assert generation.credits_estimated == Decimal("1285.2")
    assert not generation.estimate_worst_case


def test_reference_lengths_are_summed_exactly_and_rounded_up(make_generation):
    # 2.1 + 3.2 is 5.3 s (a float sum is 5.300000000000001): 6 s charged, not 7.
    generation = _with_videos(_draft(make_generation, model=SEEDANCE_25.id), 2.1, 3.2)
    generation.submit()
    generation.refresh_from_db()
    assert generation.reference_video_seconds == Decimal("5.3")
    assert generation.credits_estimated == (6 + 5) * 35


def test_reference_seconds_are_capped_at_30(make_generation):
    generation = _with_videos(
        _draft(make_generation, model=SEEDANCE_25.id, duration=30), 15.0, 15.0, 10.0
    )
    generation.submit()
    generation.refresh_from_db()
    assert generation.credits_estimated == (30 + 30) * 35
    assert not generation.estimate_worst_case


def test_an_unknown_reference_length_reserves_the_worst_case(make_generation):
    generation = _with_videos(
        _draft(make_generation, model=SEEDANCE_25.id, resolution="1080p"), 4.0, None
    )
    generation.submit()
    generation.refresh_from_db()
    assert generation.reference_video_seconds is None
    # (30 + 5) s x 85.68: what Kinovi can charge at most.
    assert generation.credits_estimated == Decimal("2998.8")
    assert generation.estimate_worst_case


def test_images_alone_never_count_as_reference_seconds(make_generation):
    generation = _draft(make_generation, model=SEEDANCE_25.id)
    GenerationReference.objects.create(
        generation=generation, kind=Kind.IMAGE, position=1, url="https://cdn.example/a.png"
    )
    generation.submit()
    generation.refresh_from_db()
    assert (generation.credits_estimated, generation.estimate_worst_case) == (5 * 59, False)


def _nothing_reserved(generation):
    generation.refresh_from_db()
    assert generation.status == Generation.Status.DRAFT
    assert generation.credits_estimated == 0
    assert not LedgerEntry.objects.filter(generation=generation).exists()


def test_a_resolution_without_a_price_is_refused_with_its_reason(make_generation, alice, clock):
    """A version that prices 2.5 at 720p only: a 1080p shot is refused, never priced at
    another resolution's rate."""
    models = dict(SHIPPED_RATES.models)
    models[SEEDANCE_25.id] = ModelRate(per_second={"720p": 59}, with_reference_video={"720p": 35})
    moment = timezone.now() + dt.timedelta(hours=1)
    add_price_version(
        Rates(SHIPPED_RATES.dollars_per_credit, models), effective_from=moment, actor=alice
    )
    clock(moment + dt.timedelta(seconds=1))
    generation = _draft(make_generation, model=SEEDANCE_25.id, resolution="1080p")
    with pytest.raises(PriceRefused, match=r"Seedance 2\.5 has no price at 1080p") as refusal:
        generation.submit()
    # One exception the composer shows as a form error, like a budget's refusal.
    assert isinstance(refusal.value, SubmissionRefused)
    assert isinstance(refusal.value, ValueError)
    _nothing_reserved(generation)
    # The same model at a priced resolution still goes.
    priced = _draft(make_generation, model=SEEDANCE_25.id, resolution="720p")
    priced.submit()
    assert _reserved(priced).credits == 5 * 59


def test_a_resolution_the_model_does_not_offer_is_refused(make_generation):
    generation = _draft(make_generation, model=SEEDANCE_20_FAST.id, resolution="1080p")
    with pytest.raises(PriceRefused, match="offers 480p, 720p"):
        generation.submit()
    _nothing_reserved(generation)


def test_a_budget_refusal_is_a_submission_refusal_too(make_generation, team, bob):
    set_budget(team=team, user=bob, period="month", hard_limit=100, actor=bob)
    generation = _draft(make_generation)
    with pytest.raises(BudgetExceeded) as refusal:
        generation.submit()
    assert isinstance(refusal.value, SubmissionRefused)
    _nothing_reserved(generation)


def test_a_settle_above_the_reservation_is_recorded_counted_and_audited(make_generation, team, bob):
    set_budget(team=team, user=bob, period="month", hard_limit=600, actor=bob)
    generation = _with_videos(_draft(make_generation, model=SEEDANCE_25.id), 10.0)
    generation.submit()
    assert _reserved(generation).credits == 525
    # Kinovi measured the clip a little longer (11 s charged): 16 s x 35.
    entry = settle(generation, 560)
    assert (entry.kind, entry.credits, entry.credits_used) == (LedgerEntry.Kind.SETTLE, 35, 560)
    assert entry.dollars == Decimal("0.175")
    budget = bob.budgets.get()
    assert budget.spent() == 560
    audit = AuditEntry.objects.get(action=AuditEntry.Action.CHARGED_ABOVE_RESERVATION)
    assert (audit.team, audit.subject) == (team, f"Video {generation.pk} (Seedance 2.5)")
    assert audit.old_value == "525 credits reserved"
    assert audit.new_value == "560 credits charged, +35 over"


def test_a_settle_at_or_below_the_reservation_is_not_audited(make_generation):
    for credits_used in (525, 400):
        generation = _with_videos(_draft(make_generation, model=SEEDANCE_25.id), 10.0)
        generation.submit()
        settle(generation, credits_used)
    assert not AuditEntry.objects.filter(
        action=AuditEntry.Action.CHARGED_ABOVE_RESERVATION
    ).exists()


def test_the_quote_prices_as_submit_reserves(team, bob, make_generation):
    offer = quote(
        team=team,
        user=bob,
        model=SEEDANCE_25.id,
        duration=5,
        upscale_4k=False,
        has_video_reference=True,
        resolution="1080p",
        reference_video_seconds=reference_video_seconds([2.1, 3.2]),
    )
    # 6 charged reference seconds + 5: the same figure submit reserves.
    assert (offer.credits, offer.worst_case, offer.price.charged_seconds) == (
        Decimal("942.48"),
        False,
        11,
    )
    generation = _with_videos(
        _draft(make_generation, model=SEEDANCE_25.id, resolution="1080p"), 2.1, 3.2
    )
    generation.submit()
    generation.refresh_from_db()
    assert generation.credits_estimated == offer.credits
    unknown = quote(
        team=team,
        user=bob,
        model=SEEDANCE_25.id,
        duration=5,
        upscale_4k=False,
        has_video_reference=True,
        resolution="1080p",
        reference_video_seconds=reference_video_seconds([2.1, None]),
    )
    assert (unknown.credits, unknown.worst_case) == (Decimal("2998.8"), True)
    with pytest.raises(PriceRefused):
        quote(
            team=team,
            user=bob,
            model=SEEDANCE_20_FAST.id,
            duration=5,
            upscale_4k=False,
            has_video_reference=False,
            resolution="4k",
        )
