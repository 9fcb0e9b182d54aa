"""Every credits URL, for every role: member bob, admins alice and erin, staff, charlie."""

import pytest
from django.urls import reverse

from projects import urls_credits
from projects.models import Budget, Membership
from projects.models.credits import set_budget

# name -> {role: status} for a GET; URLs needing an object are built in _url().
EXPECTED = {
    "spend": {"bob": 200, "alice": 200, "erin": 200, "charlie": 200, "staff": 403},
    "spend_report": {"bob": 403, "alice": 200, "erin": 200, "charlie": 403, "staff": 200},
    "spend_csv": {"bob": 403, "alice": 200, "erin": 200, "charlie": 403, "staff": 200},
    "budgets": {"bob": 403, "alice": 200, "erin": 200, "charlie": 403, "staff": 200},
    "budget_remove": {"bob": 405, "alice": 405, "erin": 405, "charlie": 405, "staff": 405},
    "pricing": {"bob": 403, "alice": 200, "erin": 200, "charlie": 403, "staff": 200},
    "reconciliation": {"bob": 404, "alice": 404, "erin": 404, "charlie": 404, "staff": 200},
}


def test_every_credits_url_is_covered():
    assert {pattern.name for pattern in urls_credits.urlpatterns} == set(EXPECTED)


@pytest.fixture
def clients(bob_client, alice_client, erin_client, charlie_client, staff_client):
    return {
        "bob": bob_client,
        "alice": alice_client,
        "erin": erin_client,
        "charlie": charlie_client,
        "staff": staff_client,
    }


@pytest.fixture
def acme_budget(team, alice):
    return set_budget(team=team, user=None, period="month", hard_limit=1000, actor=alice)


def _url(name, budget):
    if name == "budget_remove":
        return reverse(name, args=[budget.pk])
    return reverse(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ["bob", "alice", "erin", "charlie", "staff"])
def test_each_role_gets_what_it_may(clients, acme_budget, name, role):
    response = clients[role].get(_url(name, acme_budget))
    assert response.status_code == EXPECTED[name][role]
    if response.status_code == 403 and role != "staff":
        assert b"Only team admins and staff" in response.content


@pytest.mark.parametrize("name", ["spend_report", "spend_csv", "budgets"])
def test_another_teams_admin_gets_404_for_acme(charlie, charlie_client, other_team, team, name):
    Membership.objects.filter(user=charlie).update(role=Membership.Role.ADMIN)
    response = charlie_client.get(reverse(name), {"team": team.pk})
    assert response.status_code == 404
    assert charlie_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["spend_report", "spend_csv", "budgets"])
def test_another_teams_member_gets_404_for_acme(charlie_client, team, name):
    assert charlie_client.get(reverse(name), {"team": team.pk}).status_code == 404
    partial = charlie_client.get(reverse(name), {"team": team.pk}, headers={"HX-Request": "true"})
    assert partial.status_code == 404


def test_a_member_asking_for_their_own_teams_report_gets_403(bob_client, team):
    response = bob_client.get(reverse("spend_report"), {"team": team.pk})
    assert response.status_code == 403
    assert b"Only team admins and staff" in response.content


@pytest.mark.parametrize("bad", ["x", "99999", "1e3"])
def test_a_made_up_team_is_404(erin_client, bad):
    assert erin_client.get(reverse("spend_report"), {"team": bad}).status_code == 404


def test_another_teams_admin_cannot_remove_acmes_budget(charlie, charlie_client, acme_budget):
    Membership.objects.filter(user=charlie).update(role=Membership.Role.ADMIN)
    response = charlie_client.post(reverse("budget_remove", args=[acme_budget.pk]))
    assert response.status_code == 404
    assert Budget.objects.filter(pk=acme_budget.pk).exists()


def test_a_member_cannot_remove_a_budget(bob_client, acme_budget):
    assert bob_client.post(reverse("budget_remove", args=[acme_budget.pk])).status_code == 403
    assert Budget.objects.filter(pk=acme_budget.pk).exists()


def test_another_teams_member_cannot_remove_acmes_budget(charlie_client, acme_budget):
    assert charlie_client.post(reverse("budget_remove", args=[acme_budget.pk])).status_code == 404
    assert Budget.objects.filter(pk=acme_budget.pk).exists()


def test_an_admin_removes_a_budget_and_the_log_says_so(erin_client, acme_budget):
    response = erin_client.post(reverse("budget_remove", args=[acme_budget.pk]))
    assert response.status_code == 302
    assert not Budget.objects.exists()
    page = erin_client.get(response["Location"])
    assert "Budget removed: Team budget" in page.content.decode()


def test_the_report_partial_is_checked_like_the_page(bob_client, erin_client):
    headers = {"HX-Request": "true"}
    assert bob_client.get(reverse("spend_report"), headers=headers).status_code == 403
    partial = erin_client.get(reverse("spend_report"), headers=headers)
    assert partial.status_code == 200
    assert b'id="report-results"' in partial.content
    assert b"<html" not in partial.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    for name in EXPECTED:
        url = reverse(name, args=[1]) if name == "budget_remove" else reverse(name)
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"] or "login" in response["Location"]


def test_only_admins_see_the_admin_links(bob_client, erin_client):
    assert b'href="/spend/report/"' not in bob_client.get(reverse("spend")).content
    nav = erin_client.get(reverse("spend")).content
    for name in ("spend_report", "budgets", "pricing"):
        assert f'href="{reverse(name)}"'.encode() in nav
