from projects.models import GenerationReference, ReferenceAsset
from tests.library.conftest import make_asset, make_character, make_generation, upload


def test_it_deletes_an_unused_asset_and_its_files(
    alice_client, local_storage, django_capture_on_commit_callbacks
):
    upload(alice_client, "tiny.png")
    asset = ReferenceAsset.objects.get()
    assert (local_storage / asset.file.name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/library/assets/{asset.pk}/delete/", follow=True)
    assert "deleted" in response.content.decode()
    assert not ReferenceAsset.objects.exists()
    assert not (local_storage / asset.file.name).exists()
    assert not (local_storage / asset.thumbnail.name).exists()


def test_it_archives_an_asset_a_generation_used_and_says_so(
    alice_client, alice, team, local_storage
):
    upload(alice_client, "tiny.png")
    asset = ReferenceAsset.objects.get()
    generation = make_generation(team, alice)
    GenerationReference.objects.create(generation=generation, asset=asset, kind="image", position=1)
    response = alice_client.post(f"/library/assets/{asset.pk}/delete/", follow=True)
    assert "archived instead of deleted" in response.content.decode()
    asset.refresh_from_db()
    assert asset.archived_at is not None
    assert (local_storage / asset.file.name).exists()
    assert generation.references.get().asset == asset
    assert asset.name not in alice_client.get("/library/").content.decode()


def test_it_archives_an_asset_a_character_uses(alice_client, alice, team):
    character = make_character(team, alice, owner=alice)
    asset = character.images.get().asset
    alice_client.post(f"/library/assets/{asset.pk}/delete/")
    asset.refresh_from_db()
    assert asset.archived_at is not None
    assert character.images.get().asset == asset


def test_it_only_accepts_post(alice_client, alice, team):
    asset = make_asset(alice, team)
    assert alice_client.get(f"/library/assets/{asset.pk}/delete/").status_code == 405


def test_it_forbids_a_member_to_delete_a_teammates_shared_asset(bob_client, alice, team):
    asset = make_asset(alice, team, shared=True)
    assert bob_client.post(f"/library/assets/{asset.pk}/delete/").status_code == 403
    assert ReferenceAsset.objects.filter(pk=asset.pk).exists()


def test_it_hides_personal_and_foreign_assets(bob_client, alice, team, charlie, other_team):
    for asset in (make_asset(alice, team), make_asset(charlie, other_team, shared=True)):
        assert bob_client.post(f"/library/assets/{asset.pk}/delete/").status_code == 404
    assert ReferenceAsset.objects.count() == 2
