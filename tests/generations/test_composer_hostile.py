"""Hostile input on the composer and the video actions: a clear 4xx with its reason on
the page, nothing stored, no credit spent; never a 500."""

import pytest
from django.urls import reverse

from projects.models import Generation, LedgerEntry
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post
from tests.library.conftest import make_asset, make_character

pytestmark = pytest.mark.django_db

HUGE = "9" * 30  # past any database integer
HTMX = {"HX-Request": "true"}


def nothing_spent():
    return not Generation.objects.exists() and not LedgerEntry.objects.exists()


@pytest.fixture
def finished(project, alice):
    return Generation.objects.create(
        project=project,
        created_by=alice,
        model="seedance-20",
        prompt="@image1 walks",
        status=Generation.Status.SUCCESS,
        credits_estimated=200,
    )


@pytest.mark.parametrize(
    "url",
    [
        f"/projects/{HUGE}/",
        f"/projects/{HUGE}/compose/check/",
        f"/projects/{HUGE}/compose/",
        f"/projects/{HUGE}/compose/references/",
        f"/videos/{HUGE}/",
        f"/videos/{HUGE}/rerun/",
        f"/videos/{HUGE}/continue/",
        f"/videos/{HUGE}/archive/",
        f"/videos/{HUGE}/download/",
    ],
)
def test_a_huge_id_in_the_url_is_not_found(alice_client, url):
    assert alice_client.get(url).status_code == 404
    assert alice_client.post(url).status_code == 404


@pytest.mark.parametrize("field", ["from", "add", "page"])
def test_huge_query_values_on_the_project_page_are_harmless(alice_client, project, field):
    response = alice_client.get(reverse("project_detail", args=[project.pk]), {field: HUGE})
    assert response.status_code in (200, 404)
    if field == "add":
        assert response.status_code == 200


def test_the_picker_takes_huge_and_odd_filters(alice_client, project, images):
    url = reverse("composer_picker", args=[project.pk])
    for query in ({"asset": HUGE}, {"kind": "'; drop"}, {"q": "x" * 5000}, {"q": "\x00"}):
        response = alice_client.get(url, query, headers=HTMX)
        assert response.status_code == 200, query


@pytest.mark.parametrize(
    "references",
    [
        [HUGE],
        [f"1:{HUGE}"],
        ["-1"],
        ["1:-1"],
        ["1:2:3"],
        [""],
    ],
)
def test_forged_reference_values_are_refused_on_submit(alice_client, project, references):
    url = reverse("generation_submit", args=[project.pk])
    response = alice_client.post(url, composer_post(references), headers=HTMX)
    assert response.status_code == 422
    assert 'data-testid="composer-errors"' in response.content.decode()
    assert nothing_spent()


def test_another_users_asset_and_character_are_refused(
    alice_client, project, charlie, other_team, bob, team
):
    outsider_file = make_asset(charlie, other_team, shared=True)
    private_character = make_character(team, bob, owner=bob, handle="secret", images=1)
    image = private_character.ordered_images[0]
    url = reverse("generation_submit", args=[project.pk])
    for references in ([outsider_file.pk], [f"{image.asset_id}:{private_character.pk}"]):
        response = alice_client.post(url, composer_post(references), headers=HTMX)
        assert response.status_code == 422
        assert 'data-testid="composer-errors"' in response.content.decode()
    assert nothing_spent()


def test_forged_kinds_and_positions_are_ignored(alice_client, project, images):
    """Kind and position come from the stored asset and the order, never from the post."""
    data = composer_post(images, prompt="@image1 and @image2")
    data.update({"kind": "video", "position": "7", "references-kind": "audio"})
    url = reverse("generation_submit", args=[project.pk])
    assert alice_client.post(url, data, headers=HTMX).status_code == 200
    kinds = list(Generation.objects.get().references.values_list("kind", "position"))
    assert sorted(kinds) == [("image", 1), ("image", 2)]


def test_a_5000_character_prompt_is_refused_with_the_limit(alice_client, project, images):
    url = reverse("generation_submit", args=[project.pk])
    data = composer_post(images, prompt="@image1 " + "a" * 5000)
    response = alice_client.post(url, data, headers=HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "4000" in html and 'data-testid="composer-errors"' in html
    assert nothing_spent()


@pytest.mark.parametrize(
    "field, value",
    [("model", "seedance-99"), ("duration", "99999999999999999999"), ("aspect_ratio", "1:0")],
)
def test_out_of_range_choices_are_refused(alice_client, project, images, field, value):
    url = reverse("generation_submit", args=[project.pk])
    response = alice_client.post(url, composer_post(images, **{field: value}), headers=HTMX)
    assert response.status_code == 422
    assert 'data-testid="composer-errors"' in response.content.decode()
    assert nothing_spent()


def test_a_non_utf8_body_is_refused_or_read_safely(alice_client, project, images):
    body = (
        b"model=seedance-20&duration=5&aspect_ratio=16%3A9&idempotency_key=k"
        b"&references=" + str(images[0].pk).encode() + b"&prompt=%40image1+%FF%FE+walks"
    )
    for url in (
        reverse("composer_check", args=[project.pk]),
        reverse("generation_submit", args=[project.pk]),
    ):
        response = alice_client.generic(
            "POST", url, body, content_type="application/x-www-form-urlencoded", headers=HTMX
        )
        assert response.status_code < 500


@pytest.mark.parametrize("key", [None, "", "k" * 41])
def test_a_missing_or_forged_idempotency_key_is_refused(alice_client, project, images, key):
    data = composer_post(images, idempotency_key=key)
    if key is None:
        del data["idempotency_key"]
    url = reverse("generation_submit", args=[project.pk])
    response = alice_client.post(url, data, headers=HTMX)
    assert response.status_code == 422
    assert "reload the page" in response.content.decode()
    assert nothing_spent()


def test_an_empty_post_is_refused_with_its_reasons(alice_client, project):
    for name in ("composer_check", "generation_submit"):
        response = alice_client.post(reverse(name, args=[project.pk]), {}, headers=HTMX)
        assert response.status_code in (200, 422)
        assert 'data-testid="composer-errors"' in response.content.decode()
    assert nothing_spent()


def test_archiving_an_unfinished_video_is_refused_with_its_reason(alice_client, project, alice):
    running = Generation.objects.create(
        project=project, created_by=alice, model="seedance-20", prompt="x", status="waiting"
    )
    response = alice_client.post(reverse("generation_archive", args=[running.pk]), headers=HTMX)
    assert response.status_code == 422
    assert "still being made" in response.content.decode()
    running.refresh_from_db()
    assert running.archived_at is None


def test_continue_without_a_last_frame_is_not_found(alice_client, finished):
    response = alice_client.post(reverse("generation_continue", args=[finished.pk]))
    assert response.status_code == 404


def test_download_without_a_file_is_not_found(alice_client, finished):
    assert alice_client.get(reverse("generation_download", args=[finished.pk])).status_code == 404


def test_get_on_the_actions_is_refused(alice_client, project, finished):
    for url in (
        reverse("composer_check", args=[project.pk]),
        reverse("generation_submit", args=[project.pk]),
        reverse("generation_rerun", args=[finished.pk]),
        reverse("generation_continue", args=[finished.pk]),
        reverse("generation_archive", args=[finished.pk]),
    ):
        assert alice_client.get(url).status_code == 405
