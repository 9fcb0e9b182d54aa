"""The budgets page: set and remove budgets, who has none, the audit log."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import AuditEntry, Budget
from projects.models.credits import set_budget

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


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
    assert "Without any limit: alice, erin." in html


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
