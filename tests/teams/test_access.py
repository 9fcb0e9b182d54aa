"""Every team URL, for team admins alice and erin, member bob, viewer vera, charlie of
another team, and anonymous visitors. The URL list comes from the URLconf."""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from projects.models import Invitation, Membership
from projects.views import sso as sso_views
from projects.views import teams as views

# name -> {who: status} for a GET.
EXPECTED_GET = {
    # Staff only (none of these is), whatever their role in a team.
    "site_models": {
        "alice": 405,
        "erin": 405,
        "bob": 405,
        "vera": 405,
        "charlie": 405,
        "anon": 302,
    },
    "team_models": {
        "alice": 405,
        "erin": 405,
        "bob": 403,
        "vera": 403,
        "charlie": 403,
        "anon": 302,
    },
    "team_limits": {
        "alice": 405,
        "erin": 405,
        "bob": 403,
        "vera": 403,
        "charlie": 403,
        "anon": 302,
    },
    "members": {"alice": 200, "erin": 200, "bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "member_role": {
        "alice": 405,
        "erin": 405,
        "bob": 403,
        "vera": 403,
        "charlie": 403,
        "anon": 302,
    },
    "member_remove": {
        "alice": 200,
        "erin": 200,
        "bob": 403,
        "vera": 403,
        "charlie": 403,
        "anon": 302,
    },
    "invitation_revoke": {
        "alice": 405,
        "erin": 405,
        "bob": 403,
        "vera": 403,
        "charlie": 403,
        "anon": 302,
    },
    # The link is the invitee's: anyone else learns only that it is not valid.
    "invitation_accept": {
        "alice": 404,
        "erin": 404,
        "bob": 404,
        "vera": 404,
        "charlie": 404,
        "anon": 200,
    },
}
# name -> {who: status} for a POST that changes something.
EXPECTED_POST = {
    "site_models": {
        "alice": 404,
        "erin": 404,
        "bob": 404,
        "vera": 404,
        "charlie": 404,
        "anon": 302,
    },
    "team_models": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "team_limits": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "members": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "member_role": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "member_remove": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "invitation_revoke": {"bob": 403, "vera": 403, "charlie": 403, "anon": 302},
    "invitation_accept": {"alice": 404, "erin": 404, "bob": 404, "vera": 404, "charlie": 404},
}


def _patterns(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern)
        else:
            yield pattern


def team_url_names() -> set[str]:
    return {
        p.name
        for p in _patterns(get_resolver())
        if p.callback.__module__ == views.__name__ and p.name != "switch_team"
    }


def test_every_team_url_is_covered():
    assert team_url_names() == set(EXPECTED_GET) == set(EXPECTED_POST)


@pytest.fixture
def clients(client, alice_client, erin_client, bob_client, vera_client, charlie_client):
    return {
        "alice": alice_client,
        "erin": erin_client,
        "bob": bob_client,
        "vera": vera_client,
        "charlie": charlie_client,
        "anon": client,
    }


@pytest.fixture
def url_of(team, bob, invited):
    invitation, link = invited
    membership = Membership.objects.get(team=team, user=bob)

    def url(name):
        if name == "invitation_accept":
            return link
        if name == "invitation_revoke":
            return reverse(name, args=[invitation.pk])
        if name in ("member_role", "member_remove"):
            return reverse(name, args=[membership.pk])
        return reverse(name)

    return url


@pytest.mark.parametrize("name", sorted(EXPECTED_GET))
@pytest.mark.parametrize("who", ["alice", "erin", "bob", "vera", "charlie", "anon"])
def test_each_role_gets_what_it_may(clients, url_of, name, who):
    response = clients[who].get(url_of(name))
    assert response.status_code == EXPECTED_GET[name][who], (name, who)
    if response.status_code == 302:
        assert "/accounts/login/" in response["Location"]
    if response.status_code == 403:
        assert "Only team admins manage" in response.content.decode()
    if name == "invitation_accept" and response.status_code == 404:
        assert "This invitation is not valid." in response.content.decode()
        assert "Join" not in response.content.decode()
    if who == "charlie":
        assert "Acme" not in response.content.decode()


@pytest.mark.parametrize("name", sorted(EXPECTED_POST))
def test_nobody_else_changes_anything(clients, url_of, team, bob, invited, name):
    data = {"role": "admin", "projects_to": "archive", "email": "x@example.com"}
    data |= {"submits_per_window": 1, "submit_window_minutes": 1, "queued_per_member": 1}
    data |= {
        "name": "Mallory",
        "password1": "a long pass phrase",
        "password2": "a long pass phrase",
    }
    for who, status in EXPECTED_POST[name].items():
        response = clients[who].post(url_of(name), data)
        assert response.status_code == status, (name, who)
    assert Membership.objects.get(team=team, user=bob).role == Membership.Role.MEMBER
    assert Invitation.objects.get().is_pending
    assert Invitation.objects.count() == 1
    team.refresh_from_db()
    assert team.submits_per_window == 30


def test_another_teams_admin_gets_404_for_acmes_members(charlie, charlie_client, url_of):
    Membership.objects.filter(user=charlie).update(role=Membership.Role.ADMIN)
    for name in ("member_remove", "member_role", "invitation_revoke"):
        response = charlie_client.post(url_of(name), {"role": "viewer", "projects_to": "archive"})
        assert response.status_code == 404, name
    assert charlie_client.get(reverse("members")).status_code == 200
    assert "bob" not in charlie_client.get(reverse("members")).content.decode()


def test_only_team_admins_see_the_members_link(alice_client, bob_client, vera_client):
    href = f'href="{reverse("members")}"'.encode()
    assert href in alice_client.get("/").content
    assert href not in bob_client.get("/").content
    assert href not in vera_client.get("/library/").content


# Single sign-on: every URL is a 404 while it is off, for everyone; on, the same for
# everyone (they concern whoever is signing in, never a team).
SSO_EXPECTED_GET_WHEN_ON = {"sso_start": 302, "sso_callback": 302, "sso_not_invited": 403}


def sso_url_names() -> set[str]:
    return {
        p.name for p in _patterns(get_resolver()) if p.callback.__module__ == sso_views.__name__
    }


def test_every_sso_url_is_covered():
    assert sso_url_names() == set(SSO_EXPECTED_GET_WHEN_ON)


@pytest.mark.parametrize("name", sorted(SSO_EXPECTED_GET_WHEN_ON))
def test_sso_urls_are_404_for_everyone_while_off(clients, name):
    for who, client in clients.items():
        assert client.get(reverse(name)).status_code == 404, (name, who)


@pytest.mark.parametrize("name", sorted(SSO_EXPECTED_GET_WHEN_ON))
def test_sso_urls_when_on(clients, sso_on, name):
    for who, client in clients.items():
        response = client.get(reverse(name))
        assert response.status_code == SSO_EXPECTED_GET_WHEN_ON[name], (name, who)
        if who in ("charlie", "anon"):
            assert "Acme Films" not in response.content.decode()
        if name == "sso_start":
            assert response["Location"].startswith(f"{sso_on}/oauth2/authorize?")
        if name == "sso_callback":
            assert response["Location"] == reverse("sso_not_invited")
