"""Credits are exact decimals: any sequence of reserve/settle/refund/adjust sums exactly."""

import datetime as dt
import math
from decimal import Decimal

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.kinovi import pricing
from projects.kinovi.catalogue import SEEDANCE_25
from projects.kinovi.client import _credits
from projects.kinovi.pricing import (
    MODEL_LABELS,
    SEED_RATES,
    SHIPPED_RATES,
    ModelRate,
    Rates,
    format_credits,
    to_credits,
)
from projects.models import (
    AuditEntry,
    Generation,
    GenerationReference,
    LedgerEntry,
    PriceVersion,
    Project,
)
from projects.models.credits import adjust, budget_statuses, refund, reserve, set_budget, settle
from projects.models.library import Kind
from projects.templatetags.credits import credits as credits_filter
from tests.credits.strategies import (
    LENGTHS,
    RATES,
    REFUND,
    THOUSANDTHS,
    VIDEO_INDEX,
    adjust_step,
    ledger_steps,
    nonzero,
    reserve_step,
    rolled_back,
    settle_step,
)

# Above a reservation by at least 0.001 credits.
EXTRA = st.integers(1, 500_000).map(lambda n: Decimal(n).scaleb(-3))
# Reference videos' total length in seconds (None: unknown, the worst case reserved).
REFERENCE_SECONDS = st.one_of(
    st.none(), st.integers(2_000, 45_000).map(lambda n: Decimal(n).scaleb(-3))
)

operations = ledger_steps(
    reserve_step(RATES, LENGTHS),
    # Seedance 2.5 with a reference video, through Generation.submit(): reserved on
    # (reference seconds + length) at the shipped reference-video rate.
    st.tuples(
        st.just("reserve_25"),
        st.sampled_from(["480p", "720p", "1080p"]),
        st.integers(4, 30),
        REFERENCE_SECONDS,
    ),
    settle_step(THOUSANDTHS),
    # Kinovi charging more than was reserved.
    st.tuples(st.just("settle_above"), VIDEO_INDEX, EXTRA),
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
    # A limit no sequence reaches: the budget only has to count what the ledger holds.
    budget = set_budget(team=team, user=bob, period="none", hard_limit=10**9, actor=alice)
    expected: dict[int, Decimal] = {}
    reserved: dict[int, Decimal] = {}
    closed: set[int] = set()
    above: set[int] = set()
    adjustments = Decimal(0)
    moment = timezone.now()

    def open_video(index: int) -> int:
        return sorted(set(expected) - closed)[index % (len(expected) - len(closed))]

    def close_at(pk: int, used: Decimal) -> None:
        settle(Generation.objects.get(pk=pk), used)
        closed.add(pk)
        expected[pk] = used
        if used > reserved[pk]:
            above.add(pk)

    for number, step in enumerate(steps):
        match step:
            case ("reserve", rate, duration):
                version = PriceVersion.from_rates(
                    Rates(
                        dollars_per_credit=Decimal("0.005"),
                        models={
                            **SHIPPED_RATES.models,
                            "seedance-20": ModelRate.flat(rate, 28, 0),
                        },
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
                expected[generation.pk] = reserved[generation.pk] = rate * duration
            case ("reserve_25", resolution, duration, seconds):
                generation = Generation.objects.create(
                    project=project,
                    created_by=bob,
                    model=SEEDANCE_25.id,
                    prompt="p",
                    duration=duration,
                    resolution=resolution,
                )
                GenerationReference.objects.create(
                    generation=generation,
                    kind=Kind.VIDEO,
                    position=1,
                    url="https://cdn.example/clip.mp4",
                    duration_seconds=None if seconds is None else float(seconds),
                )
                generation.submit()
                charged = 30 if seconds is None else min(30, math.ceil(seconds))
                rate = SHIPPED_RATES.for_model(SEEDANCE_25.id).rate(
                    resolution, has_video_reference=True
                )
                assert generation.credits_estimated == rate * (charged + duration)
                assert generation.estimate_worst_case == (seconds is None)
                expected[generation.pk] = reserved[generation.pk] = generation.credits_estimated
            case ("settle", index, used) if len(closed) < len(expected):
                close_at(open_video(index), used)
            case ("settle_above", index, extra) if len(closed) < len(expected):
                pk = open_video(index)
                close_at(pk, reserved[pk] + extra)
            case ("refund", index) if len(closed) < len(expected):
                pk = open_video(index)
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
        # Every version is $0.005 a credit, and every row's dollars are exact.
        assert totals["dollars"] == totals["credits"] * Decimal("0.005")
        by_generation = {
            row["generation"]: row["credits"]
            for row in entries.exclude(kind="adjust").spend_by("generation")
        }
        assert by_generation == expected
        # The budget counts every video's net cost, a settle above its reservation
        # included, and the adjustments' net when it is a debit.
        assert budget.spent() == sum(expected.values(), Decimal(0)) + max(adjustments, Decimal(0))
        # Each charge above its reservation is said once, and only those.
        charged_above = AuditEntry.objects.filter(
            action=AuditEntry.Action.CHARGED_ABOVE_RESERVATION
        )
        assert sorted(charged_above.values_list("subject", flat=True)) == sorted(
            f"Video {pk} ({MODEL_LABELS[Generation.objects.get(pk=pk).model]})" for pk in above
        )


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


def test_a_budget_counts_thousandths_exactly(make_generation, team, bob, alice):
    """SQLite adds decimals as floats: the budget's figure is rounded back to exact."""
    budget = set_budget(team=team, user=bob, period="month", hard_limit=1000, actor=alice)
    generation = make_generation(model="seedance2.0-mini", duration=4)
    Generation.objects.filter(pk=generation.pk).update(resolution="480p")
    generation.refresh_from_db()
    reserve(generation, has_video_reference=False)
    settle(generation, Decimal("0.001"))
    assert budget.spent() == Decimal("0.001")
    assert str(budget.spent()) == "0.001"
    (status,) = budget_statuses(team, bob)
    assert status.spent == Decimal("0.001") and status.left == Decimal("999.999")


def test_the_most_expensive_are_ranked_by_exact_thousandths(make_generation, team):
    """Ranked on whole thousandths: 85.68 (which SQLite holds as 85.679999...) still
    ranks above 85.679, and ties go to the newer video."""
    from projects.models.reports import ReportScope, most_expensive

    costs = ["85.679", "85.68", "0.001", "85.68"]
    made = []
    for cost in costs:
        generation = make_generation(model="seedance2.0-mini", duration=4)
        reserve(generation, has_video_reference=False)
        settle(generation, Decimal(cost))
        made.append(generation)
    now = timezone.now()
    scope = ReportScope(team=team, start=now - dt.timedelta(days=1), end=now + dt.timedelta(1))
    ranked = [(row["generation"], row["credits"]) for row in most_expensive(scope)]
    assert ranked == [
        (made[3].pk, Decimal("85.68")),
        (made[1].pk, Decimal("85.68")),
        (made[0].pk, Decimal("85.679")),
        (made[2].pk, Decimal("0.001")),
    ]
