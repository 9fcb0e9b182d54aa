"""My spend, budgets, pricing and reconciliation pages."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEntry, Budget, LedgerEntry, PriceVersion
from projects.models.credits import set_budget

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


# My spend


def test_my_spend_shows_my_budget_generations_and_refunds(alice_client, october, team, erin):
    set_budget(team=team, user=october.formula.owner, period="month", hard_limit=700, actor=erin)
    response = alice_client.get(reverse("spend"), OCTOBER)
    assert response.status_code == 200
    html = response.content.decode()
    (status,) = response.context["budgets"]
    assert (status.label, status.spent, status.hard_limit, status.soft_limit) == (
        "Your monthly budget",
        550,
        700,
        560,
    )
    assert response.context["totals"]["credits"] == 550
    rows = list(response.context["generations"])
    assert [(row["generation"], row["credits"]) for row in rows] == [
        (october.flying.pk, 600),
        (october.failed.pk, 0),
    ]
    assert f"#{october.failed.pk}" in html and 'data-testid="my-refunds"' in html
    assert "Trailer" not in html  # bob's project


def test_my_spend_warns_past_the_soft_limit(bob_client, october, team, erin):
    set_budget(team=team, user=None, period="month", hard_limit=1500, actor=erin)
    html = bob_client.get(reverse("spend")).content.decode()
    assert "1,250 of 1,500 credits of the team&#x27;s monthly budget are used" in html


def test_my_spend_without_budget_says_no_limit(bob_client):
    assert b"your spend has no limit" in bob_client.get(reverse("spend")).content


def test_my_spend_query_count_is_constant(bob_client, october, team, erin, bob):
    from projects.models.credits import adjust

    set_budget(team=team, user=bob, period="month", hard_limit=5000, actor=erin)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert bob_client.get(reverse("spend"), OCTOBER).status_code == 200
        return len(queries)

    before = count()
    for _ in range(4):
        adjust(team=team, user=bob, credits=3, reason="more", actor=erin)
    assert count() == before


def test_my_spend_rejects_a_bad_range(bob_client):
    response = bob_client.get(reverse("spend"), {"start": "2026-10-09", "end": "2026-10-01"})
    assert response.status_code == 400
    assert b"The last day comes before the first." in response.content


# Budgets


def test_an_admin_sets_a_members_budget_and_it_is_audited(erin_client, erin, bob, team):
    response = erin_client.post(
        reverse("budgets"),
        {
            "team": team.pk,
            "member": bob.pk,
            "period": "month",
            "hard_limit": "300",
            "soft_limit_percent": "80",
            "reason": "New joiner",
        },
    )
    assert response.status_code == 302
    budget = Budget.objects.get(user=bob)
    assert (budget.hard_limit, budget.soft_limit, budget.period) == (300, 240, "month")
    page = erin_client.get(response["Location"]).content.decode()
    assert "Budget of bob set to 300 credits." in page
    assert "bob&#x27;s budget" in page and "New joiner" in page
    audit = AuditEntry.objects.get()
    assert (audit.actor, audit.old_value, audit.new_value) == (
        erin,
        "none",
        "300 credits monthly, warn at 80 %",
    )


def test_the_budgets_page_lists_who_has_none(erin_client, team, erin, bob, alice):
    set_budget(team=team, user=bob, period="week", hard_limit=100, actor=erin)
    html = erin_client.get(reverse("budgets")).content.decode()
    assert "Without a budget of their own: alice, erin." in html


def test_a_budget_for_someone_outside_the_team_is_refused(erin_client, charlie, team):
    response = erin_client.post(
        reverse("budgets"),
        {
            "team": team.pk,
            "member": charlie.pk,
            "period": "month",
            "hard_limit": "5",
            "soft_limit_percent": "80",
        },
    )
    assert response.status_code == 400
    assert not Budget.objects.exists()


def test_bad_budget_numbers_are_refused_with_messages(erin_client, team):
    response = erin_client.post(
        reverse("budgets"),
        {"team": team.pk, "period": "year", "hard_limit": "-5", "soft_limit_percent": "120"},
    )
    assert response.status_code == 400
    assert response.content.count(b"field-error") == 3
    assert not Budget.objects.exists()


def test_an_admin_cannot_post_a_budget_into_another_team(erin_client, other_team):
    response = erin_client.post(
        reverse("budgets"),
        {"team": other_team.pk, "period": "month", "hard_limit": "5", "soft_limit_percent": "80"},
    )
    assert response.status_code == 404
    assert not Budget.objects.exists()


def test_staff_set_any_teams_budget(staff_client, other_team):
    response = staff_client.post(
        reverse("budgets"),
        {"team": other_team.pk, "period": "day", "hard_limit": "50", "soft_limit_percent": "50"},
    )
    assert response.status_code == 302
    assert Budget.objects.get().team == other_team


def test_the_budgets_page_query_count_is_constant(erin_client, team, erin):
    from django.contrib.auth import get_user_model

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert erin_client.get(reverse("budgets")).status_code == 200
        return len(queries)

    set_budget(team=team, user=None, period="month", hard_limit=10, actor=erin)
    before = count()
    for number in range(4):
        member = get_user_model().objects.create_user(f"m{number}")
        team.add_member(member)
        set_budget(team=team, user=member, period="month", hard_limit=10, actor=erin)
    assert count() == before


# Pricing


def test_the_pricing_page_shows_the_seed_table(erin_client):
    response = erin_client.get(reverse("pricing"))
    html = response.content.decode()
    assert len(response.context["table"]) == 10
    assert '<td class="num">1020</td>' in html and "$5.10" in html
    assert 'data-testid="price-form"' not in html


def test_an_admin_cannot_add_a_version(erin_client):
    response = erin_client.post(reverse("pricing"), {})
    assert response.status_code == 403
    assert PriceVersion.objects.count() == 1


def _version_form(moment):
    return {
        "effective_from": moment.strftime("%Y-%m-%dT%H:%M"),
        "dollars_per_credit": "0.005",
        "note": "Invoice of November",
        "seedance-20__credits_per_second": "40",
        "seedance-20__upscale_4k_credits_per_second": "28",
        "seedance-20__video_reference_credits_per_second": "8",
        "seedance2-fast__credits_per_second": "28",
        "seedance2-fast__upscale_4k_credits_per_second": "28",
        "seedance2-fast__video_reference_credits_per_second": "6",
    }


def test_staff_add_a_version_in_the_future(staff_client, staff):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 302
    version = PriceVersion.objects.order_by("-effective_from").first()
    assert version.effective_from == moment
    assert version.rates.for_model("seedance-20").video_reference_credits_per_second == 8
    assert version.created_by == staff
    assert AuditEntry.objects.get().action == AuditEntry.Action.PRICE_VERSION_ADDED
    assert b"scheduled" in staff_client.get(reverse("pricing")).content


def test_a_version_in_the_past_is_refused(staff_client):
    response = staff_client.post(
        reverse("pricing"), _version_form(timezone.now() - dt.timedelta(hours=1))
    )
    assert response.status_code == 400
    assert b"never change retroactively" in response.content
    assert PriceVersion.objects.count() == 1


def test_bad_rates_are_refused(staff_client):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form["seedance-20__credits_per_second"] = "-1"
    form["dollars_per_credit"] = "abc"
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert PriceVersion.objects.count() == 1


# Reconciliation


def test_reconciliation_flags_differences(staff_client, october):
    response = staff_client.get(reverse("reconciliation"), OCTOBER)
    rows = {row["generation"]: row for row in response.context["page"]}
    assert set(rows) == {october.first.pk, october.fast.pk, october.failed.pk}
    assert rows[october.first.pk]["flagged"] == ""
    assert (rows[october.fast.pk]["estimate"], rows[october.fast.pk]["settled"]) == (560, 500)
    assert rows[october.fast.pk]["flagged"] == "Estimate off by -60."
    assert rows[october.failed.pk]["settled"] == 0
    by_version = list(response.context["by_version"])
    assert [(row["credits"], row["dollars"]) for row in by_version] == [
        (1250 + 200, Decimal("7.250000"))
    ]


def test_an_adjustment_from_reconciliation_carries_its_reason(staff_client, staff, october):
    response = staff_client.post(
        reverse("reconciliation") + "?start=2026-10-01&end=2026-10-31",
        {"generation": october.fast.pk, "credits": "60", "reason": "Kinovi billed 560"},
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUST, generation=october.fast)
    assert (entry.credits, entry.reason, entry.recorded_by, entry.user) == (
        60,
        "Kinovi billed 560",
        staff,
        october.fast.created_by,
    )
    assert AuditEntry.objects.filter(reason="Kinovi billed 560").exists()


def test_an_adjustment_needs_a_reason_and_credits(staff_client, october):
    response = staff_client.post(
        reverse("reconciliation"), {"generation": october.fast.pk, "credits": "0", "reason": " "}
    )
    assert response.status_code == 400
    assert not LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.ADJUST, generation__isnull=False
    ).exists()


def test_an_adjustment_of_an_unknown_generation_is_404(staff_client):
    response = staff_client.post(
        reverse("reconciliation"), {"generation": "999999", "credits": "5", "reason": "x"}
    )
    assert response.status_code == 404
