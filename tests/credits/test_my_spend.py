"""My spend: budgets as bars, my videos and refunds, for every member."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models.credits import set_budget

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def test_my_spend_shows_my_budget_generations_and_refunds(alice_client, october, team, erin):
    set_budget(team=team, user=october.formula.owner, period="month", hard_limit=700, actor=erin)
    response = alice_client.get(reverse("spend"), OCTOBER)
    assert response.status_code == 200
    html = response.content.decode()
    (status,) = response.context["budgets"]
    # The budget counts the videos (600); alice's -50 goodwill credit lowers her spend
    # (550) but makes no room in a budget.
    assert (status.label, status.spent, status.hard_limit, status.soft_limit) == (
        "Your monthly budget",
        600,
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
    # 1,300: the videos' 1,250 + 50, alice's goodwill credit making no room.
    assert "1,300 of 1,500 credits of the team&#x27;s monthly budget are used" in html


def test_another_teams_member_sees_only_their_own_spend(charlie_client, october):
    response = charlie_client.get(reverse("spend"), OCTOBER)
    assert response.context["totals"]["credits"] == 200
    html = response.content.decode()
    assert "Trailer" not in html and "=cmd" not in html and "Globex ad" in html


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
