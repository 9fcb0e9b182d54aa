from projects.models import Character
from tests.library.conftest import make_asset, make_character


def test_it_copies_a_team_character_to_my_library(bob_client, alice, bob, team):
    original = make_character(team, alice, owner=None, handle="mira", images=3)
    response = bob_client.post(f"/library/characters/{original.pk}/copy/", follow=True)
    copy = Character.objects.get(owner=bob)
    assert response.redirect_chain[-1][0] == f"/library/characters/{copy.pk}/"
    assert "copied to your library" in response.content.decode()
    assert (copy.handle, copy.created_by, copy.team) == ("mira", bob, team)
    assert [i.asset for i in copy.ordered_images] == [i.asset for i in original.ordered_images]
    assert copy.primary_image.asset == original.primary_image.asset


def test_it_copies_my_character_to_the_team_library(bob_client, bob, team):
    original = make_character(team, bob, owner=bob, handle="mira")
    bob_client.post(f"/library/characters/{original.pk}/copy/")
    assert Character.objects.for_team(team).get().handle == "mira"


def test_it_refuses_when_the_handle_exists_in_the_target(bob_client, alice, bob, team):
    original = make_character(team, alice, owner=None, handle="mira")
    make_character(team, bob, owner=bob, handle="mira")
    response = bob_client.post(f"/library/characters/{original.pk}/copy/", follow=True)
    assert "@mira already exists in your library" in response.content.decode()
    assert Character.objects.count() == 2


def test_it_only_accepts_post(bob_client, alice, team):
    original = make_character(team, alice, owner=None)
    assert bob_client.get(f"/library/characters/{original.pk}/copy/").status_code == 405


def test_it_hides_personal_and_foreign_characters(bob_client, alice, team, charlie, other_team):
    for character in (
        make_character(team, alice, owner=alice, handle="mira"),
        make_character(other_team, charlie, owner=None, handle="globex"),
    ):
        assert bob_client.post(f"/library/characters/{character.pk}/copy/").status_code == 404
    assert Character.objects.count() == 2


def test_it_never_shares_a_teammates_file_on_copying_to_the_team(
    alice_client, bob_client, alice, bob, team
):
    asset = make_asset(alice, team, shared=True)
    response = bob_client.post(
        "/library/characters/new/",
        {"library": "personal", "name": "Mira", "handle": "mira", "images": [asset.pk]},
    )
    assert response.status_code == 302
    mine = Character.objects.get(owner=bob)

    # Alice may not take the file back while bob's character uses it...
    response = alice_client.post(f"/library/assets/{asset.pk}/edit/", {"name": "x", "tags": ""})
    assert "teammate&#x27;s character uses this file" in response.content.decode()
    asset.refresh_from_db()
    assert asset.shared

    # ...and copying bob's character to the team shares only bob's own files.
    own = make_asset(bob, team)
    mine.set_images([asset, own], asset, by=bob)
    bob_client.post(f"/library/characters/{mine.pk}/copy/")
    own.refresh_from_db()
    assert own.shared
    assert Character.objects.get(owner=None).ordered_images[0].asset == asset


def test_it_lets_the_owner_unshare_a_file_only_their_own_characters_use(alice_client, alice, team):
    character = make_character(team, alice, owner=alice)
    asset = character.primary_image.asset
    asset.shared = True
    asset.save()
    response = alice_client.post(f"/library/assets/{asset.pk}/edit/", {"name": "x", "tags": ""})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert not asset.shared
