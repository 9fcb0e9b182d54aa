"""Removing a member: signed out at once, no more access, history kept, restored on return."""

from django.core import mail
from django.urls import reverse

from projects.models import LedgerEntry, Membership, Project, UserSession
from projects.models.administration import invite, remove_member
from projects.models.credits import adjust
from tests.library.conftest import make_asset
from tests.teams.conftest import link_of, sign_in


def _remove(alice_client, team, user, projects_to="archive"):
    membership = Membership.objects.get(team=team, user=user)
    response = alice_client.post(
        reverse("member_remove", args=[membership.pk]), {"projects_to": projects_to}
    )
    assert response.status_code == 302
    return response


def test_the_removed_members_open_tab_is_signed_out_on_its_next_request(
    alice_client, bob_client, bob, team
):
    assert bob_client.get(reverse("library")).status_code == 200
    assert UserSession.objects.filter(user_id=bob.pk).exists()
    _remove(alice_client, team, bob)
    response = bob_client.get(reverse("library"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(user_id=bob.pk).exists()
    # The remover stays signed in.
    assert alice_client.get(reverse("members")).status_code == 200


def test_every_session_of_theirs_ends(alice_client, bob, team, client):
    from django.test import Client

    phone, laptop = Client(), Client()
    for device in (phone, laptop):
        sign_in(device, "bob")
    _remove(alice_client, team, bob)
    for device in (phone, laptop):
        assert device.get("/").status_code == 302


def test_back_in_without_the_team_they_see_nothing_of_it(
    alice_client, bob_client, alice, bob, team
):
    shared = make_asset(alice, team, name="team-frame", shared=True)
    _remove(alice_client, team, bob)
    bob_client.force_login(bob)
    assert bob_client.get(reverse("library")).status_code == 403
    assert bob_client.get(reverse("asset_detail", args=[shared.pk])).status_code == 403
    assert bob_client.get(reverse("spend")).status_code == 403


def test_the_ledger_keeps_their_name(alice_client, alice, bob, team):
    adjust(team=team, user=bob, credits=120, reason="Test footage", actor=alice)
    _remove(alice_client, team, bob)
    assert LedgerEntry.objects.get().user == bob
    report = alice_client.get(reverse("spend_report"), {"group": "member"})
    assert "bob" in report.content.decode()


def test_invited_again_they_get_their_projects_back(alice_client, client, alice, bob, erin, team):
    handed = Project.objects.create(team=team, owner=bob, name="Handed")
    bob_client_project = Project.objects.create(team=team, owner=bob, name="Old", archived_at=None)
    _remove(alice_client, team, bob, projects_to=str(erin.pk))
    assert set(Project.objects.filter(owner=erin).values_list("name", flat=True)) == {
        "Handed",
        "Old",
    }
    mail.outbox.clear()
    invite(team=team, email="bob@example.com", role="member", actor=alice)
    sign_in(client, "bob")
    assert client.post(link_of(mail.outbox[-1])).status_code == 302
    for project in (handed, bob_client_project):
        project.refresh_from_db()
        assert (project.owner, project.handed_over_from) == (bob, None)


def test_archived_projects_come_back_unarchived_but_older_archives_stay(alice, bob, team):
    active = Project.objects.create(team=team, owner=bob, name="Active")
    from django.utils import timezone

    old = Project.objects.create(team=team, owner=bob, name="Old", archived_at=timezone.now())
    remove_member(Membership.objects.get(user=bob, team=team), actor=alice)
    active.refresh_from_db()
    assert active.is_archived
    from projects.models.administration import join

    join(team, bob, "member")
    active.refresh_from_db()
    old.refresh_from_db()
    assert not active.is_archived
    assert old.is_archived
