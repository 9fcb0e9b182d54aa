"""No sequence of reserve, settle, refund and adjust lets a budget admit more than its limit."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.models import Generation, LedgerEntry, Project
from projects.models.credits import (
    AdjustmentRefused,
    BudgetExceeded,
    adjust,
    budget_statuses,
    refund,
    reserve,
    set_budget,
    settle,
)
from tests.credits.strategies import (
    LENGTHS,
    MODELS,
    REFUND,
    VIDEO_INDEX,
    adjust_step,
    ledger_steps,
    nonzero,
    reserve_step,
    rolled_back,
    settle_step,
)

LIMIT = 1000

operations = ledger_steps(
    reserve_step(MODELS, LENGTHS, st.booleans()),
    # creditsUsed as a share of the estimate: Kinovi charges at most what we reserved.
    settle_step(st.integers(0, 100)),
    REFUND,
    # A credit given back on a video (possibly more than it cost: then refused).
    st.tuples(st.just("adjust_video"), VIDEO_INDEX, st.integers(-2000, -1)),
    adjust_step(nonzero(-100_000, 1500)),
    max_size=20,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_no_sequence_lets_a_budget_admit_more_than_its_limit(team, alice, bob, steps):
    with rolled_back():
        _play(team, alice, bob, steps)


def _play(team, alice, bob, steps):
    set_budget(team=team, user=bob, period="none", hard_limit=LIMIT, actor=alice)
    project = Project.objects.create(team=team, name="Trailer", owner=bob)
    net: dict[int, int] = {}  # every video's cost as the steps made it, by generation
    closed: set[int] = set()
    debits = 0  # adjustments not tied to a video, in sum
    for step in steps:
        counted = sum(net.values()) + max(debits, 0)
        match step:
            case ("reserve", model, duration, upscale):
                generation = Generation.objects.create(
                    project=project,
                    created_by=bob,
                    model=model,
                    prompt="p",
                    duration=duration,
                    upscale_4k=upscale,
                )
                try:
                    entry = reserve(generation, has_video_reference=False)
                except BudgetExceeded:
                    assert not LedgerEntry.objects.filter(generation=generation).exists()
                    generation.delete()
                else:
                    assert counted + entry.credits <= LIMIT
                    net[generation.pk] = entry.credits
            case ("settle", index, percent) if _open(net, closed):
                pk = _open(net, closed)[index % len(_open(net, closed))]
                used = net[pk] * percent // 100
                settle(Generation.objects.get(pk=pk), used)
                closed.add(pk)
                net[pk] = used
            case ("refund", index) if _open(net, closed):
                pk = _open(net, closed)[index % len(_open(net, closed))]
                refund(Generation.objects.get(pk=pk))
                closed.add(pk)
                net[pk] = 0
            case ("adjust_video", index, credits) if closed:
                pk = sorted(closed)[index % len(closed)]
                generation = Generation.objects.get(pk=pk)
                try:
                    adjust(
                        team=team,
                        user=bob,
                        credits=credits,
                        reason="credit",
                        actor=alice,
                        generation=generation,
                    )
                except AdjustmentRefused:
                    assert net[pk] + credits < 0
                else:
                    net[pk] += credits
            case ("adjust", credits):
                adjust(team=team, user=bob, credits=credits, reason="fix", actor=alice)
                debits += credits
            case _:
                pass
        assert all(cost >= 0 for cost in net.values())
        (status,) = budget_statuses(team, bob)
        # The budget counts every video's cost and never less: a credit is no extra room.
        assert status.spent == sum(net.values()) + max(debits, 0)
        assert sum(net.values()) <= max(LIMIT, status.spent)


def _open(net, closed) -> list[int]:
    return sorted(pk for pk in net if pk not in closed)
