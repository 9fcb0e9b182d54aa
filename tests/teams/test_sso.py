"""Single sign-on, driven through the whole code flow against a real OpenID Connect
provider on loopback: its signed ID tokens, its userinfo, our state and nonce."""

import os
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from projects.models import Membership
from tests.plugins.users import PASSWORD
from tests.teams.sso_provider import (
    authorize,
    callback,
    provider_user,
    sign_in_with_sso,
    start,
    with_param,
)


def _signed_in_user(client):
    response = client.get("/accounts/profile/")
    if response.status_code != 200:
        return AnonymousUser()
    return response.wsgi_request.user


def test_it_shows_the_button_only_when_on(client, settings, sso_on):
    assert "Sign in with Acme Workspace" in client.get("/accounts/login/").content.decode()
    settings.OIDC_ENABLED = False
    assert "Sign in with" not in client.get("/accounts/login/").content.decode()


def test_an_invited_person_signs_in_and_joins_the_team(client, sso_on, team, invited):
    invitation, link = invited
    provider_user(sso_on, "dana-1", email="Dana@Example.com", email_verified=True, name="Dana")
    page = client.get(link)
    assert "Sign in with Acme Workspace" in page.content.decode()

    response = sign_in_with_sso(client, sso_on, "dana-1", next_url=link)

    assert response.status_code == 302 and response["Location"] == link
    dana = get_user_model().objects.get(email="dana@example.com")
    assert not dana.has_usable_password()
    assert not Membership.objects.filter(user=dana).exists()
    assert "Join the team" in client.get(link).content.decode()
    client.post(link)
    assert Membership.objects.get(user=dana).team == team
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_existing_account_is_matched_by_its_verified_email(client, sso_on, bob):
    provider_user(sso_on, "bob-1", email="BOB@example.com", email_verified=True)

    response = sign_in_with_sso(client, sso_on, "bob-1")

    assert response.status_code == 302
    assert _signed_in_user(client) == bob
    assert get_user_model().objects.filter(email__iexact="bob@example.com").count() == 1


def test_an_unverified_email_matches_nobody(client, sso_on, bob, invited):
    provider_user(sso_on, "fake-bob", email="bob@example.com", email_verified=False)
    provider_user(sso_on, "fake-dana", email="dana@example.com")

    for sub in ("fake-bob", "fake-dana"):
        response = sign_in_with_sso(client, sso_on, sub)
        assert response["Location"] == "/accounts/sso/not-invited/"
        assert not _signed_in_user(client).is_authenticated
    assert not get_user_model().objects.filter(email="dana@example.com").exists()


def test_an_uninvited_person_is_told_to_ask_for_an_invitation(client, sso_on, team, invited):
    users_before = get_user_model().objects.count()
    provider_user(sso_on, "zed-1", email="zed@example.com", email_verified=True)

    response = sign_in_with_sso(client, sso_on, "zed-1")

    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 403
    assert "Ask your admin for an invitation" in page.content.decode()
    assert "Acme Films" not in page.content.decode()
    assert get_user_model().objects.count() == users_before
    assert not _signed_in_user(client).is_authenticated


def test_the_authorize_request_carries_state_nonce_and_a_pkce_challenge(client, db, sso_on):
    query = parse_qs(urlsplit(start(client)).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"] == ["http://testserver/accounts/sso/callback/"]


def test_a_tampered_state_is_refused(client, sso_on, bob):
    provider_user(sso_on, "bob-2", email="bob@example.com", email_verified=True)
    callback_url = authorize(start(client), "bob-2")

    response = callback(client, with_param(callback_url, state="forged-state"))

    assert response.status_code == 400
    assert not _signed_in_user(client).is_authenticated


def test_a_tampered_nonce_is_refused(client, sso_on, bob):
    provider_user(sso_on, "bob-3", email="bob@example.com", email_verified=True)
    forged = with_param(start(client), nonce="forged-nonce")

    response = callback(client, authorize(forged, "bob-3"))

    assert response.status_code == 400
    assert not _signed_in_user(client).is_authenticated


def test_a_code_is_good_once(client, sso_on, bob):
    provider_user(sso_on, "bob-4", email="bob@example.com", email_verified=True)
    callback_url = authorize(start(client), "bob-4")
    assert callback(client, callback_url).status_code == 302
    client.post("/accounts/logout/")

    replayed = callback(client, callback_url)

    assert replayed.status_code in (302, 400)
    assert not _signed_in_user(client).is_authenticated


def test_the_providers_origin_is_in_no_content_security_policy(client, sso_on, invited):
    _, link = invited
    for path in ("/accounts/login/", link, "/accounts/sso/not-invited/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "localhost" not in policy and "form-action 'self'" in policy


def test_with_sso_off_its_urls_are_404(client, settings, sso_on):
    settings.OIDC_ENABLED = False
    for path in ("/accounts/sso/start/", "/accounts/sso/callback/", "/accounts/sso/not-invited/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code in (403, 404)


def _backends_with(**env) -> subprocess.CompletedProcess:
    """The authentication backends the settings load from this environment."""
    environment = (
        {k: v for k, v in os.environ.items() if not k.startswith("OIDC_")}
        | {"DJANGO_SETTINGS_MODULE": "kinovi_web.settings"}
        | env
    )
    code = "from django.conf import settings; print(settings.AUTHENTICATION_BACKENDS)"
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True
    )


def test_the_backend_is_loaded_only_when_configured():
    assert "SingleSignOnBackend" not in _backends_with().stdout
    endpoints = {
        f"OIDC_OP_{name}_ENDPOINT": f"https://id.example.com/{name.lower()}"
        for name in ("AUTHORIZATION", "TOKEN", "USER", "JWKS")
    }
    on = _backends_with(OIDC_RP_CLIENT_ID="web", OIDC_RP_CLIENT_SECRET="s", **endpoints)
    assert "projects.sso.SingleSignOnBackend" in on.stdout, on.stderr
    incomplete = _backends_with(OIDC_RP_CLIENT_ID="web")
    assert incomplete.returncode != 0
    assert "Single sign-on needs OIDC_RP_CLIENT_SECRET" in incomplete.stderr


def test_failed_sso_sign_ins_lock_nobody_out(client, sso_on, bob):
    provider_user(sso_on, "stranger", email="stranger@example.com", email_verified=True)
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        response = sign_in_with_sso(client, sso_on, "stranger")
        assert response["Location"] == "/accounts/sso/not-invited/"
    assert not AccessAttempt.objects.exists()
    provider_user(sso_on, "bob-5", email="bob@example.com", email_verified=True)

    assert sign_in_with_sso(client, sso_on, "bob-5")["Location"] != "/accounts/sso/not-invited/"
    assert _signed_in_user(client) == bob


def test_failed_password_sign_ins_are_still_throttled(client, sso_on, bob):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 429
