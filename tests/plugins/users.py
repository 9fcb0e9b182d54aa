"""The people of every test: alice (team admin), bob (teammate), charlie (outsider)."""

import pytest
from django.contrib.auth import get_user_model

from projects.models import Membership, Team

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    return Team.objects.create(name="Acme Films", slug="acme")


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Globex Pictures", slug="globex")


def _user(username: str):
    return get_user_model().objects.create_user(username, f"{username}@example.com", PASSWORD)


@pytest.fixture
def alice(team):
    user = _user("alice")
    team.add_member(user, Membership.Role.ADMIN)
    return user


@pytest.fixture
def bob(team):
    user = _user("bob")
    team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def charlie(other_team):
    user = _user("charlie")
    other_team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def charlie_client(client, charlie):
    client.force_login(charlie)
    return client
