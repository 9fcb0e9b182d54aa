from projects.models import Character
from tests.library.conftest import make_asset, make_character


def test_it_reorders_images_and_changes_the_primary(alice_client, alice, team):
    character = make_character(team, alice, owner=alice, handle="mira", images=3)
    a, _b, c = [i.asset for i in character.ordered_images]
    response = alice_client.post(
        f"/library/characters/{character.pk}/edit/",
        {"name": "Mira L.", "handle": "mira", "images": [c.pk, a.pk], "primary": c.pk},
    )
    assert response.status_code == 302
    character = Character.objects.get(pk=character.pk)
    assert character.name == "Mira L."
    assert [i.asset for i in character.ordered_images] == [c, a]
    assert character.primary_image.asset == c


def test_it_keeps_a_teammates_image_on_a_team_character(alice_client, alice, bob, team):
    character = make_character(team, bob, owner=None, handle="mira", images=1)
    bobs_image = character.images.get().asset
    mine = make_asset(alice, team)
    response = alice_client.post(
        f"/library/characters/{character.pk}/edit/",
        {"name": "Mira", "handle": "mira", "images": [bobs_image.pk, mine.pk]},
    )
    assert response.status_code == 302
    assert [i.asset for i in character.ordered_images] == [bobs_image, mine]


def test_it_refuses_a_handle_taken_in_the_library(alice_client, alice, team):
    make_character(team, alice, owner=alice, handle="taken")
    character = make_character(team, alice, owner=alice, handle="mira")
    response = alice_client.post(
        f"/library/characters/{character.pk}/edit/",
        {"name": "x", "handle": "taken", "images": [character.images.get().asset_id]},
    )
    assert "@taken is already used in this library" in response.content.decode()


def test_it_shows_the_form_with_current_images_first(alice_client, alice, team):
    make_asset(alice, team, name="newer asset")
    character = make_character(team, alice, owner=alice, handle="mira")
    text = alice_client.get(f"/library/characters/{character.pk}/edit/").content.decode()
    name = character.images.get().asset.name
    assert text.index(name) < text.index("newer asset")


def test_it_lets_a_team_admin_edit_a_members_team_character(alice_client, bob, team):
    character = make_character(team, bob, owner=None, handle="mira")
    response = alice_client.post(
        f"/library/characters/{character.pk}/edit/",
        {"name": "By admin", "handle": "mira", "images": [character.images.get().asset_id]},
    )
    assert response.status_code == 302


def test_it_forbids_a_member_to_edit_someone_elses_team_character(bob_client, alice, team):
    character = make_character(team, alice, owner=None, handle="mira")
    assert bob_client.get(f"/library/characters/{character.pk}/edit/").status_code == 403
    response = bob_client.post(
        f"/library/characters/{character.pk}/edit/", {"name": "x", "handle": "mira"}
    )
    assert response.status_code == 403


def test_it_hides_personal_and_foreign_characters(bob_client, alice, team, charlie, other_team):
    for character in (
        make_character(team, alice, owner=alice, handle="mira"),
        make_character(other_team, charlie, owner=None, handle="globex"),
    ):
        assert bob_client.get(f"/library/characters/{character.pk}/edit/").status_code == 404
