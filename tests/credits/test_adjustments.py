"""Adjustments are bounded, and no adjustment makes room in a budget beyond its limit."""

import datetime as dt

import pytest
from django.urls import reverse

from projects.models import AuditEntry, LedgerEntry
from projects.models.credits import (
    ADJUSTMENT_LIMIT,
    AdjustmentRefused,
    Budget,
    BudgetExceeded,
    adjust,
    budget_statuses,
    reserve,
    set_budget,
    settle,
)

K = LedgerEntry.Kind


def _video(make_generation, **fields):
    generation = make_generation(duration=15, upscale_4k=True, **fields)
    reserve(generation, has_video_reference=False)
    return generation


def test_a_video_cannot_be_adjusted_below_zero(make_generation, team, bob, alice):
    generation = _video(make_generation)
    settle(generation, 1020)
    with pytest.raises(AdjustmentRefused, match="at most 1,020"):
        adjust(team=team, user=bob, credits=-1021, reason="x", actor=alice, generation=generation)
    assert not LedgerEntry.objects.filter(kind=K.ADJUST).exists()
    adjust(
        team=team, user=bob, credits=-1020, reason="refunded", actor=alice, generation=generation
    )
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 0
    with pytest.raises(AdjustmentRefused, match="at most 0"):
        adjust(team=team, user=bob, credits=-1, reason="x", actor=alice, generation=generation)


def test_a_video_adjustment_is_its_members_in_its_team(make_generation, team, bob, alice):
    generation = _video(make_generation)
    settle(generation, 1020)
    with pytest.raises(AdjustmentRefused, match="own member"):
        adjust(team=team, user=alice, credits=5, reason="x", actor=alice, generation=generation)


def test_a_video_in_flight_is_not_adjusted(make_generation, team, bob, alice):
    """Its refund would then take the adjustment below 0."""
    generation = _video(make_generation)
    with pytest.raises(AdjustmentRefused, match="in flight"):
        adjust(team=team, user=bob, credits=-1, reason="x", actor=alice, generation=generation)
    assert not LedgerEntry.objects.filter(kind=K.ADJUST).exists()


def test_an_adjustment_is_bounded_either_way(team, bob, alice):
    for credits in (ADJUSTMENT_LIMIT + 1, -ADJUSTMENT_LIMIT - 1):
        with pytest.raises(AdjustmentRefused, match="at most 100,000"):
            adjust(team=team, user=bob, credits=credits, reason="x", actor=alice)
    assert not LedgerEntry.objects.exists() and not AuditEntry.objects.exists()


def test_reconciliation_refuses_an_adjustment_below_the_videos_cost(
    staff_client, make_generation, bob
):
    generation = _video(make_generation)
    settle(generation, 1020)
    response = staff_client.post(
        reverse("reconciliation"),
        {"generation": generation.pk, "credits": "-100000", "reason": "oops"},
    )
    assert response.status_code == 400
    assert "can give back at most 1,020" in response.content.decode()
    assert not LedgerEntry.objects.filter(kind=K.ADJUST).exists()
    response = staff_client.post(
        reverse("reconciliation"),
        {"generation": generation.pk, "credits": "-100001", "reason": "oops"},
    )
    assert response.status_code == 400
    assert not LedgerEntry.objects.filter(kind=K.ADJUST).exists()


def test_a_credit_not_tied_to_a_video_makes_no_room_in_a_budget(make_generation, team, bob, alice):
    """The attack: -100,000 credits, then a 3,200 limit let 11,220 more credits through."""
    set_budget(team=team, user=bob, period="month", hard_limit=3200, actor=alice)
    settle(_video(make_generation), 1020)
    adjust(team=team, user=bob, credits=-ADJUSTMENT_LIMIT, reason="goodwill", actor=alice)
    (status,) = budget_statuses(team, bob)
    assert status.spent == 1020
    assert Budget.objects.get(user=bob).spent() == 1020
    _video(make_generation)
    _video(make_generation)
    with pytest.raises(BudgetExceeded):
        _video(make_generation)
    # The report still shows the credit: it lowers the bill, not the budget's count.
    assert LedgerEntry.objects.for_user(bob).total_credits() == 3 * 1020 - ADJUSTMENT_LIMIT


def test_a_credit_cancels_a_debit_in_the_same_period(make_generation, team, bob, alice):
    set_budget(team=team, user=bob, period="month", hard_limit=3200, actor=alice)
    adjust(team=team, user=bob, credits=2000, reason="mistake", actor=alice)
    (status,) = budget_statuses(team, bob)
    assert status.spent == 2000
    adjust(team=team, user=bob, credits=-2500, reason="undo the mistake", actor=alice)
    (status,) = budget_statuses(team, bob)
    assert status.spent == 0


def test_a_video_adjustment_counts_in_the_period_of_its_reservation(
    make_generation, team, bob, alice, clock, settings
):
    settings.TIME_ZONE = "UTC"
    clock(dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC))
    generation = _video(make_generation)
    settle(generation, 1020)
    clock(dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC))
    set_budget(team=team, user=bob, period="month", hard_limit=3200, actor=alice)
    entry = adjust(
        team=team, user=bob, credits=-1020, reason="broken", actor=alice, generation=generation
    )
    assert entry.accrued_at == dt.datetime(2026, 9, 30, 23, 0, tzinfo=dt.UTC)
    (status,) = budget_statuses(team, bob)
    assert status.spent == 0
