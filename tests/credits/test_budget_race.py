"""Concurrent submissions on real, separate database connections cannot overrun a budget."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from projects.kinovi.pricing import SEED_RATES, ModelRate, Rates, format_credits
from projects.models import Budget, Generation, LedgerEntry, PriceVersion, Project
from projects.models.credits import BudgetExceeded, reserve, set_budget


def _race(team, user, *, submissions: int, room_for: int, team_budget: bool, cost=200):
    project = Project.objects.create(team=team, name="Race", owner=user)
    generations = [
        Generation.objects.create(project=project, created_by=user, model="seedance-20", prompt="p")
        for _ in range(submissions)
    ]
    # Each submission costs `cost` credits (5 s standard).
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

    def submit(generation):
        try:
            start.wait()
            with transaction.atomic():
                reserve(generation, has_video_reference=False)
            outcome = "accepted"
        except BudgetExceeded as exc:
            outcome = str(exc)
        finally:
            # Each thread had a connection of its own; close it.
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(g,)) for g in generations]
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


@pytest.mark.django_db(transaction=True)
def test_decimal_prices_accept_exactly_the_room_left(team, bob):
    """85.68 credits/s: 5 s cost 428.4 credits; room for 10 of them lets exactly 10 in."""
    rates = Rates(
        dollars_per_credit=SEED_RATES.dollars_per_credit,
        models={
            **SEED_RATES.models,
            "seedance-20": ModelRate.flat(Decimal("85.68"), Decimal(28), Decimal(0)),
        },
    )
    PriceVersion.from_rates(rates, effective_from=timezone.now() - dt.timedelta(seconds=1)).save()
    cost = Decimal("428.4")
    submissions, room_for = (50, 10) if connection.vendor == "postgresql" else (8, 3)
    outcomes = _race(
        team, bob, submissions=submissions, room_for=room_for, team_budget=False, cost=cost
    )
    assert outcomes.count("accepted") == room_for
    refusals = [outcome for outcome in outcomes if outcome != "accepted"]
    # The room is used up exactly, so each refusal says so, in decimal credits.
    used_up = f"of {format_credits(cost * room_for)} credits is used up"
    assert refusals and all(used_up in refusal for refusal in refusals)
    assert LedgerEntry.objects.count() == room_for
    assert LedgerEntry.objects.total_credits() == cost * room_for == Budget.objects.get().hard_limit
    assert LedgerEntry.objects.totals()["dollars"] == Decimal("2.142") * room_for
