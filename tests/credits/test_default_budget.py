"""A team's budget for new members: no budget anywhere is a decision, not an accident."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import AuditEntry, Budget, Membership, Team
from projects.models.credits import BudgetExceeded, reserve
from projects.models.teams import DEFAULT_MEMBER_MONTHLY_CREDITS


def _user(name):
    return get_user_model().objects.create_user(name, f"{name}@example.com", "pw")


def test_a_new_team_has_the_default_and_a_new_member_gets_it(db):
    studio = Team.objects.create(name="Studio", slug="studio")
    assert studio.default_member_budget == DEFAULT_MEMBER_MONTHLY_CREDITS == 10_000
    dana = _user("dana")
    studio.add_member(dana)
    budget = Budget.objects.get(team=studio, user=dana)
    assert (budget.period, budget.hard_limit) == ("month", 10_000)
    assert AuditEntry.objects.get(team=studio).subject == "dana's budget"
    # Joining again (a role change) keeps the budget as it is.
    studio.add_member(dana, Membership.Role.ADMIN)
    assert Budget.objects.filter(team=studio).count() == 1


def test_three_big_videos_with_no_budget_chosen_are_stopped(db, settings):
    """The attack: three 1,020-credit videos with no budget anywhere."""
    from projects.models import Generation, Project

    studio = Team.objects.create(name="Studio", slug="studio", default_member_budget=3000)
    dana = _user("dana")
    studio.add_member(dana)
    project = Project.objects.create(team=studio, name="P", owner=dana)

    def video():
        generation = Generation.objects.create(
            project=project,
            created_by=dana,
            model="seedance-20",
            prompt="p",
            duration=15,
            upscale_4k=True,
        )
        return reserve(generation, has_video_reference=False)

    video()
    video()
    with pytest.raises(BudgetExceeded):
        video()


def test_an_admin_chooses_no_limit_explicitly(erin_client, erin, team):
    Team.objects.filter(pk=team.pk).update(default_member_budget=5000)
    response = erin_client.post(
        reverse("budgets"),
        {"team": team.pk, "set_default": "1", "no_limit": "on", "default_reason": "Trusted"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.default_member_budget is None
    audit = AuditEntry.objects.get(action=AuditEntry.Action.DEFAULT_BUDGET_SET)
    assert (audit.old_value, audit.new_value, audit.actor) == (
        "5,000 credits monthly",
        "no limit",
        erin,
    )
    page = erin_client.get(response["Location"]).content.decode()
    assert "New members get no limit." in page
    team.add_member(_user("newbie"))
    assert not Budget.objects.filter(user__username="newbie").exists()


def test_an_admin_sets_the_default(erin_client, team):
    response = erin_client.post(
        reverse("budgets"),
        {"team": team.pk, "set_default": "1", "default_member_budget": "2500"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.default_member_budget == 2500
    team.add_member(_user("newbie"))
    assert Budget.objects.get(user__username="newbie").hard_limit == 2500


def test_neither_credits_nor_no_limit_is_a_400(erin_client, team):
    response = erin_client.post(reverse("budgets"), {"team": team.pk, "set_default": "1"})
    assert response.status_code == 400
    assert "or choose no limit" in response.content.decode()
    for bad in ("-1", "abc"):
        response = erin_client.post(
            reverse("budgets"),
            {"team": team.pk, "set_default": "1", "default_member_budget": bad},
        )
        assert response.status_code == 400
    assert not AuditEntry.objects.exists()


def test_a_member_cannot_set_the_default(bob_client, team):
    response = bob_client.post(
        reverse("budgets"), {"team": team.pk, "set_default": "1", "no_limit": "on"}
    )
    assert response.status_code in (403, 404)
    assert not AuditEntry.objects.exists()


def test_the_budgets_page_lists_members_without_any_limit(erin_client, team, alice, bob):
    html = erin_client.get(reverse("budgets")).content.decode()
    assert "Without any limit: alice, bob, erin." in html


def test_the_migration_gives_existing_teams_the_default():
    migration = importlib.import_module("projects.migrations.0006_team_default_member_budget")
    (operation,) = [
        op for op in migration.Migration.operations if op.name == "default_member_budget"
    ]
    assert operation.field.default == DEFAULT_MEMBER_MONTHLY_CREDITS
    assert (
        django_apps.get_model("projects", "Team")._meta.get_field("default_member_budget").default
        == DEFAULT_MEMBER_MONTHLY_CREDITS
    )
