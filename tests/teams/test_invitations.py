"""Invitations: the email, the single-use link, expiry, revoking, new and existing accounts."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEntry, Invitation, Membership
from tests.teams.conftest import link_of, sign_in

NEW_PASSWORD = "a sturdy new passphrase"


def _sign_up(client, link, **fields):
    data = {"name": "Dana Scully", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(link, data | fields)


def test_an_admin_invites_by_email_and_the_link_arrives(alice_client, alice, team):
    mail.outbox.clear()
    response = alice_client.post(
        reverse("members"), {"email": "Dana@Example.com", "role": "viewer"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.status) == (
        "dana@example.com",
        "viewer",
        "pending",
    )
    assert invitation.expires_at - timezone.now() > dt.timedelta(days=6, hours=23)
    [message] = mail.outbox
    assert message.to == ["dana@example.com"]
    assert "Acme Films" in message.subject
    token = link_of(message).split("/")[2]
    assert token not in invitation.token_hash
    entry = AuditEntry.objects.get(action=AuditEntry.Action.MEMBER_INVITED)
    assert (entry.actor, entry.subject, entry.new_value) == (alice, "dana@example.com", "Viewer")
    page = alice_client.get(reverse("members")).content.decode()
    assert 'data-status="pending"' in page


@pytest.mark.parametrize("email", ["", "not-an-address", "bob@example.com"])
def test_a_bad_invitation_is_refused_with_its_reason(alice_client, bob, team, email):
    response = alice_client.post(reverse("members"), {"email": email, "role": "member"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    assert not mail.outbox
    assert 'class="field-error"' in response.content.decode()


def test_a_second_pending_invitation_of_one_address_is_refused(alice_client, invited):
    response = alice_client.post(reverse("members"), {"email": "dana@example.com", "role": "admin"})
    assert response.status_code == 400
    assert Invitation.objects.count() == 1


def test_a_new_person_sets_name_and_password_and_lands_in_the_team(client, team, invited):
    invitation, link = invited
    page = client.get(link)
    assert page.status_code == 200
    assert "Join Acme Films" in page.content.decode()
    response = _sign_up(client, link)
    assert response.status_code == 302 and response["Location"] == reverse("project_list")
    dana = get_user_model().objects.get(email="dana@example.com")
    assert (dana.username, dana.first_name) == ("dana@example.com", "Dana Scully")
    assert Membership.objects.get(user=dana).team == team
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by) == ("accepted", dana)
    assert "Welcome to Acme Films." in client.get("/").content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MEMBER_JOINED).count() == 1


def test_the_link_works_once(client, team, invited):
    _, link = invited
    _sign_up(client, link)
    client.logout()
    second = _sign_up(client, link)
    assert second.status_code == 404
    assert "This invitation is not valid." in second.content.decode()
    assert get_user_model().objects.filter(email="dana@example.com").count() == 1


@pytest.mark.parametrize(
    ("password1", "password2", "error"),
    [
        ("short", "short", "too short"),
        ("password123", "password123", "too common"),
        (NEW_PASSWORD, "something else entirely", "differ"),
    ],
)
def test_passwords_are_checked_by_the_validators(client, invited, password1, password2, error):
    _, link = invited
    response = _sign_up(client, link, password1=password1, password2=password2)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not get_user_model().objects.filter(email="dana@example.com").exists()
    assert Invitation.objects.get().is_pending


def test_an_expired_link_is_not_valid_and_says_nothing_of_the_team(client, invited):
    invitation, link = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = client.get(link)
    assert response.status_code == 404
    html = response.content.decode()
    assert "This invitation is not valid." in html
    assert "Acme" not in html and "alice" not in html
    assert _sign_up(client, link).status_code == 404


def test_a_revoked_link_is_not_valid(alice_client, client, invited):
    invitation, link = invited
    response = alice_client.post(reverse("invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert client.get(link).status_code == 404
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_REVOKED).count() == 1
    # Revoking twice says so and changes nothing.
    alice_client.post(reverse("invitation_revoke", args=[invitation.pk]))
    assert AuditEntry.objects.filter(action=AuditEntry.Action.INVITATION_REVOKED).count() == 1


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500])
def test_a_made_up_link_is_not_valid(client, invited, token):
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 404
    assert "This invitation is not valid." in response.content.decode()
    assert "Acme" not in response.content.decode()


def test_someone_else_signed_in_learns_nothing(charlie_client, invited):
    _, link = invited
    for response in (charlie_client.get(link), charlie_client.post(link)):
        assert response.status_code == 404
        assert "Acme" not in response.content.decode()
    assert Invitation.objects.get().is_pending


def test_an_existing_account_signs_in_and_joins_one_more_team(
    client, charlie, alice, team, other_team
):
    from projects.models.administration import invite

    mail.outbox.clear()
    invite(team=team, email="CHARLIE@example.com", role="member", actor=alice)
    link = link_of(mail.outbox[-1])
    page = client.get(link)
    assert "sign in to accept" in page.content.decode()
    assert not get_user_model().objects.filter(username="charlie@example.com").exists()
    sign_in(client, "charlie")
    assert "Join Acme Films" in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert set(charlie.memberships.values_list("team__slug", flat=True)) == {"acme", "globex"}
    assert client.get(reverse("library")).context["request"].team == team
