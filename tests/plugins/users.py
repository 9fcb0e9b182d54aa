"""The people of every test: alice (team admin), bob (teammate), charlie (outsider),
erin (a team admin owning nothing), vera (a viewer)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from projects.models import Membership, Team

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The fixtures' teams chose no budget for new members, so that a test's budgets are
# the ones it sets; tests/credits/test_default_budget.py covers the default.
@pytest.fixture
def team(db):
    return Team.objects.create(name="Acme Films", slug="acme", default_member_budget=None)


@pytest.fixture
def other_team(db):
    return Team.objects.create(name="Globex Pictures", slug="globex", default_member_budget=None)


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


def _client_of(user) -> Client:
    # A Client of its own per user, so a test can act as two people at once.
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice_client(alice):
    return _client_of(alice)


@pytest.fixture
def bob_client(bob):
    return _client_of(bob)


@pytest.fixture
def charlie_client(charlie):
    return _client_of(charlie)


@pytest.fixture
def erin(team):
    """A team admin of `team` who owns nothing in it."""
    user = _user("erin")
    team.add_member(user, Membership.Role.ADMIN)
    return user


@pytest.fixture
def erin_client(erin):
    return _client_of(erin)


@pytest.fixture
def vera(team):
    """A viewer of `team`: sees its library and shared characters, cannot spend or upload."""
    user = _user("vera")
    team.add_member(user, Membership.Role.VIEWER)
    return user


@pytest.fixture
def vera_client(vera):
    return _client_of(vera)


@pytest.fixture(autouse=True)
def _price_versions_read_afresh():
    """Each test reads the price versions of its own database (a rolled-back test's
    versions must not be remembered by the next)."""
    from projects.models.credits import forget_price_versions

    forget_price_versions()
    yield
    forget_price_versions()
