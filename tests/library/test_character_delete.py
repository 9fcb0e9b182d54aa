from projects.models import Character, ReferenceAsset
from tests.library.conftest import make_character


def test_it_deletes_a_character_and_keeps_its_images(alice_client, alice, team):
    character = make_character(team, alice, owner=alice, handle="mira", images=2)
    response = alice_client.post(f"/library/characters/{character.pk}/delete/")
    assert response.status_code == 302
    assert not Character.objects.exists()
    assert ReferenceAsset.objects.count() == 2


def test_it_lets_the_creator_delete_a_team_character(bob_client, bob, team):
    character = make_character(team, bob, owner=None, handle="mira")
    assert bob_client.post(f"/library/characters/{character.pk}/delete/").status_code == 302


def test_it_forbids_a_member_to_delete_someone_elses_team_character(bob_client, alice, team):
    character = make_character(team, alice, owner=None, handle="mira")
    assert bob_client.post(f"/library/characters/{character.pk}/delete/").status_code == 403
    assert Character.objects.exists()


def test_it_only_accepts_post(alice_client, alice, team):
    character = make_character(team, alice, owner=alice)
    assert alice_client.get(f"/library/characters/{character.pk}/delete/").status_code == 405


def test_it_hides_personal_and_foreign_characters(bob_client, alice, team, charlie, other_team):
    for character in (
        make_character(team, alice, owner=alice, handle="mira"),
        make_character(other_team, charlie, owner=None, handle="globex"),
    ):
        assert bob_client.post(f"/library/characters/{character.pk}/delete/").status_code == 404
    assert Character.objects.count() == 2
