from tests.library.conftest import make_asset, make_character


def test_it_renames_and_tags_in_place(alice_client, alice, team):
    asset = make_asset(alice, team, name="IMG_0001")
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/",
        {"name": "Mira, front", "tags": "Portrait, #mira  portrait"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div class="panel" id="asset-info">')
    assert "Mira, front" in text
    asset.refresh_from_db()
    assert asset.name == "Mira, front"
    assert sorted(asset.tags.values_list("name", flat=True)) == ["mira", "portrait"]
    assert asset.shared is False


def test_it_replaces_tags_and_shares(alice_client, alice, team):
    asset = make_asset(alice, team)
    asset.set_tags(["old", "keep"])
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/", {"name": "x", "tags": "keep new", "shared": "on"}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert sorted(asset.tags.values_list("name", flat=True)) == ["keep", "new"]
    assert asset.shared is True


def test_it_shows_the_form_in_place(alice_client, alice, team):
    asset = make_asset(alice, team, name="frame")
    response = alice_client.get(f"/library/assets/{asset.pk}/edit/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert text.lstrip().startswith("<form")
    assert 'value="frame"' in text
    full = alice_client.get(f"/library/assets/{asset.pk}/edit/").content.decode()
    assert "<html" in full and 'name="tags"' in full


def test_it_rejects_bad_tags(alice_client, alice, team):
    asset = make_asset(alice, team)
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/", {"name": "x", "tags": "<script>"}
    )
    assert response.status_code == 200
    assert "is not a tag" in response.content.decode()
    assert not asset.tags.exists()


def test_it_lets_a_team_admin_edit_a_shared_asset(alice_client, bob, team):
    asset = make_asset(bob, team, shared=True)
    response = alice_client.post(f"/library/assets/{asset.pk}/edit/", {"name": "renamed"})
    assert response.status_code == 302


def test_it_forbids_a_member_to_edit_a_teammates_shared_asset(bob_client, alice, team):
    asset = make_asset(alice, team, shared=True)
    response = bob_client.post(f"/library/assets/{asset.pk}/edit/", {"name": "mine now"})
    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.name != "mine now"


def test_it_hides_personal_and_foreign_assets(bob_client, charlie, other_team, alice, team):
    personal = make_asset(alice, team)
    foreign = make_asset(charlie, other_team, shared=True)
    for asset in (personal, foreign):
        assert bob_client.get(f"/library/assets/{asset.pk}/edit/").status_code == 404
        response = bob_client.post(f"/library/assets/{asset.pk}/edit/", {"name": "x"})
        assert response.status_code == 404


def test_it_keeps_an_asset_of_a_team_character_shared(alice_client, alice, team):
    character = make_character(team, alice, owner=None)
    asset = character.primary_image.asset
    assert asset.shared  # shared when it joined the team character
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/", {"name": "mira", "tags": "", "shared": ""}
    )
    assert response.status_code == 200
    assert "stays shared with the team" in response.content.decode()
    asset.refresh_from_db()
    assert asset.shared
