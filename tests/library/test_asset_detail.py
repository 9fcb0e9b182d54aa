from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import GenerationReference, ReferenceAsset
from tests.library.conftest import make_asset, make_character, make_generation, upload


def test_it_shows_preview_and_facts(alice_client):
    upload(alice_client, "one_second.mp4", "beach.mp4")
    asset = ReferenceAsset.objects.get()
    response = alice_client.get(f"/library/assets/{asset.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "<video" in text
    assert asset.url in text
    assert "64 \u00d7 64 px" in text
    assert "<dt>Length</dt><dd>1 s</dd>" in text
    assert "Rename or tag" in text


def test_it_shows_an_image_and_audio_preview(alice_client, alice, team):
    image = make_asset(alice, team)
    audio = make_asset(alice, team, kind="audio", mime_type="audio/wav", duration=1.0)
    assert "<img" in alice_client.get(f"/library/assets/{image.pk}/").content.decode()
    assert "<audio" in alice_client.get(f"/library/assets/{audio.pk}/").content.decode()


def test_it_shows_where_the_asset_is_used(alice_client, alice, team):
    character = make_character(team, alice, owner=alice, handle="mira")
    asset = character.images.get().asset
    generation = make_generation(team, alice)
    GenerationReference.objects.create(
        generation=generation, asset=asset, kind="image", position=1, character=character
    )
    text = alice_client.get(f"/library/assets/{asset.pk}/").content.decode()
    assert "@mira" in text
    assert f"Video #{generation.pk} in" in text
    assert "@image1" in text


def test_it_shows_a_shared_asset_to_a_teammate_without_edit_buttons(bob_client, alice, team):
    asset = make_asset(alice, team, shared=True)
    response = bob_client.get(f"/library/assets/{asset.pk}/")
    assert response.status_code == 200
    assert "Rename or tag" not in response.content.decode()


def test_it_hides_a_personal_asset_from_a_teammate(bob_client, alice, team):
    asset = make_asset(alice, team)
    assert bob_client.get(f"/library/assets/{asset.pk}/").status_code == 404


def test_it_hides_assets_from_another_team(charlie_client, alice, team):
    asset = make_asset(alice, team, shared=True)
    assert charlie_client.get(f"/library/assets/{asset.pk}/").status_code == 404


def test_it_says_an_archived_asset_is_archived(alice_client, alice, team):
    asset = make_asset(alice, team, archived_at="2026-01-01T00:00:00Z")
    response = alice_client.get(f"/library/assets/{asset.pk}/")
    assert 'data-testid="archived-note"' in response.content.decode()


def test_it_names_only_the_viewers_own_videos_of_a_shared_asset(bob_client, alice, bob, team):
    asset = make_asset(alice, team, shared=True)
    private = make_generation(team, alice)
    private.project.name = "Alice - confidential pitch for Client X"
    private.project.save()
    second = make_generation(team, alice)
    bobs = make_generation(team, bob)
    for generation in (private, second, bobs):
        GenerationReference.objects.create(
            generation=generation, asset=asset, kind="image", position=1
        )
    text = bob_client.get(f"/library/assets/{asset.pk}/").content.decode()
    assert "confidential" not in text
    assert f"Video #{private.pk} " not in text
    assert f"/projects/{private.project_id}/" not in text
    assert f"Video #{bobs.pk} in" in text
    assert "Also used in 2 other videos" in text


def test_it_counts_other_videos_when_none_is_the_viewers(bob_client, alice, team):
    asset = make_asset(alice, team, shared=True)
    generation = make_generation(team, alice)
    GenerationReference.objects.create(generation=generation, asset=asset, kind="image", position=1)
    text = bob_client.get(f"/library/assets/{asset.pk}/").content.decode()
    assert "Used in 1 other video<" in text
    assert "Pilot" not in text


def test_its_queries_do_not_grow_with_the_uses(
    bob_client, alice, bob, team, django_assert_num_queries
):
    asset = make_asset(alice, team, shared=True)

    def use(user):
        generation = make_generation(team, user)
        GenerationReference.objects.create(
            generation=generation, asset=asset, kind="image", position=1
        )

    use(bob)
    use(alice)
    url = f"/library/assets/{asset.pk}/"
    bob_client.get(url)
    with CaptureQueriesContext(connection) as few:
        bob_client.get(url)
    assert len(few.captured_queries) <= 10
    for _ in range(3):
        use(bob)
        use(alice)
    with django_assert_num_queries(len(few.captured_queries)):
        text = bob_client.get(url).content.decode()
    assert "Also used in 4 other videos" in text
