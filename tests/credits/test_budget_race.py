"""Concurrent submissions on real, separate database connections cannot overrun a budget."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction

from projects.kinovi.catalogue import SEEDANCE_25
from projects.kinovi.pricing import SHIPPED_RATES, format_credits
from projects.models import (
    Budget,
    Generation,
    GenerationReference,
    LedgerEntry,
    PriceVersion,
    Project,
)
from projects.models.credits import BudgetExceeded, reserve, set_budget
from projects.models.library import Kind


def _standard(project, user):
    return Generation.objects.create(
        project=project, created_by=user, model="seedance-20", prompt="p"
    )


def _reserve(generation):
    with transaction.atomic():
        reserve(generation, has_video_reference=False)


def _race(
    team,
    user,
    *,
    submissions: int,
    room_for: int,
    team_budget: bool,
    cost=200,
    make=_standard,
    submit=_reserve,
):
    project = Project.objects.create(team=team, name="Race", owner=user)
    generations = [make(project, user) for _ in range(submissions)]
    # Each submission costs `cost` credits (5 s standard unless `make` says otherwise).
    set_budget(
        team=team,
        user=None if team_budget else user,
        period="month",
        hard_limit=cost * room_for,
        actor=user,
    )
    start = threading.Barrier(submissions)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(generation):
        try:
            start.wait()
            submit(generation)
            outcome = "accepted"
        except BudgetExceeded as exc:
            outcome = str(exc)
        finally:
            # Each thread had a connection of its own; close it.
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(g,)) for g in generations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    close_old_connections()
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("team_budget", [False, True], ids=["member budget", "team budget"])
def test_concurrent_submissions_accept_exactly_the_room_left(team, bob, team_budget):
    submissions, room_for = (50, 10) if connection.vendor == "postgresql" else (8, 3)
    outcomes = _race(team, bob, submissions=submissions, room_for=room_for, team_budget=team_budget)
    assert len(outcomes) == submissions
    assert outcomes.count("accepted") == room_for
    refusals = [outcome for outcome in outcomes if outcome != "accepted"]
    assert all(f"of {200 * room_for:,} credits is used up" in refusal for refusal in refusals)
    assert LedgerEntry.objects.count() == room_for
    assert LedgerEntry.objects.total_credits() == Budget.objects.get().hard_limit


def _seedance_25_with_a_reference_video(project, user):
    """5 s of Seedance 2.5 at 1080p with a 10 s reference video: Kinovi charges
    (10 + 5) s x 85.68 = 1,285.2 credits at the shipped prices."""
    generation = Generation.objects.create(
        project=project,
        created_by=user,
        model=SEEDANCE_25.id,
        prompt="@video1 again",
        duration=5,
        resolution="1080p",
    )
    GenerationReference.objects.create(
        generation=generation,
        kind=Kind.VIDEO,
        position=1,
        url="https://cdn.example/clip.mp4",
        format="video/mp4",
        duration_seconds=10.0,
    )
    return generation


@pytest.mark.django_db(transaction=True)
def test_decimal_prices_accept_exactly_the_room_left(team, bob):
    """85.68 credits/s, the shipped price of 2.5 at 1080p with a reference video: each
    shot reserves 1,285.2 credits; room for 10 of them lets exactly 10 in, through
    Generation.submit() itself."""
    version = PriceVersion.objects.in_effect()
    assert version.rates == SHIPPED_RATES
    cost = Decimal("1285.2")
    submissions, room_for = (50, 10) if connection.vendor == "postgresql" else (8, 3)
    outcomes = _race(
        team,
        bob,
        submissions=submissions,
        room_for=room_for,
        team_budget=False,
        cost=cost,
        make=_seedance_25_with_a_reference_video,
        submit=Generation.submit,
    )
    assert outcomes.count("accepted") == room_for
    refusals = [outcome for outcome in outcomes if outcome != "accepted"]
    # The room is used up exactly, so each refusal says so, in decimal credits.
    used_up = f"of {format_credits(cost * room_for)} credits is used up"
    assert refusals and all(used_up in refusal for refusal in refusals)
    assert LedgerEntry.objects.count() == room_for
    assert LedgerEntry.objects.total_credits() == cost * room_for == Budget.objects.get().hard_limit
    assert LedgerEntry.objects.totals()["dollars"] == Decimal("6.426") * room_for
    queued = Generation.objects.filter(status=Generation.Status.QUEUED)
    assert queued.count() == room_for
    assert {(g.credits_estimated, g.estimate_worst_case) for g in queued} == {(cost, False)}
    assert Generation.objects.filter(status=Generation.Status.DRAFT).count() == (
        submissions - room_for
    )
