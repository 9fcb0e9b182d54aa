"""The project page, the generation cards and their actions."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Generation, GenerationReference, LedgerEntry, ReferenceAsset
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.library.conftest import make_asset

pytestmark = pytest.mark.django_db
MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"


def make_generation(project, status="queued", **fields) -> Generation:
    generation = Generation.objects.create(
        project=project,
        created_by=project.owner,
        model=fields.pop("model", "seedance-20"),
        prompt=fields.pop("prompt", "@mira walks"),
        prompt_sent=fields.pop("prompt_sent", "@image1 walks"),
        status=status,
        credits_estimated=200,
        **fields,
    )
    return generation


def add_reference(generation, asset, position=1, **fields):
    return GenerationReference.objects.create(
        generation=generation,
        asset=asset,
        kind=asset.kind,
        position=position,
        url=asset.url,
        label=asset.name,
        **fields,
    )


def test_the_page_shows_the_composer_with_the_project_defaults(alice_client, project):
    project.default_model = "seedance2-fast"
    project.default_duration = 8
    project.default_aspect_ratio = "9:16"
    project.default_upscale_4k = True
    project.save()
    html = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'id="composer"' in html
    assert 'value="seedance2-fast" id="id_model_1" checked' in html
    assert '<option value="8" selected>' in html
    assert '<option value="9:16" selected>' in html
    assert "Quicker and cheaper than 2.0" in html
    assert "Seedance 2.0 Fast takes up to 9 images" in html
    # The price comes with the check the composer sends as it loads.
    assert 'hx-trigger="load, input from:#composer' in html
    check = alice_client.post(
        reverse("composer_check", args=[project.pk]),
        {
            "model": "seedance2-fast",
            "duration": "8",
            "aspect_ratio": "9:16",
            "upscale_4k": "on",
            "prompt": "a street",
        },
    )
    # Fast, 8 s, 4K: (28 + 28) * 8.
    assert "448 credits" in check.content.decode()


def test_the_page_lists_generations_newest_first_paginated(alice_client, project):
    for n in range(25):
        make_generation(project, prompt=f"shot {n}")
    html = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert html.count('data-testid="generation-card"') == 20
    assert html.index("shot 24") < html.index("shot 23")
    assert "Page 1" in html and "?page=2" in html
    html = alice_client.get(reverse("project_detail", args=[project.pk]) + "?page=2").content
    assert html.decode().count('data-testid="generation-card"') == 5
    assert b"?page=3" not in html and b"?page=1" in html
    for hostile in ("0", "-1", "x", "99999999999", "999"):
        response = alice_client.get(
            reverse("project_detail", args=[project.pk]) + f"?page={hostile}"
        )
        assert response.status_code == 200


def test_the_page_hides_archived_generations(alice_client, project):
    make_generation(project, prompt="kept")
    make_generation(project, prompt="gone", archived_at="2026-01-01T00:00:00Z")
    html = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert "kept" in html and "gone" not in html


def test_archived_videos_are_listed_apart_and_restored(alice_client, project):
    make_generation(project, status="success", prompt="kept")
    gone = make_generation(
        project, status="success", prompt="gone", archived_at="2026-01-01T00:00:00Z"
    )
    url = reverse("project_detail", args=[project.pk])
    html = alice_client.get(url).content.decode()
    assert 'href="?archived=1"' in html
    html = alice_client.get(url, {"archived": "1"}).content.decode()
    assert "gone" in html and "kept" not in html
    assert "Archived videos" in html and "Restore" in html
    restore = reverse("generation_unarchive", args=[gone.pk])
    assert f'action="{restore}"' in html

    response = alice_client.post(restore, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "restored" in response.content.decode()
    gone.refresh_from_db()
    assert gone.archived_at is None
    html = alice_client.get(url, {"archived": "1"}).content.decode()
    assert 'data-testid="generations-empty"' in html


def test_the_archived_list_is_paginated_too(alice_client, project):
    for _ in range(21):
        make_generation(project, status="success", archived_at="2026-01-01T00:00:00Z")
    url = reverse("project_detail", args=[project.pk])
    html = alice_client.get(url, {"archived": "1"}).content.decode()
    assert html.count('data-testid="generation-card"') == 20
    assert "?archived=1&amp;page=2" in html


def test_the_page_query_count_is_constant(alice_client, project, images, mira):
    url = reverse("project_detail", args=[project.pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(url).status_code == 200
        return len(queries)

    make_generation(project)
    count()  # the process reads the price versions once a minute, not per page
    few = count()
    for status in ("queued", "waiting", "success", "fail", "generating"):
        generation = make_generation(project, status=status)
        add_reference(generation, images[0])
        add_reference(generation, images[1], position=2, character=mira, handle="mira")
    assert count() == few <= 10


def test_the_status_partial_polls_until_finished(alice_client, project, images):
    generation = make_generation(project, status="generating")
    add_reference(generation, images[0])
    url = reverse("generation_detail", args=[generation.pk])
    response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Generating" in html
    # The tile shows the video; its references are on the video's own page.
    details = alice_client.get(url + "?part=details", headers={"HX-Request": "true"})
    assert details.status_code == 200
    assert "@image1" in details.content.decode()
    assert 'hx-trigger="every 2s"' in details.content.decode()

    Generation.objects.filter(pk=generation.pk).update(
        status="success",
        credits_used=200,
        output_width=1280,
        output_height=720,
        output_file="outputs/v.mp4",
        poster_file="outputs/p.webp",
    )
    response = alice_client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286
    html = response.content.decode()
    assert "every 2s" not in html
    assert "<video" in html and 'poster="/media/outputs/p.webp"' in html
    assert "200 credits ($1.00) charged" in html
    details = alice_client.get(url + "?part=details", headers={"HX-Request": "true"})
    assert details.status_code == 286
    assert "1280\u00d7720" in details.content.decode()


def test_a_failed_card_says_why_and_what_was_refunded(alice_client, project):
    generation = make_generation(
        project, status="fail", error_message="The prompt was rejected by the content policy."
    )
    response = alice_client.get(
        reverse("generation_detail", args=[generation.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 286
    html = response.content.decode()
    assert "rejected by the content policy" in html
    assert "200 credits refunded" in html


def test_a_queued_card_shows_its_place_in_line(alice_client, bob, team, project):
    from projects.models import Project

    bobs = Project.objects.create(team=team, owner=bob, name="Bob's")
    make_generation(bobs)
    mine = make_generation(project)
    html = alice_client.get(
        reverse("generation_detail", args=[mine.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "2nd in line" in html


def test_the_status_partial_query_count_is_constant(alice_client, project, images, mira):
    one = make_generation(project, status="generating")
    add_reference(one, images[0])
    many = make_generation(project, status="generating")
    for position, asset in enumerate(images + [i.asset for i in mira.ordered_images], 1):
        add_reference(many, asset, position=position)

    def count(generation):
        with CaptureQueriesContext(connection) as queries:
            alice_client.get(
                reverse("generation_detail", args=[generation.pk]),
                headers={"HX-Request": "true"},
            )
        return len(queries)

    count(one)  # the process reads the price versions once a minute, not per poll
    assert count(one) == count(many) <= 10


def test_the_status_url_is_also_a_page(alice_client, project):
    generation = make_generation(project)
    html = alice_client.get(reverse("generation_detail", args=[generation.pk])).content.decode()
    assert "<html" in html and 'data-testid="video-page"' in html


def test_rerun_makes_a_new_reserved_generation(alice_client, project, images, mira):
    old = make_generation(project, status="success", credits_used=200)
    add_reference(old, images[0])
    add_reference(old, mira.primary_image.asset, position=2, character=mira, handle="mira")
    Generation.objects.filter(pk=old.pk).update(prompt="@mira meets @image1")
    response = alice_client.post(
        reverse("generation_rerun", args=[old.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    new = Generation.objects.exclude(pk=old.pk).get()
    assert new.status == "queued" and new.prompt == "@mira meets @image1"
    assert new.prompt_sent == "@image2 meets @image1"
    assert [(r.position, r.character_id) for r in new.references.order_by("position")] == [
        (1, None),
        (2, mira.pk),
    ]
    assert LedgerEntry.objects.filter(generation=new, kind="reserve").count() == 1
    assert f'id="generation-{new.pk}"' in response.content.decode()
    assert "queued again" in response.content.decode()


def test_edit_in_composer_fills_it(alice_client, project, images, mira):
    old = make_generation(
        project, status="fail", model="seedance2-fast", duration=9, aspect_ratio="21:9"
    )
    Generation.objects.filter(pk=old.pk).update(prompt="@mira again")
    add_reference(old, mira.primary_image.asset, character=mira, handle="mira")
    html = alice_client.get(
        reverse("project_detail", args=[project.pk]) + f"?from={old.pk}"
    ).content.decode()
    assert "@mira again</textarea>" in html
    assert '<option value="9" selected>' in html and '<option value="21:9" selected>' in html
    assert f"&quot;value&quot;: &quot;{mira.primary_image.asset_id}:{mira.pk}&quot;" in html or (
        f'"value": "{mira.primary_image.asset_id}:{mira.pk}"' in html
    )


def test_continue_adds_the_last_frame_to_the_library_and_composer(
    alice_client, alice, team, project, local_storage
):
    name = default_storage.save("frames/last.png", ContentFile((MEDIA / "tiny.png").read_bytes()))
    generation = make_generation(project, status="success", last_frame_file=name)
    response = alice_client.post(
        reverse("generation_continue", args=[generation.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    asset = ReferenceAsset.objects.get(owner=alice, team=team)
    assert asset.kind == "image" and "last frame" in asset.name
    assert str(asset.pk) in response.headers["HX-Trigger"]
    assert "composerAdd" in response.headers["HX-Trigger"]

    plain = alice_client.post(reverse("generation_continue", args=[generation.pk]))
    assert plain.status_code == 302 and plain.url.endswith(f"?add={asset.pk}#composer")
    assert ReferenceAsset.objects.count() == 1
    page = alice_client.get(plain.url.split("#")[0]).content.decode()
    assert f"&quot;value&quot;: &quot;{asset.pk}&quot;" in page or f'"value": "{asset.pk}"' in page


def test_archive_hides_the_card(alice_client, project):
    generation = make_generation(project, status="success")
    response = alice_client.post(
        reverse("generation_archive", args=[generation.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    generation.refresh_from_db()
    assert generation.archived_at is not None
    assert "archived" in response.content.decode()


def test_download_serves_the_stored_video(alice_client, project, local_storage):
    name = default_storage.save(
        "outputs/v.mp4", ContentFile((MEDIA / "one_second.mp4").read_bytes())
    )
    generation = make_generation(project, status="success", output_file=name)
    response = alice_client.get(reverse("generation_download", args=[generation.pk]))
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert b"".join(response.streaming_content) == (MEDIA / "one_second.mp4").read_bytes()


def test_the_picker_lists_assets_and_characters(alice_client, bob, team, project, images, mira):
    shared = make_asset(bob, team, shared=True, name="bob shared")
    make_asset(bob, team, name="bob private")
    url = reverse("composer_picker", args=[project.pk])
    html = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "frame 1" in html and "bob shared" in html and "bob private" not in html
    assert "@mira" in html and "2 images" in html
    html = alice_client.get(url + "?kind=character", headers={"HX-Request": "true"}).content
    assert b"frame 1" not in html and b"@mira" in html
    html = alice_client.get(url + "?q=bob", headers={"HX-Request": "true"}).content
    assert b"bob shared" in html and b"frame 1" not in html
    html = alice_client.get(url + f"?asset={shared.pk}", headers={"HX-Request": "true"}).content
    assert html.decode().count('data-testid="pick-asset"') == 1


def test_an_unfinished_video_is_not_archived(alice_client, project):
    generation = make_generation(project, status="generating")
    response = alice_client.post(
        reverse("generation_archive", args=[generation.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "still being made" in response.content.decode()
    generation.refresh_from_db()
    assert generation.archived_at is None


def test_missing_files_are_a_message_or_404_not_a_500(alice_client, project, local_storage):
    generation = make_generation(
        project, status="success", output_file="outputs/gone.mp4", last_frame_file="frames/gone.png"
    )
    download = alice_client.get(reverse("generation_download", args=[generation.pk]))
    assert download.status_code == 404
    continued = alice_client.post(
        reverse("generation_continue", args=[generation.pk]), headers={"HX-Request": "true"}
    )
    assert continued.status_code == 422
    assert "missing from storage" in continued.content.decode()
    assert not ReferenceAsset.objects.exists()


def test_continue_refuses_a_video_without_last_frame(alice_client, project):
    generation = make_generation(project, status="fail")
    response = alice_client.post(reverse("generation_continue", args=[generation.pk]))
    assert response.status_code == 404


def test_rerun_keeps_a_video_before_the_images(alice_client, project, images, video):
    from tests.generations.composer_fixtures import composer_post

    data = composer_post([video, images[0]], prompt="@video1 moves past @image1")
    alice_client.post(
        reverse("generation_submit", args=[project.pk]), data, headers={"HX-Request": "true"}
    )
    old = Generation.objects.get()
    assert old.request_payload["inputs"]["urls"] == [video.url, images[0].url]
    alice_client.post(reverse("generation_rerun", args=[old.pk]), headers={"HX-Request": "true"})
    new = Generation.objects.exclude(pk=old.pk).get()
    assert new.request_payload["inputs"]["urls"] == [video.url, images[0].url]


def test_a_worst_case_reservation_says_it_is_the_most_it_can_cost(alice_client, project):
    """A reference video of unknown length: what is reserved is the most the video can
    cost, and its tile and page say so (a plain reservation says nothing more)."""
    worst = make_generation(project, status="generating", estimate_worst_case=True)
    plain = make_generation(project, status="generating")
    page = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    tiles = {
        generation.pk: page.split(f'id="generation-{generation.pk}"')[1].split("</article>")[0]
        for generation in (worst, plain)
    }
    assert 'reserved, <span data-testid="worst-case">the most it can cost' in tiles[worst.pk]
    assert "the most it can cost" not in tiles[plain.pk]
    video = alice_client.get(reverse("generation_detail", args=[worst.pk])).content.decode()
    assert 'reserved <span data-testid="worst-case">· the most it can cost' in video
    video = alice_client.get(reverse("generation_detail", args=[plain.pk])).content.decode()
    assert 'data-testid="worst-case"' not in video
