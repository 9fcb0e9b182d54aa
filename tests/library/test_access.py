"""Every library view and HTMX endpoint answers 404 for what the user may not see.

bob (alice's teammate) must not learn of alice's personal assets and
characters; charlie (another team) must not learn of anything of Acme's.
"""

import re

import pytest

from tests.library.conftest import make_asset, make_character

ASSET_ENDPOINTS = [
    ("get", "/library/assets/{}/"),
    ("get", "/library/assets/{}/edit/"),
    ("post", "/library/assets/{}/edit/"),
    ("post", "/library/assets/{}/delete/"),
]
CHARACTER_ENDPOINTS = [
    ("get", "/library/characters/{}/"),
    ("get", "/library/characters/{}/edit/"),
    ("post", "/library/characters/{}/edit/"),
    ("post", "/library/characters/{}/delete/"),
    ("post", "/library/characters/{}/copy/"),
]
AS_HTMX = [{}, {"HX-Request": "true"}]


@pytest.mark.parametrize("headers", AS_HTMX)
@pytest.mark.parametrize(("method", "url"), ASSET_ENDPOINTS)
def test_it_hides_a_personal_asset_from_a_teammate(bob_client, alice, team, method, url, headers):
    asset = make_asset(alice, team)
    response = getattr(bob_client, method)(url.format(asset.pk), headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("headers", AS_HTMX)
@pytest.mark.parametrize(("method", "url"), ASSET_ENDPOINTS)
def test_it_hides_a_shared_asset_from_another_team(
    charlie_client, alice, team, method, url, headers
):
    asset = make_asset(alice, team, shared=True)
    response = getattr(charlie_client, method)(url.format(asset.pk), headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("headers", AS_HTMX)
@pytest.mark.parametrize(("method", "url"), CHARACTER_ENDPOINTS)
def test_it_hides_a_personal_character_from_a_teammate(
    bob_client, alice, team, method, url, headers
):
    character = make_character(team, alice, owner=alice)
    response = getattr(bob_client, method)(url.format(character.pk), headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("headers", AS_HTMX)
@pytest.mark.parametrize(("method", "url"), CHARACTER_ENDPOINTS)
def test_it_hides_a_team_character_from_another_team(
    charlie_client, alice, team, method, url, headers
):
    character = make_character(team, alice, owner=None)
    response = getattr(charlie_client, method)(url.format(character.pk), headers=headers)
    assert response.status_code == 404


def _without_csrf_tokens(html: bytes) -> bytes:
    # The 404 page is a page of the app: its forms carry a token masked anew each time.
    return re.sub(rb'(csrftoken": "|name="csrfmiddlewaretoken" value=")[^"]+', rb"\1", html)


def test_it_answers_the_same_404_for_a_missing_id(bob_client, alice, team):
    hidden = make_asset(alice, team)
    missing = bob_client.get(f"/library/assets/{hidden.pk + 1000}/")
    hidden_response = bob_client.get(f"/library/assets/{hidden.pk}/")
    assert _without_csrf_tokens(hidden_response.content) == _without_csrf_tokens(missing.content)


@pytest.mark.parametrize("headers", AS_HTMX)
def test_it_keeps_lists_and_pickers_to_what_the_user_may_see(
    bob_client, alice, charlie, team, other_team, headers
):
    make_asset(alice, team, name="alice-secret-asset")
    make_asset(charlie, other_team, name="globex-asset", shared=True)
    make_character(team, alice, owner=alice, handle="alice-secret")
    make_character(other_team, charlie, owner=None, handle="globex-hero")
    for url in ("/library/", "/library/characters/", "/library/characters/new/"):
        text = bob_client.get(url, headers=headers).content.decode()
        for secret in ("alice-secret", "globex"):
            assert secret not in text, (url, secret)


@pytest.mark.parametrize(
    "url",
    [
        "/library/",
        "/library/characters/",
        "/library/characters/new/",
        "/library/assets/1/",
        "/library/characters/1/",
    ],
)
def test_it_sends_anonymous_users_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
