"""A video's own page: the player, its facts and references, previous and next."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Generation, PriceVersion
from projects.models.generation import (
    FAILURE_FALLBACK,
    FAILURE_SENTENCES,
    SERVER_PROBLEM,
    failure_sentence,
)
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.test_composer_pages import add_reference, make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seed_prices():
    """These videos are made without a submit, which is what writes the first price version
    again when a transactional test (a browser test) has emptied the table before."""
    PriceVersion.objects.in_effect()


def test_it_shows_the_player_facts_references_and_actions(alice_client, project, images, mira):
    video = make_generation(
        project,
        status="success",
        credits_used=180,
        output_file="outputs/v.mp4",
        poster_file="posters/v.png",
        output_width=1280,
        output_height=720,
        aspect_ratio="9:16",
        prompt="@mira crosses the square at dusk",
    )
    add_reference(video, images[0])
    add_reference(video, images[1], position=2, character=mira, handle="mira")
    html = alice_client.get(reverse("generation_detail", args=[video.pk])).content.decode()
    assert "data-player" in html and 'poster="/media/posters/v.png"' in html
    assert f'aria-label="Video {video.pk}: @mira crosses the square at dusk"' in html
    assert "ratio-916" in html and "1280\u00d7720" in html
    assert "180 credits ($0.90) charged" in html
    assert "@image1" in html and "@image2" in html and "@mira" in html
    assert images[0].thumbnail_url in html
    assert "Sent to Kinovi" in html and "@image1 walks" in html
    for action in ("Download", "Re-run", "Edit in composer", "Archive"):
        assert action in html


def test_newer_and_older_follow_the_project_page_order(alice_client, project):
    first, second, third = (make_generation(project, prompt=f"shot {n}") for n in range(3))
    archived = make_generation(project, archived_at="2026-01-01T00:00:00Z")
    assert second.neighbours() == (third.pk, first.pk)
    assert first.neighbours() == (second.pk, None)
    assert third.neighbours() == (None, second.pk)
    assert archived.neighbours() == (None, None)
    html = alice_client.get(reverse("generation_detail", args=[second.pk])).content.decode()
    assert f'href="/videos/{third.pk}/" rel="prev" data-shortcut="k"' in html
    assert f'href="/videos/{first.pk}/" rel="next" data-shortcut="j"' in html
    html = alice_client.get(reverse("generation_detail", args=[third.pk])).content.decode()
    assert 'rel="prev"' not in html


def test_an_unfinished_videos_page_follows_it(alice_client, project):
    video = make_generation(project, status="generating", aspect_ratio="21:9")
    html = alice_client.get(reverse("generation_detail", args=[video.pk])).content.decode()
    assert f'hx-get="/videos/{video.pk}/?part=details"' in html
    assert "tile-placeholder placeholder-generating" in html and "ratio-219" in html
    assert "credits ($1.00) reserved" in html


def test_the_page_query_count_is_constant(alice_client, project, images, mira):
    few = make_generation(project, status="success")
    add_reference(few, images[0])
    many = make_generation(project, status="success")
    for position, asset in enumerate(images + [i.asset for i in mira.ordered_images], 1):
        add_reference(many, asset, position=position)
    make_generation(project)

    def count(video: Generation) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert (
                alice_client.get(reverse("generation_detail", args=[video.pk])).status_code == 200
            )
        return len(queries)

    count(few)  # the process reads the price versions once a minute, not per page
    assert count(few) == count(many) <= 12


def test_cards_say_what_the_worker_does_and_in_plain_words(
    alice_client, alice, project, local_storage
):
    from django.utils import timezone

    from tests.fixtures.realistic import compose, finish
    from tests.library.conftest import make_asset

    image = make_asset(alice, project.team, name="harbour")
    retrying = compose(project, alice, "@image1 at dawn", [str(image.pk)])
    finish(retrying, "retry_5xx")
    busy = compose(project, alice, "@image1 at dusk", [str(image.pk)])
    finish(busy, "retry_429")
    refused = compose(project, alice, "@image1 at noon", [str(image.pk)])
    finish(refused, "fail_instant")
    paused = compose(project, alice, "@image1 at night", [str(image.pk)])
    finish(paused, "sending")
    paused.give_up(
        "Our Kinovi account is out of credits (402). An admin has been told.", code="402"
    )

    def tile(generation) -> str:
        return alice_client.get(
            reverse("generation_detail", args=[generation.pk]), headers={"HX-Request": "true"}
        ).content.decode()

    html = tile(Generation.objects.get(pk=retrying.pk))
    assert re.search(r"Kinovi had a problem — trying again in \d s \(attempt 2 of 6\)", html)
    assert "in line" not in html
    html = tile(Generation.objects.get(pk=busy.pk))
    assert re.search(r"Kinovi is busy — trying again in \d s<", html)
    Generation.objects.filter(pk=busy.pk).update(next_attempt_at=timezone.now())
    assert "Kinovi is busy — trying again now" in tile(busy)
    html = tile(refused)
    assert "refused at once" in html and "took 0 s" not in html
    # Our account's trouble is not the member's to read; staff see it.
    html = tile(paused)
    assert "Video generation is paused for your team; an admin has been told." in html
    assert "out of credits" not in html
    alice.is_staff = True
    alice.save()
    assert "out of credits (402)" in tile(paused)


def test_a_new_video_makes_its_project_the_most_recently_updated(alice, project, local_storage):
    from projects.models import Project
    from tests.fixtures.realistic import compose
    from tests.library.conftest import make_asset

    other = Project.objects.create(team=project.team, owner=alice, name="Newer")
    assert Project.objects.for_user(alice, project.team).first() == other
    image = make_asset(alice, project.team, name="harbour")
    compose(project, alice, "@image1 at dawn", [str(image.pk)])
    assert Project.objects.for_user(alice, project.team).first() == project


@pytest.mark.parametrize(
    ("code", "message", "sentence"),
    [
        # The worker's last try, naming the exception and the request: its code speaks.
        (
            "unreachable",
            "Kinovi couldn't take it after 6 tries "
            "(last: Could not reach Kinovi for /api/v1/jobs/createTask: ConnectError.)",
            "Kinovi could not be reached, so the video was not made.",
        ),
        ("502", "No answer from Kinovi for /jobs/createTask: ReadTimeout.", SERVER_PROBLEM),
        (
            "upload",
            "Could not send a reference to Kinovi: ConnectError.",
            FAILURE_SENTENCES["upload"],
        ),
        # Kinovi's own words, and the worker's plain ones, are shown as they are.
        ("2038", "Kinovi refused the prompt: it breaks the content rules.", None),
        ("402", "Our Kinovi account is out of credits (402). An admin has been told.", None),
        # Nothing readable and no known code: a plain refusal.
        ("weird", "<html><body>Bad Gateway</body></html>", FAILURE_FALLBACK),
        ("", "", FAILURE_FALLBACK),
    ],
)
def test_a_failure_is_said_in_a_sentence_never_an_exceptions_name(code, message, sentence):
    assert failure_sentence(code, message) == (sentence or message)
