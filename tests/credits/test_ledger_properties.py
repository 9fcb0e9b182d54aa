"""Any sequence of reserve, settle, refund and adjust keeps every sum consistent."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.kinovi.pricing import credits_for
from projects.models import Generation, LedgerEntry, Project
from projects.models.credits import LedgerError, adjust, refund, reserve, settle
from tests.credits.strategies import (
    MODELS,
    REFUND,
    adjust_step,
    ledger_steps,
    nonzero,
    reserve_step,
    rolled_back,
    settle_step,
)

K = LedgerEntry.Kind

# A reserve and an adjustment also say whose they are (alice's: 0, bob's: 1).
operations = ledger_steps(
    reserve_step(MODELS, st.integers(1, 15), st.booleans(), st.integers(0, 1)),
    settle_step(st.integers(0, 3000)),
    REFUND,
    adjust_step(nonzero(-500, 500), st.integers(0, 1)),
    max_size=30,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_every_sequence_keeps_the_ledger_consistent(team, alice, bob, steps):
    with rolled_back():
        _play(team, [alice, bob], steps)


def _play(team, users, steps):
    projects = [Project.objects.create(team=team, name=u.username, owner=u) for u in users]
    generations: list[Generation] = []
    # What each generation should count for: its estimate in flight, creditsUsed once
    # settled, 0 once refunded; plus the adjustments of each user.
    expected: dict[int, int] = {}
    closed: set[int] = set()
    adjustments = [0, 0]
    for step in steps:
        match step:
            case ("reserve", model, duration, upscale, who):
                generation = Generation.objects.create(
                    project=projects[who],
                    created_by=users[who],
                    model=model,
                    prompt="p",
                    duration=duration,
                    upscale_4k=upscale,
                )
                reserve(generation, has_video_reference=False)
                generations.append(generation)
                expected[generation.pk] = credits_for(model, duration, upscale)
            case ("settle", index, used) if generations:
                generation = generations[index % len(generations)]
                if generation.pk in closed:
                    _assert_refused(settle, generation, used)
                else:
                    settle(generation, used)
                    closed.add(generation.pk)
                    expected[generation.pk] = used
            case ("refund", index) if generations:
                generation = generations[index % len(generations)]
                if generation.pk in closed:
                    _assert_refused(refund, generation)
                else:
                    refund(generation)
                    closed.add(generation.pk)
                    expected[generation.pk] = 0
            case ("adjust", credits, who):
                adjust(team=team, user=users[who], credits=credits, reason="fix", actor=users[0])
                adjustments[who] += credits
            case _:
                pass
        _check(team, users, generations, expected, closed, adjustments)


def _assert_refused(close, generation, *args):
    before = LedgerEntry.objects.count()
    try:
        close(generation, *args)
    except LedgerError:
        pass
    else:
        raise AssertionError("a generation was closed twice")
    assert LedgerEntry.objects.count() == before


def _check(team, users, generations, expected, closed, adjustments):
    entries = LedgerEntry.objects.for_team(team)
    totals = entries.totals()
    assert totals["credits"] == sum(expected.values()) + sum(adjustments)
    # One price version: dollars are credits at $0.005, exactly.
    assert totals["dollars"] == totals["credits"] * Decimal("0.005")
    by_generation = {
        row["generation"]: row["credits"]
        for row in entries.exclude(kind=K.ADJUST).spend_by("generation")
    }
    assert by_generation == expected
    by_user = {row["user"]: row["credits"] for row in entries.spend_by("user")}
    for who, user in enumerate(users):
        mine = sum(expected[g.pk] for g in generations if g.created_by_id == user.pk)
        assert by_user.get(user.pk, 0) == mine + adjustments[who]
    assert (
        sum(row["credits"] for row in entries.spend_by("project", "model", "kind"))
        == (totals["credits"])
    )
    for generation in generations:
        kinds = sorted(entries.filter(generation=generation).values_list("kind", flat=True))
        assert kinds.count(K.RESERVE) == 1
        assert len(kinds) == (2 if generation.pk in closed else 1)
