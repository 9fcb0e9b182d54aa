"""Forged ids, forged choices, missing fields and wrong methods on every URL of the
app (the library, the team switch, projects, videos, spend): always a 4xx (or the
form again) with a message, never a 500.

The URL list is built from the URLconf, so a new endpoint is swept without
anyone adding it here.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from projects.middleware import SESSION_KEY
from projects.models import Character
from tests.library.conftest import make_asset, make_character, make_generation

HUGE_IDS = [10**25, 2**63, 2**64, 2**63 - 1]
FORGED_VALUES = ["abc", str(10**25), f"1:{10**25}", "-1", "1.5", "\x00", "x" * 5000]
# The fields of every form of the app that takes ids or choices.
FORM_FIELDS = [
    "team",
    "next",
    "images",
    "primary",
    "library",
    "name",
    "handle",
    "description",
    "shared",
    "tags",
    "references",
    "model",
    "duration",
    "aspect_ratio",
    "upscale_4k",
    "prompt",
    "idempotency_key",
    "default_model",
    "default_duration",
    "default_aspect_ratio",
    "preset",
    "start",
    "end",
    "member",
    "project",
    "status",
    "group",
    "interval",
    "period",
    "hard_limit",
    "soft_limit_percent",
    "reason",
    "effective_from",
    "dollars_per_credit",
    "note",
    "generation",
]


def _library_urls() -> list[str]:
    """Every route of the app outside admin, accounts and media, as a format string
    with a {name} per path parameter."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route))

    walk(get_resolver().url_patterns, "")
    return [
        url
        for url in found
        if not url.startswith(("/admin", "/accounts", "/^media", "/media", "/favicon"))
        and "^" not in url
        # Readiness answers 503 by design while a part is down (tests/operations).
        and url != "/readyz"
    ]


URLS = _library_urls()
URLS_WITH_IDS = [url for url in URLS if "{" in url]
URLS_WITHOUT_IDS = [url for url in URLS if "{" not in url]


def _fill(url: str, value) -> str:
    return re.sub(r"\{\w+\}", str(value), url)


class _Ids(dict):
    """Path parameters; one this sweep does not know yet names no object (a 404)."""

    def __missing__(self, key: str) -> str:
        return "1"


@pytest.fixture
def own_ids(alice, team) -> _Ids:
    """An object of alice's for each path parameter, so the views read the forms."""
    generation = make_generation(team, alice)
    return _Ids(
        asset_id=make_asset(alice, team).pk,
        character_id=make_character(team, alice, owner=alice).pk,
        project_id=generation.project_id,
        generation_id=generation.pk,
        token="not-a-token",
    )


@pytest.fixture
def alice_raw(alice):
    """alice's browser, seeing a server error as the 500 a user would get."""
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    return client


def test_the_sweep_covers_the_library_and_the_team_switch():
    assert "/library/assets/{asset_id}/" in URLS_WITH_IDS
    assert "/library/characters/{character_id}/copy/" in URLS_WITH_IDS
    assert {"/library/upload/", "/library/characters/new/", "/teams/switch/"} <= set(
        URLS_WITHOUT_IDS
    )


@pytest.mark.parametrize("url", URLS_WITH_IDS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_answers_404_for_ids_no_row_can_have(alice_raw, team, url, method):
    for huge in HUGE_IDS:
        response = getattr(alice_raw, method)(_fill(url, huge))
        # 405: the URL answers only the other method, before looking anything up.
        assert response.status_code in (404, 405), (url, huge, response.status_code)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_it_never_fails_on_a_method_no_view_expects(alice_raw, own_ids, url, method):
    response = getattr(alice_raw, method)(url.format_map(own_ids))
    assert response.status_code < 500, (url, response.status_code)


def _failed(path: str, response) -> bool:
    """A 5xx, except the readiness check's own 503 ("not ready": no worker runs here)."""
    if path == "/readyz" and response.status_code == 503:
        return "failed" not in response.json()
    return response.status_code >= 500


@pytest.mark.parametrize("url", URLS)
def test_it_never_fails_on_forged_form_values(alice_raw, own_ids, url):
    path = url.format_map(own_ids)
    params = ["q", "kind", "tag", "page", "from", "add", "asset", *FORM_FIELDS]
    for value in FORGED_VALUES:
        data = dict.fromkeys(FORM_FIELDS, value)
        for headers in ({}, {"HX-Request": "true"}):
            response = alice_raw.post(path, data, headers=headers)
            assert not _failed(path, response), (path, value, response.status_code)
            response = alice_raw.get(path, dict.fromkeys(params, value), headers=headers)
            assert not _failed(path, response), (path, value, response.status_code)


@pytest.mark.parametrize("url", URLS)
def test_it_never_fails_on_an_empty_post(alice_raw, own_ids, url):
    path = url.format_map(own_ids)
    assert not _failed(path, alice_raw.post(path))


def _character_form(client, **fields):
    data = {"name": "Mira", "handle": "mira", "library": "personal", **fields}
    return client.post("/library/characters/new/", data)


def _field_block(html: str, name: str) -> str:
    """The markup of the field (a .field element) that holds the input called `name`."""
    for block in re.split(r'(?=<(?:div|fieldset) class="field)', html):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field holds an input named {name}")


@pytest.mark.parametrize("forged", [str(10**25), str(2**64), "abc", "-1", "1.5"])
def test_it_refuses_a_forged_image_id_beside_the_images(alice_raw, alice, team, forged):
    mine = make_asset(alice, team)
    response = _character_form(alice_raw, images=[str(mine.pk), forged])
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "images")
    assert "is not an image in your library." in block
    assert not Character.objects.exists()


@pytest.mark.parametrize("forged", [str(10**25), "abc", "-1"])
def test_it_refuses_a_forged_primary_image_beside_the_images(alice_raw, alice, team, forged):
    mine = make_asset(alice, team)
    response = _character_form(alice_raw, images=[str(mine.pk)], primary=forged)
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "primary")
    assert "The primary image must be one of your images." in block
    assert not Character.objects.exists()


@pytest.mark.parametrize("forged", ["everyone", "", "team "])
def test_it_shows_an_unknown_library_beside_the_library_field(alice_raw, alice, team, forged):
    mine = make_asset(alice, team)
    response = _character_form(alice_raw, images=[str(mine.pk)], library=forged)
    assert response.status_code == 200
    block = _field_block(response.content.decode(), "library")
    assert "Choose a library: My library or Team library." in block
    assert "has-error" in block
    assert not Character.objects.exists()


def test_it_shows_every_character_form_error_beside_its_field(alice_raw, alice, team):
    make_character(team, alice, owner=alice, handle="mira")
    response = _character_form(
        alice_raw, name="", handle="mira", library="nowhere", images=["abc"], primary="abc"
    )
    html = response.content.decode()
    form = response.context["form"]
    assert set(form.errors) == {"name", "library", "images", "primary"}
    for name, errors in form.errors.items():
        block = _field_block(html, name)
        for error in errors:
            assert error in block, (name, error)


@pytest.mark.parametrize("forged", ["abc", str(10**25), str(2**63), "", "1.5"])
def test_it_refuses_to_switch_to_a_forged_team(alice_raw, alice, team, other_team, forged):
    response = alice_raw.post("/teams/switch/", {"team": forged, "next": "/library/"})
    assert response.status_code == 404
    assert alice_raw.session.get(SESSION_KEY) in (None, team.pk)


def test_it_refuses_to_switch_to_a_team_the_user_is_not_in(alice_raw, team, other_team):
    response = alice_raw.post("/teams/switch/", {"team": other_team.pk})
    assert response.status_code == 404
    assert alice_raw.session.get(SESSION_KEY) is None


def test_it_tells_why_a_team_switch_was_refused(alice_raw, team, other_team):
    response = alice_raw.post("/teams/switch/", {"team": "abc"})
    assert response.status_code == 404
    assert (
        "That team does not exist or you are not one of its members." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [
        ("/library/?kind=image", "/library/?kind=image"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example/", "/"),
        ("/library/\r\nSet-Cookie: x=1", "/library/%0D%0ASet-Cookie:%20x=1"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
def test_it_goes_only_to_a_page_of_this_site(alice_raw, alice, team, other_team, next_url, landing):
    other_team.add_member(alice)
    response = alice_raw.post("/teams/switch/", {"team": other_team.pk, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == landing
    assert alice_raw.session[SESSION_KEY] == other_team.pk


def test_it_keeps_searching_assets_when_a_filter_choice_is_forged(alice_raw, alice, team):
    make_asset(alice, team, name="Zephyrine portrait")
    make_asset(alice, team, name="Quillon frame")
    page = alice_raw.get("/library/", {"q": "zephyrine", "kind": "forged"}).content.decode()
    assert "Zephyrine portrait" in page
    assert "Quillon frame" not in page


def test_it_keeps_searching_characters_when_a_filter_choice_is_forged(alice_raw, alice, team):
    make_character(team, alice, owner=alice, handle="zephyrine")
    make_character(team, alice, owner=alice, handle="quillon")
    page = alice_raw.get("/library/characters/", {"q": "zeph", "library": "x"}).content.decode()
    assert "@zephyrine" in page
    assert "@quillon" not in page
