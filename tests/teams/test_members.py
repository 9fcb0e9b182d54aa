"""The Members page: roles, last active, spend, changing roles, removing members."""

import pytest
from django.urls import reverse

from projects.models import AuditEntry, Membership, Project
from projects.models.credits import set_budget
from tests.teams.conftest import sign_in


def _membership(team, user):
    return Membership.objects.get(team=team, user=user)


def test_it_lists_each_member_with_role_spend_and_budget(alice_client, alice, bob, vera, team):
    set_budget(team=team, user=bob, period="month", hard_limit=2500, actor=alice)
    response = alice_client.get(reverse("members"))
    html = response.content.decode()
    assert response.status_code == 200
    assert [row.membership.user.username for row in response.context["rows"]] == [
        "alice",
        "bob",
        "vera",
    ]
    assert '<option value="viewer" selected>Viewer</option>' in html
    assert f'href="{reverse("spend_report")}?member={bob.pk}"' in html
    assert "2,500" in html


def test_last_active_is_the_latest_sign_in(alice_client, alice, bob, team):
    alice_client.logout()
    sign_in(alice_client, "bob")
    bob.refresh_from_db()
    row = {r.membership.user_id: r for r in _rows(team)}[bob.pk]
    assert row.last_active == bob.last_login


def _rows(team):
    from projects.models.administration import member_rows

    return member_rows(team)


def test_the_page_runs_the_same_queries_for_3_or_30_members(
    alice_client, alice, bob, team, django_assert_num_queries
):
    from tests.plugins.users import _user

    alice_client.get(reverse("members"))
    with django_assert_num_queries(9) as few:
        alice_client.get(reverse("members"))
    for n in range(27):
        team.add_member(_user(f"member{n}"))
    with django_assert_num_queries(len(few.captured_queries)):
        alice_client.get(reverse("members"))


def test_an_admin_changes_a_role_and_the_log_says_so(alice_client, alice, bob, team):
    response = alice_client.post(
        reverse("member_role", args=[_membership(team, bob).pk]), {"role": "viewer"}
    )
    assert response.status_code == 302
    assert _membership(team, bob).role == "viewer"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ROLE_CHANGED)
    assert (entry.actor, entry.subject, entry.old_value, entry.new_value) == (
        alice,
        "bob",
        "Member",
        "Viewer",
    )
    page = alice_client.get(reverse("members")).content.decode()
    assert "bob is now viewer." in page
    assert "Role changed: bob" in page


@pytest.mark.parametrize("forged", ["owner", "", "ADMIN"])
def test_a_forged_role_changes_nothing(alice_client, bob, team, forged):
    alice_client.post(reverse("member_role", args=[_membership(team, bob).pk]), {"role": forged})
    assert _membership(team, bob).role == "member"
    assert not AuditEntry.objects.exists()
    assert "Choose a role" in alice_client.get(reverse("members")).content.decode()


def test_the_last_admin_cannot_be_demoted(alice_client, alice, bob, team):
    alice_client.post(
        reverse("member_role", args=[_membership(team, alice).pk]), {"role": "member"}
    )
    assert _membership(team, alice).role == "admin"
    assert "A team needs an admin" in alice_client.get(reverse("members")).content.decode()


def test_the_last_admin_cannot_be_removed(alice_client, alice, bob, team):
    response = alice_client.post(
        reverse("member_remove", args=[_membership(team, alice).pk]), {"projects_to": "archive"}
    )
    assert response.status_code == 400
    assert "A team needs an admin" in response.content.decode()
    assert Membership.objects.filter(team=team, user=alice).exists()


def test_one_of_two_admins_may_step_down(alice_client, alice, erin, team):
    alice_client.post(
        reverse("member_role", args=[_membership(team, alice).pk]), {"role": "member"}
    )
    assert _membership(team, alice).role == "member"
    assert alice_client.get(reverse("members")).status_code == 403


def test_removing_hands_the_projects_to_the_chosen_admin(alice_client, alice, bob, erin, team):
    pilot = Project.objects.create(team=team, owner=bob, name="Pilot")
    page = alice_client.get(reverse("member_remove", args=[_membership(team, bob).pk]))
    assert "Hand them to erin" in page.content.decode()
    response = alice_client.post(
        reverse("member_remove", args=[_membership(team, bob).pk]), {"projects_to": str(erin.pk)}
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.owner, pilot.handed_over_from, pilot.is_archived) == (erin, bob, False)
    assert not Membership.objects.filter(team=team, user=bob).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBER_REMOVED)
    assert (entry.actor, entry.subject, entry.new_value) == (alice, "bob", "1 projects to erin")


def test_removing_archives_the_projects_when_asked(alice_client, alice, bob, team):
    pilot = Project.objects.create(team=team, owner=bob, name="Pilot")
    alice_client.post(
        reverse("member_remove", args=[_membership(team, bob).pk]), {"projects_to": "archive"}
    )
    pilot.refresh_from_db()
    assert (pilot.owner, pilot.is_archived, pilot.handed_over_from) == (bob, True, bob)


@pytest.mark.parametrize("heir", ["bob", "charlie", "nobody"])
def test_projects_go_only_to_another_admin_of_the_team(
    alice_client, alice, bob, charlie, erin, team, heir
):
    ids = {"bob": bob.pk, "charlie": charlie.pk, "nobody": 10**6}
    response = alice_client.post(
        reverse("member_remove", args=[_membership(team, bob).pk]), {"projects_to": ids[heir]}
    )
    assert response.status_code == 400
    assert Membership.objects.filter(team=team, user=bob).exists()
