"""The worker against the Kinovi simulator, webhooks delivered to the live app."""

import shutil
import time

import pytest
from django.urls import reverse

from projects import worker
from projects.models import Generation, LedgerEntry
from tests.generations.composer_fixtures import composer_post
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import FIXTURES, S, run_worker
from tests.library.conftest import make_asset

START_BALANCE = 100_000


def _finished(*generations) -> bool:
    return all(g.is_finished for g in Generation.objects.filter(pk__in=[g.pk for g in generations]))


def _charged(kinovi) -> int:
    return START_BALANCE - kinovi.state()["settings"]["balance"]


def test_it_finishes_by_polling_alone_when_webhooks_are_lost(kinovi, make_generation, settings):
    settings.SITE_URL = "http://127.0.0.1:9"  # nobody there: every webhook is lost
    generations = [make_generation(kinovi.image_url) for _ in range(3)]
    for generation in generations:
        generation.submit()
    run_worker(lambda: _finished(*generations))
    assert set(Generation.objects.values_list("status", flat=True)) == {S.SUCCESS}
    assert kinovi.state()["webhooks"].get("delivered", 0) == 0
    assert not Generation.objects.filter(webhook_received_at__isnull=False).exists()


def test_it_hears_webhooks_and_confirms_them(kinovi, make_generation, settings):
    settings.KINOVI_POLL_SECONDS = 60  # only a webhook can wake it in time
    generation = make_generation(kinovi.image_url)
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished, timeout=20)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS
    assert generation.webhook_received_at is not None


def test_it_recovers_a_lost_create_answer_through_the_webhook(kinovi, make_generation, settings):
    settings.KINOVI_TIMEOUT_SECONDS = 1
    kinovi.control(lost_answer_rate=1.0, hang_seconds=0.2)
    generation = make_generation(kinovi.image_url)
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).status == S.UNKNOWN)
    kinovi.control(lost_answer_rate=0.0)
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished, timeout=20)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS
    assert generation.task_id.startswith("task_")
    assert sum(kinovi.state()["tasks"].values()) == 1  # created once, never again
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == _charged(kinovi)


def test_it_holds_the_limit_through_a_429_storm(kinovi, make_generation, settings):
    settings.KINOVI_MAX_CONCURRENT_TASKS = 5
    kinovi.control(concurrency_limit=2)
    generations = [make_generation(kinovi.image_url) for _ in range(8)]
    for generation in generations:
        generation.submit()
    most_in_flight = 0
    deadline = time.monotonic() + 60
    while not _finished(*generations):
        assert time.monotonic() < deadline
        if not worker.work_once("w1"):
            time.sleep(0.02)
        running = kinovi.state()["tasks"]
        most_in_flight = max(
            most_in_flight, running.get("waiting", 0) + running.get("generating", 0)
        )
    assert most_in_flight <= 2
    assert set(Generation.objects.values_list("status", flat=True)) == {S.SUCCESS}
    assert sum(kinovi.state()["tasks"].values()) == 8
    assert LedgerEntry.objects.total_credits() == _charged(kinovi) == 8 * 200


def test_it_fails_a_prompt_kinovi_rejects_and_refunds(kinovi, make_generation):
    generation = make_generation(kinovi.image_url, prompt="@image1 does something forbidden")
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    assert (generation.status, generation.error_code) == (S.FAIL, "2038")
    assert generation.error_message.startswith("Kinovi's content rules rejected the prompt")
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 0
    assert _charged(kinovi) == 0


def test_it_fails_and_refunds_when_kinovi_cannot_fetch_a_reference(kinovi, make_generation):
    generation = make_generation(kinovi.image_url.replace("tiny.png", "missing.png"))
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    assert (generation.status, generation.error_code) == (S.FAIL, "asset_review_failed")
    assert "couldn't use one of the references" in generation.error_message
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 0


@pytest.mark.parametrize(
    ("shape", "sent_in"),
    [
        ("urls", ["urls", "urls", "audioUrls"]),
        ("typed", ["imageUrls", "videoUrls", "audioUrls"]),
    ],
)
def test_the_references_reach_kinovi_in_each_request_shape(
    kinovi, settings, alice_client, alice, team, project, local_storage, shape, sent_in
):
    """From the composer to the simulator: Kinovi ignores fields it doesn't know, so a
    request in a shape it doesn't read would be charged without its references."""
    settings.KINOVI_REQUEST_SHAPE = shape
    refs = kinovi.image_url.removesuffix("tiny.png")
    for name in ("one_second.mp4", "one_second.mp3"):
        shutil.copy(FIXTURES / name, local_storage / "refs" / name)
    media = {"duration": 1.0, "thumbnail_url": "", "width": None, "height": None}
    assets = [
        make_asset(alice, team, url=kinovi.image_url),
        make_asset(
            alice, team, kind="video", mime_type="video/mp4", url=refs + "one_second.mp4", **media
        ),
        make_asset(
            alice, team, kind="audio", mime_type="audio/mpeg", url=refs + "one_second.mp3", **media
        ),
    ]
    data = composer_post(assets, prompt="@image1 dances like @video1 to @audio1")
    response = alice_client.post(reverse("generation_submit", args=[project.pk]), data)
    assert response.status_code in (200, 302)
    generation = Generation.objects.get()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS, generation.error_message
    received = kinovi.received(generation.task_id)
    assert (received["shape"], received["outputResolution"]) == (shape, "720p")
    assert received["prompt"] == "@image1 dances like @video1 to @audio1"
    assert [ref["url"] for ref in received["references"]] == [asset.url for asset in assets]
    assert [ref["sentIn"] for ref in received["references"]] == sent_in
    assert [ref["fetchedKind"] for ref in received["references"]] == ["image", "video", "audio"]
