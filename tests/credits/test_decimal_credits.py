"""Credits are exact decimals: any sequence of reserve/settle/refund/adjust sums exactly."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from projects.kinovi import pricing
from projects.kinovi.client import _credits
from projects.kinovi.pricing import SEED_RATES, ModelRate, Rates, format_credits, to_credits
from projects.models import Generation, LedgerEntry, PriceVersion, Project
from projects.models.credits import adjust, refund, reserve, settle
from projects.templatetags.credits import credits as credits_filter
from tests.credits.strategies import (
    LENGTHS,
    RATES,
    REFUND,
    THOUSANDTHS,
    adjust_step,
    ledger_steps,
    nonzero,
    reserve_step,
    rolled_back,
    settle_step,
)

operations = ledger_steps(
    reserve_step(RATES, LENGTHS),
    settle_step(THOUSANDTHS),
    REFUND,
    adjust_step(nonzero(-500_000, 500_000).map(lambda n: Decimal(n).scaleb(-3))),
    max_size=15,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_every_sum_stays_exact(team, alice, bob, steps):
    with rolled_back():
        _play(team, alice, bob, steps)


def _play(team, alice, bob, steps):
    project = Project.objects.create(team=team, name="Exact", owner=bob)
    expected: dict[int, Decimal] = {}
    closed: set[int] = set()
    adjustments = Decimal(0)
    moment = timezone.now()
    for number, step in enumerate(steps):
        match step:
            case ("reserve", rate, duration):
                version = PriceVersion.from_rates(
                    Rates(
                        dollars_per_credit=Decimal("0.005"),
                        models={**SEED_RATES.models, "seedance-20": ModelRate.flat(rate, 28, 0)},
                    ),
                    effective_from=moment - dt.timedelta(days=1) + dt.timedelta(seconds=number),
                )
                version.save()
                generation = Generation.objects.create(
                    project=project,
                    created_by=bob,
                    model="seedance-20",
                    prompt="p",
                    duration=duration,
                )
                entry = reserve(generation, has_video_reference=False)
                assert entry.credits == rate * duration
                expected[generation.pk] = rate * duration
            case ("settle", index, used) if len(closed) < len(expected):
                pk = sorted(set(expected) - closed)[index % (len(expected) - len(closed))]
                settle(Generation.objects.get(pk=pk), used)
                closed.add(pk)
                expected[pk] = used
            case ("refund", index) if len(closed) < len(expected):
                pk = sorted(set(expected) - closed)[index % (len(expected) - len(closed))]
                refund(Generation.objects.get(pk=pk))
                closed.add(pk)
                expected[pk] = Decimal(0)
            case ("adjust", credits):
                adjust(team=team, user=bob, credits=credits, reason="fix", actor=alice)
                adjustments += credits
            case _:
                pass
        entries = LedgerEntry.objects.for_team(team)
        totals = entries.totals()
        assert totals["credits"] == sum(expected.values(), Decimal(0)) + adjustments
        assert isinstance(totals["credits"], Decimal)
        by_generation = {
            row["generation"]: row["credits"]
            for row in entries.exclude(kind="adjust").spend_by("generation")
        }
        assert by_generation == expected


def test_a_settle_keeps_kinovis_decimal(make_generation):
    generation = make_generation(duration=4)
    reserve(generation, has_video_reference=False)
    entry = settle(generation, Decimal("2.17"))
    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert (entry.credits_used, entry.credits) == (Decimal("2.17"), Decimal("-157.83"))
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == Decimal("2.17")


@pytest.mark.parametrize("bad", [2.17, "2.1701", "NaN", True, None, "abc"])
def test_credits_are_never_floats_nor_past_three_places(make_generation, bad):
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    with pytest.raises(ValueError):
        settle(generation, bad)
    assert LedgerEntry.objects.count() == 1


def test_the_client_keeps_creditsused_as_kinovi_wrote_it():
    assert _credits(2.17) == Decimal("2.17")
    assert _credits(200) == Decimal(200) and _credits(200.0) == Decimal(200)
    assert _credits(85.68) == Decimal("85.68")
    assert _credits(-1) is None and _credits("2") is None and _credits(float("nan")) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("12345.000"), "12,345"),
        (Decimal("-50.000"), "-50"),
        (Decimal("85.680"), "85.68"),
        (Decimal("1234567.891"), "1,234,567.891"),
        (Decimal("0.500"), "0.5"),
        (Decimal("0.000"), "0"),
        (0, "0"),
        (None, ""),
    ],
)
def test_the_credits_filter_prints_decimals(value, shown):
    assert credits_filter(value) == shown == format_credits(value)


def test_rates_are_exact_decimals():
    assert to_credits("85.68") * 5 == Decimal("428.4")
    assert pricing.price("seedance-20", 5).credits == Decimal(200)
    rates = Rates.from_json(SEED_RATES.to_json())
    assert rates == SEED_RATES
