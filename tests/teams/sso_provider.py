"""The browser's part of the single sign-on code flow against the loopback provider
(the `oidc_provider` fixture: oidc-provider-mock, Authlib's server with RS256-signed ID
tokens, discovery, authorize, token, JWKS and userinfo)."""

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx


def provider_user(provider: str, sub: str, **claims) -> None:
    """The identity the provider signs in as `sub`, with these claims."""
    response = httpx.put(f"{provider}/users/{sub}", json=claims)
    assert response.status_code == 204, response.text


def start(client, next_url: str = "") -> str:
    """Press "Sign in with ...": the provider's authorize URL it leads to."""
    response = client.get("/accounts/sso/start/", {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return response["Location"]


def with_param(url: str, **params) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | params
    return urlunsplit(parts._replace(query=urlencode(query)))


def authorize(authorize_url: str, sub: str) -> str:
    """The person consents at the provider: the callback URL it sends them back to."""
    response = httpx.post(authorize_url, data={"sub": sub, "action": "authorize"})
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def callback(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == "/accounts/sso/callback/"
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_with_sso(client, provider: str, sub: str, next_url: str = ""):
    return callback(client, authorize(start(client, next_url), sub))
