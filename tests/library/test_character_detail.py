from projects.models import GenerationReference
from tests.library.conftest import make_character, make_generation


def test_it_shows_images_in_order_and_where_the_character_was_used(alice_client, alice, team):
    character = make_character(team, alice, owner=alice, handle="mira", images=3)
    generation = make_generation(team, alice, prompt="@mira dances")
    first = character.ordered_images[0].asset
    GenerationReference.objects.create(
        generation=generation, asset=first, kind="image", position=1, character=character
    )
    response = alice_client.get(f"/library/characters/{character.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-testid="character-image"') == 3
    assert "primary" in text
    assert f"#{generation.pk} @mira dances" in text
    assert "Pilot" in text


def test_it_shows_a_team_character_to_a_teammate_with_copy_but_no_edit(bob_client, alice, team):
    character = make_character(team, alice, owner=None, handle="mira")
    text = bob_client.get(f"/library/characters/{character.pk}/").content.decode()
    assert "Copy to my library" in text
    assert "Edit" not in text


def test_it_shows_edit_to_a_team_admin(alice_client, bob, team):
    character = make_character(team, bob, owner=None, handle="mira")
    text = alice_client.get(f"/library/characters/{character.pk}/").content.decode()
    assert ">Edit<" in text


def test_it_hides_a_personal_character_from_a_teammate(bob_client, alice, team):
    character = make_character(team, alice, owner=alice, handle="mira")
    assert bob_client.get(f"/library/characters/{character.pk}/").status_code == 404


def test_it_hides_team_characters_from_another_team(charlie_client, alice, team):
    character = make_character(team, alice, owner=None, handle="mira")
    assert charlie_client.get(f"/library/characters/{character.pk}/").status_code == 404
