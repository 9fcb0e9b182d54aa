"""What the team tests share: a pending invitation and its link."""

import re

import pytest
from django.core import mail
from oidc_provider_mock import run_server_in_thread

from projects.models import Membership
from projects.models.administration import invite

LINK = re.compile(r"http://\S+/invitations/(\S+)/")


def link_of(message) -> str:
    """The path of the invitation link in a sent email."""
    return "/invitations/" + LINK.search(message.body).group(1) + "/"


@pytest.fixture
def invited(team, alice):
    """An invitation of a new person (dana@example.com) into Acme, and its link."""
    mail.outbox.clear()
    invitation = invite(
        team=team, email="dana@example.com", role=Membership.Role.MEMBER, actor=alice
    )
    return invitation, link_of(mail.outbox[-1])


def sign_in(client, username: str, password: str = "correct horse battery") -> None:
    """Sign in through the login page, as a browser does (throttling included)."""
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture(scope="session")
def oidc_provider():
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso_on(settings, oidc_provider):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "kinovi-web"
    settings.OIDC_RP_CLIENT_SECRET = "kinovi-web-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{oidc_provider}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{oidc_provider}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{oidc_provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{oidc_provider}/jwks"
    settings.OIDC_PROVIDER_NAME = "Acme Workspace"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "projects.sso.SingleSignOnBackend",
    ]
    return oidc_provider
