import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.kinovi.pricing import (
    FAST_MODEL,
    SEED_RATES,
    SHIPPED_RATES,
    STANDARD_MODEL,
    ModelRate,
    Rates,
)
from projects.models import AuditEntry, Budget, LedgerEntry, OutboxMail, PriceVersion
from projects.models.credits import (
    AppendOnlyError,
    BudgetExceeded,
    LedgerError,
    add_price_version,
    adjust,
    quote,
    refund,
    reserve,
    set_budget,
    settle,
    soft_limit_warnings,
)
from projects.models.outbox import send_due

K = LedgerEntry.Kind


def test_the_seed_version_is_the_first_and_the_shipped_one_follows_it(db):
    seed = PriceVersion.objects.in_effect(dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
    assert seed.rates == SEED_RATES and seed.is_first
    version = PriceVersion.objects.in_effect(dt.datetime(1999, 1, 1, tzinfo=dt.UTC))
    assert version.rates == SHIPPED_RATES and not version.is_first
    assert PriceVersion.objects.in_effect() == version


def test_it_reserves_the_estimate(make_generation, bob, team):
    generation = make_generation(upscale_4k=True)
    entry = reserve(generation, has_video_reference=False)
    assert (entry.kind, entry.credits, entry.dollars) == (K.RESERVE, 340, Decimal("1.70"))
    assert (entry.team, entry.user, entry.project, entry.model) == (
        team,
        bob,
        generation.project,
        STANDARD_MODEL,
    )
    # The ledger writes only ledger rows: Generation.submit() stores its own estimate.
    generation.refresh_from_db()
    assert generation.credits_estimated == 0


def test_it_settles_to_kinovis_figure_with_the_difference_as_its_own_row(make_generation):
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    entry = settle(generation, 180)
    assert (entry.kind, entry.credits, entry.credits_used) == (K.SETTLE, -20, 180)
    assert entry.dollars == Decimal("-0.10")
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 180
    reservation = LedgerEntry.objects.get(generation=generation, kind=K.RESERVE)
    assert reservation.credits == 200
    assert entry.accrued_at == reservation.accrued_at


def test_it_refunds_the_whole_reservation(make_generation):
    generation = make_generation(model=FAST_MODEL, duration=10)
    reserve(generation, has_video_reference=False)
    entry = refund(generation)
    assert (entry.kind, entry.credits, entry.dollars) == (K.REFUND, -280, Decimal("-1.40"))
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 0


@pytest.mark.parametrize(
    ("first", "second"),
    [(settle, settle), (refund, refund), (settle, refund), (refund, settle)],
)
def test_a_generation_is_closed_once(make_generation, first, second):
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    first(generation, 200) if first is settle else first(generation)
    with pytest.raises(LedgerError, match="already"):
        second(generation, 200) if second is settle else second(generation)
    assert LedgerEntry.objects.filter(generation=generation).count() == 2


def test_it_refuses_to_close_what_was_never_reserved(make_generation):
    with pytest.raises(LedgerError, match="no reservation"):
        settle(make_generation(), 200)


def test_it_refuses_a_second_reservation(make_generation):
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        reserve(generation, has_video_reference=False)


def _row(generation, kind, credits):
    reservation = LedgerEntry.objects.get(generation=generation, kind=K.RESERVE)
    return LedgerEntry(
        kind=kind,
        team=reservation.team,
        user=reservation.user,
        project=reservation.project,
        generation=generation,
        price_version=reservation.price_version,
        model=reservation.model,
        credits=credits,
        dollars=Decimal(0),
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [(K.SETTLE, K.SETTLE), (K.REFUND, K.REFUND), (K.SETTLE, K.REFUND), (K.RESERVE, K.RESERVE)],
)
def test_the_database_itself_refuses_a_second_close(make_generation, first, second):
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    if first != K.RESERVE:
        _row(generation, first, -200 if first == K.REFUND else 0).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(generation, second, -200 if second == K.REFUND else 0).save()


def test_the_database_refuses_an_adjustment_without_a_reason(team, bob):
    version = PriceVersion.objects.in_effect()
    entry = LedgerEntry(
        kind=K.ADJUST, team=team, user=bob, price_version=version, credits=5, dollars=0
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()


def test_ledger_rows_are_never_updated_or_deleted(make_generation):
    generation = make_generation()
    entry = reserve(generation, has_video_reference=False)
    entry.credits = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(credits=1)
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()
    assert LedgerEntry.objects.get(pk=entry.pk).credits == 200


def test_audit_rows_are_never_updated_or_deleted(team, alice, bob):
    set_budget(team=team, user=bob, period="month", hard_limit=100, actor=alice)
    entry = AuditEntry.objects.get()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(reason="x")


def test_a_hard_limit_blocks_with_a_message_and_writes_nothing(make_generation, team, alice, bob):
    set_budget(team=team, user=bob, period="month", hard_limit=300, actor=alice)
    reserve(make_generation(), has_video_reference=False)
    blocked = make_generation()
    with pytest.raises(BudgetExceeded) as raised:
        reserve(blocked, has_video_reference=False)
    assert str(raised.value).startswith(
        "This video costs 200 credits, but your monthly budget has 100 of 300 credits left."
    )
    assert not LedgerEntry.objects.filter(generation=blocked).exists()
    blocked.refresh_from_db()
    assert blocked.credits_estimated == 0


def test_the_team_budget_counts_every_member(make_generation, team, alice, bob, project):
    set_budget(team=team, user=None, period="month", hard_limit=400, actor=alice)
    reserve(make_generation(alice), has_video_reference=False)
    reserve(make_generation(bob), has_video_reference=False)
    with pytest.raises(BudgetExceeded, match="The team's monthly budget of 400 credits is used up"):
        reserve(make_generation(bob), has_video_reference=False)


def test_a_refund_gives_the_room_back(make_generation, team, alice):
    set_budget(team=team, user=None, period="month", hard_limit=200, actor=alice)
    first = make_generation()
    reserve(first, has_video_reference=False)
    refund(first)
    reserve(make_generation(), has_video_reference=False)


def test_another_teams_spend_does_not_count(make_generation, team, other_team, alice, bob):
    from projects.models import Project

    other_team.add_member(bob)
    elsewhere = Project.objects.create(team=other_team, name="Side job", owner=bob)
    reserve(make_generation(bob, target=elsewhere), has_video_reference=False)
    set_budget(team=team, user=bob, period="month", hard_limit=200, actor=alice)
    reserve(make_generation(bob), has_video_reference=False)


def test_quote_shows_each_budget_after_the_submission(team, alice, bob, make_generation):
    set_budget(team=team, user=bob, period="month", hard_limit=1000, actor=alice)
    set_budget(team=team, user=None, period="week", hard_limit=5000, actor=alice)
    reserve(make_generation(), has_video_reference=False)
    offer = quote(
        team=team,
        user=bob,
        model=STANDARD_MODEL,
        duration=15,
        upscale_4k=True,
        has_video_reference=False,
    )
    assert (offer.credits, offer.dollars, offer.upscale_4k_credits) == (1020, Decimal("5.10"), 420)
    mine, teams = offer.budgets
    assert (mine.label, mine.spent, mine.left_after, mine.hard_exceeded_after) == (
        "Your monthly budget",
        200,
        -220,
        True,
    )
    assert (teams.label, teams.spent, teams.left_after, teams.soft_crossed_after) == (
        "Team weekly budget",
        200,
        3780,
        False,
    )
    assert offer.blocking_message.startswith("This video costs 1,020 credits, but your monthly")
    assert not offer.allowed


def test_quote_without_budgets_allows_everything(team, bob):
    offer = quote(
        team=team,
        user=bob,
        model=FAST_MODEL,
        duration=4,
        upscale_4k=False,
        has_video_reference=True,
    )
    # 34 credits/s at 720p with a reference video (the shipped tier), 4 s.
    assert (offer.credits, offer.budgets, offer.blocking_message) == (136, [], "")


def test_a_reservation_keeps_the_price_of_its_time(make_generation, alice, clock):
    before = make_generation()
    reserve(before, has_video_reference=True)
    dearer = Rates(
        Decimal("0.006"),
        {**SHIPPED_RATES.models, STANDARD_MODEL: ModelRate.flat(40, 28, 12)},
    )
    takes_effect = timezone.now() + dt.timedelta(hours=1)
    version = add_price_version(dearer, effective_from=takes_effect, actor=alice, note="Invoice")
    settle(before, 240)
    # 48 credits/s with a reference video at the shipped $0.005.
    assert LedgerEntry.objects.filter(generation=before).totals() == {
        "credits": 240,
        "dollars": Decimal("1.200000"),
    }

    clock(takes_effect + dt.timedelta(seconds=1))
    entry = reserve(make_generation(), has_video_reference=True)
    assert (entry.price_version, entry.credits, entry.dollars) == (version, 260, Decimal("1.56"))
    audit = AuditEntry.objects.get(action=AuditEntry.Action.PRICE_VERSION_ADDED)
    # Only what changes is named; the new version prices 2.0 at 720p alone.
    assert "Seedance 2.0 720p with a reference video 48/s" in audit.old_value
    assert "Seedance 2.0 720p with a reference video 52/s" in audit.new_value
    assert "Seedance 2.0 1080p no price" in audit.new_value
    assert audit.old_value.endswith("A credit $0.005")
    assert audit.new_value.endswith("A credit $0.006")
    assert audit.actor == alice and audit.reason == "Invoice"


def test_a_price_version_never_takes_effect_in_the_past(alice):
    with pytest.raises(ValueError, match="retroactively"):
        add_price_version(SEED_RATES, effective_from=timezone.now(), actor=alice)


def test_an_adjustment_is_a_ledger_row_and_an_audit_entry(team, alice, bob):
    entry = adjust(team=team, user=bob, credits=-50, reason="Kinovi credited us", actor=alice)
    assert (entry.kind, entry.credits, entry.dollars, entry.recorded_by) == (
        K.ADJUST,
        -50,
        Decimal("-0.25"),
        alice,
    )
    audit = AuditEntry.objects.get(action=AuditEntry.Action.ADJUSTMENT)
    assert (audit.subject, audit.new_value, audit.reason) == (
        "bob's spend",
        "-50 credits",
        "Kinovi credited us",
    )
    with pytest.raises(ValueError, match="reason"):
        adjust(team=team, user=bob, credits=5, reason="  ", actor=alice)


def test_budget_changes_are_audited(team, alice, bob):
    set_budget(team=team, user=bob, period="month", hard_limit=1000, actor=alice)
    set_budget(
        team=team,
        user=bob,
        period="week",
        hard_limit=300,
        soft_limit_percent=50,
        actor=alice,
        reason="Over-spent in March",
    )
    changed = AuditEntry.objects.order_by("-id").first()
    assert (changed.subject, changed.old_value, changed.new_value, changed.reason) == (
        "bob's budget",
        "1,000 credits monthly, warn at 80 %",
        "300 credits weekly, warn at 50 %",
        "Over-spent in March",
    )
    assert Budget.objects.get().soft_limit == 150


def _sent() -> list:
    """The mail sent once the worker has drained the outbox."""
    send_due()
    return mail.outbox


def test_crossing_the_soft_limit_mails_once_per_period(
    make_generation, team, alice, bob, erin, clock, django_capture_on_commit_callbacks
):
    clock(dt.datetime(2026, 10, 10, 12, tzinfo=dt.UTC))
    set_budget(team=team, user=bob, period="month", hard_limit=1000, actor=alice)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            reserve(make_generation(), has_video_reference=False)
    assert _sent() == []
    assert soft_limit_warnings(team, bob) == []
    with django_capture_on_commit_callbacks(execute=True):
        reserve(make_generation(), has_video_reference=False)
    # Queued, not sent: the worker drains the outbox.
    assert mail.outbox == [] and OutboxMail.objects.count() == 1
    assert len(_sent()) == 1
    assert sorted(_sent()[0].to) == ["alice@example.com", "bob@example.com", "erin@example.com"]
    assert _sent()[0].subject == "Acme Films: bob's monthly budget passed its warning mark"
    assert "brings bob's monthly budget in Acme Films to 800 of 1,000 credits" in (_sent()[0].body)
    assert soft_limit_warnings(team, bob) == [
        "800 of 1,000 credits of your monthly budget are used, past its 800-credit warning mark."
    ]
    with django_capture_on_commit_callbacks(execute=True):
        reserve(make_generation(), has_video_reference=False)
    assert len(_sent()) == 1
    assert soft_limit_warnings(team, bob)[0] == (
        "1,000 of 1,000 credits of your monthly budget are used: new videos are blocked "
        "until 1 November."
    )

    # November is a new period: nothing to warn of, until its soft limit is crossed again.
    clock(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC))
    assert soft_limit_warnings(team, bob) == []
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            reserve(make_generation(), has_video_reference=False)
    assert len(_sent()) == 2
    assert "to 800 of 1,000 credits" in _sent()[1].body


def test_nothing_but_the_credits_module_writes_ledger_rows():
    """The composer and the worker call reserve/settle/refund; the admin is read-only."""
    app = Path(__file__).resolve().parents[2] / "projects"
    writes = re.compile(r"LedgerEntry(\.objects\.\w*create|\()")
    writers = {
        str(path.relative_to(app))
        for path in app.rglob("*.py")
        if "migrations" not in path.parts and writes.search(path.read_text())
    }
    assert writers == {"models/credits.py"}
    ledger_admin = admin.site._registry[LedgerEntry]
    assert not ledger_admin.has_add_permission(None)
    assert not ledger_admin.has_change_permission(None)
    assert not ledger_admin.has_delete_permission(None)


def test_submit_stores_its_own_estimate(make_generation):
    generation = make_generation(upscale_4k=True)
    generation.submit()
    generation.refresh_from_db()
    assert (generation.status, generation.credits_estimated) == ("queued", 340)
    reservation = LedgerEntry.objects.get(generation=generation, kind=K.RESERVE)
    assert reservation.credits == 340


def test_the_ledger_imports_nothing_built_on_it():
    """credits.py <- generation.py <- reports.py: no cycle, not even inside a function."""
    source = (Path(__file__).parents[2] / "projects/models/credits.py").read_text()
    assert "projects.models.generation" not in source
    assert "projects.models.reports" not in source
