import json

import pytest

from projects.models import Character
from tests.library.conftest import make_asset, make_character


@pytest.fixture
def images(alice, team):
    return [make_asset(alice, team, name=f"mira {i}") for i in range(1, 4)]


def _post(client, images, **fields):
    data = {"name": "Mira", "handle": "mira", "description": "", "library": "personal"}
    data.update(fields)
    data.setdefault("images", [str(a.pk) for a in images])
    return client.post("/library/characters/new/", data, **({}))


def test_it_creates_a_personal_character_with_ordered_images(alice_client, alice, team, images):
    ordered = [images[2], images[0], images[1]]
    response = _post(alice_client, ordered, primary=str(images[0].pk))
    character = Character.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/library/characters/{character.pk}/"
    assert (character.team, character.owner, character.created_by) == (team, alice, alice)
    assert [i.asset for i in character.ordered_images] == ordered
    assert character.primary_image.asset == images[0]


def test_it_defaults_the_primary_image_to_the_first(alice_client, images):
    _post(alice_client, images)
    assert Character.objects.get().primary_image.asset == images[0]


def test_it_creates_a_team_character(alice_client, images):
    _post(alice_client, images, library="team")
    character = Character.objects.get()
    assert character.owner is None
    assert character.is_team


def test_it_shares_the_images_of_a_team_character_with_the_team(alice_client, bob_client, images):
    _post(alice_client, images[:2], library="team")
    for asset in images:
        asset.refresh_from_db()
    assert [a.shared for a in images] == [True, True, False]
    assert bob_client.get(f"/library/assets/{images[0].pk}/").status_code == 200
    assert bob_client.get(f"/library/assets/{images[2].pk}/").status_code == 404


def test_it_answers_htmx_with_events_that_close_the_dialog_and_refresh_the_list(
    alice_client, images
):
    response = alice_client.post(
        "/library/characters/new/",
        {"name": "Mira", "handle": "@Mira", "library": "personal", "images": [images[0].pk]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    events = json.loads(response["HX-Trigger"])
    assert events["characterCreated"] == {"id": Character.objects.get().pk}
    assert "closeModal" in events
    assert Character.objects.get().handle == "mira"
    # The confirmation joins the page's messages; nothing else is swapped in.
    html = response.content.decode()
    assert 'hx-swap-oob="beforeend:#messages"' in html
    assert "@mira created." in html
    assert "<form" not in html


def test_it_rerenders_the_form_in_place_with_errors(alice_client, images):
    response = alice_client.post(
        "/library/characters/new/",
        {"name": "Mira", "handle": "image3", "library": "personal", "images": []},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith("<form")
    assert "prompts use @image1" in text
    assert "Choose between 1 and 9 images" in text or "This field is required" in text
    assert not Character.objects.exists()


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("video1", "prompts use @image1, @video1 and @audio1"),
        ("audio2", "prompts use @image1, @video1 and @audio1"),
        ("image3x", "prompts use @image1, @video1 and @audio1"),
        ("1mira", "starts with a letter"),
        ("mi ra", "starts with a letter"),
        ("m" * 41, "at most 40"),
    ],
)
def test_it_refuses_bad_handles(alice_client, images, handle, error):
    response = _post(alice_client, images, handle=handle)
    assert response.status_code == 200
    assert error in response.content.decode()


def test_it_refuses_a_handle_taken_in_the_same_library(alice_client, alice, team, images):
    make_character(team, alice, owner=alice, handle="mira")
    response = _post(alice_client, images)
    assert "@mira is already used in this library" in response.content.decode()
    assert Character.objects.count() == 1


def test_it_allows_the_same_handle_in_another_library(alice_client, alice, bob, team, images):
    make_character(team, alice, owner=None, handle="mira")
    make_character(team, bob, owner=bob, handle="mira")
    assert _post(alice_client, images).status_code == 302
    assert Character.objects.filter(handle="mira").count() == 3


def test_it_refuses_more_than_nine_images(alice_client, alice, team):
    many = [make_asset(alice, team) for _ in range(10)]
    response = _post(alice_client, many)
    assert "Choose between 1 and 9 images (10 chosen)" in response.content.decode()


def test_it_refuses_images_the_user_cannot_see(alice_client, bob, charlie, team, other_team):
    for foreign in (make_asset(bob, team), make_asset(charlie, other_team, shared=True)):
        response = _post(alice_client, [foreign])
        assert response.status_code == 200
        assert f"File {foreign.pk} is not an image in your library." in response.content.decode()
    assert not Character.objects.exists()


def test_it_refuses_video_as_a_character_image(alice_client, alice, team):
    video = make_asset(alice, team, kind="video")
    assert (
        f"File {video.pk} is not an image in your library."
        in _post(alice_client, [video]).content.decode()
    )


def test_it_shows_the_form_as_a_page_and_as_a_dialog_partial(alice_client, images):
    page = alice_client.get("/library/characters/new/").content.decode()
    assert "<html" in page and "mira 1" in page
    partial = alice_client.get("/library/characters/new/", headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith("<form")


def test_it_creates_in_the_current_team_only(charlie_client, charlie, other_team):
    asset = make_asset(charlie, other_team)
    _post(charlie_client, [asset], library="team")
    assert Character.objects.get().team == other_team
