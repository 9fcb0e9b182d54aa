"""References Kinovi can't fetch: the worker uploads them first, and reuses fresh uploads."""

import secrets
import shutil
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.checks import reference_delivery
from projects.models import Generation, KinoviAlert, KinoviUpload, LedgerEntry
from projects.models.uploads import references_through_uploads
from tests.generations.composer_fixtures import composer_post
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import FIXTURES, S, run_worker
from tests.library.conftest import make_asset
from tests.plugins.storage import s3_storage_options

MEDIA = {"duration": 1.0, "thumbnail_url": "", "width": None, "height": None}


@pytest.fixture
def assets(kinovi, alice, team, local_storage, live_server):
    """An image, a video and an audio file of alice's, stored on local storage."""
    for name in ("one_second.mp4", "one_second.mp3"):
        shutil.copy(FIXTURES / name, local_storage / "refs" / name)
    base = f"{live_server.url}/media/refs/"
    return [
        make_asset(alice, team, file="refs/tiny.png", url=base + "tiny.png"),
        make_asset(
            alice,
            team,
            kind="video",
            mime_type="video/mp4",
            file="refs/one_second.mp4",
            url=base + "one_second.mp4",
            **MEDIA,
        ),
        make_asset(
            alice,
            team,
            kind="audio",
            mime_type="audio/mpeg",
            file="refs/one_second.mp3",
            url=base + "one_second.mp3",
            **MEDIA,
        ),
    ]


def submit(client, project, assets, prompt="@image1 dances like @video1 to @audio1"):
    data = composer_post(assets, prompt=prompt, idempotency_key=secrets.token_hex(8))
    response = client.post(reverse("generation_submit", args=[project.pk]), data)
    assert response.status_code in (200, 302)
    return Generation.objects.order_by("-pk").first()


def finish(generation):
    run_worker(lambda: Generation.objects.get(pk=generation.pk).is_finished)
    generation.refresh_from_db()
    return generation


def test_every_reference_arrives_through_an_upload(kinovi, settings, alice_client, project, assets):
    settings.KINOVI_REFERENCE_UPLOADS = "always"
    generation = finish(submit(alice_client, project, assets))

    assert generation.status == S.SUCCESS, generation.error_message
    received = kinovi.received(generation.task_id)["references"]
    urls = [ref["url"] for ref in received]
    assert all(url.startswith(f"{kinovi.root_url}/temp-uploads/") for url in urls)
    assert not {asset.url for asset in assets} & set(urls)
    assert [ref["fetchedKind"] for ref in received] == ["image", "video", "audio"]
    assert kinovi.state()["uploads"] == 3
    stored = {upload.asset_id: upload.url for upload in KinoviUpload.objects.all()}
    assert [stored[asset.pk] for asset in assets] == urls
    # What the video was asked with stays as the composer stored it.
    assert {ref.url for ref in generation.references.all()} == {a.url for a in assets}


def test_auto_sends_storage_urls_to_a_kinovi_on_this_machine(
    kinovi, settings, alice_client, project, assets
):
    assert settings.KINOVI_REFERENCE_UPLOADS == "auto"
    generation = finish(submit(alice_client, project, assets[:1], prompt="@image1 waves"))
    assert generation.status == S.SUCCESS, generation.error_message
    [received] = kinovi.received(generation.task_id)["references"]
    assert received["url"] == assets[0].url
    assert kinovi.state()["uploads"] == 0
    assert not KinoviUpload.objects.exists()


def test_a_retry_of_the_same_video_reuses_its_fresh_upload(
    kinovi, settings, alice_client, project, assets
):
    settings.KINOVI_REFERENCE_UPLOADS = "always"
    kinovi.control(force_429=True)
    generation = submit(alice_client, project, assets[:1], prompt="@image1 waves")
    run_worker(lambda: "busy" in Generation.objects.get(pk=generation.pk).status_detail)
    assert Generation.objects.get(pk=generation.pk).status == S.QUEUED
    assert kinovi.state()["uploads"] == 1
    kinovi.control(force_429=False)

    generation = finish(generation)

    assert generation.status == S.SUCCESS, generation.error_message
    assert kinovi.state()["uploads"] == 1
    [received] = kinovi.received(generation.task_id)["references"]
    assert received["url"] == KinoviUpload.objects.get().url


def test_an_upload_older_than_23_hours_is_uploaded_again(
    kinovi, settings, alice_client, project, assets
):
    settings.KINOVI_REFERENCE_UPLOADS = "always"
    first = finish(submit(alice_client, project, assets[:1], prompt="@image1 waves"))
    assert first.status == S.SUCCESS, first.error_message
    old_url = KinoviUpload.objects.get().url

    # Within 23 hours the same reference is sent as uploaded.
    KinoviUpload.objects.update(uploaded_at=timezone.now() - timedelta(hours=22, minutes=50))
    second = finish(submit(alice_client, project, assets[:1], prompt="@image1 waves again"))
    assert second.pk != first.pk and second.status == S.SUCCESS
    assert kinovi.received(second.task_id)["references"][0]["url"] == old_url
    assert kinovi.state()["uploads"] == 1

    # Kinovi deletes uploads after 24 hours: one past 23 is not risked.
    KinoviUpload.objects.update(uploaded_at=timezone.now() - timedelta(hours=23, minutes=1))
    third = finish(submit(alice_client, project, assets[:1], prompt="@image1 waves once more"))

    assert third.status == S.SUCCESS, third.error_message
    new_url = kinovi.received(third.task_id)["references"][0]["url"]
    assert new_url != old_url
    assert new_url.startswith(f"{kinovi.root_url}/temp-uploads/")
    assert KinoviUpload.objects.get().url == new_url
    assert KinoviUpload.objects.get().uploaded_at > timezone.now() - timedelta(minutes=1)
    assert kinovi.state()["uploads"] == 2


def test_an_upload_kinovi_refuses_fails_the_video_and_refunds_it(
    kinovi, settings, alice_client, project, assets
):
    settings.KINOVI_REFERENCE_UPLOADS = "always"
    settings.KINOVI_API_KEY = "not-the-key"
    generation = finish(submit(alice_client, project, assets[:1], prompt="@image1 waves"))

    assert generation.status == S.FAIL
    assert generation.error_message.startswith("Kinovi refused a reference upload")
    assert "not-the-key" not in generation.error_message
    assert generation.task_id == ""  # no task was asked for
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 0
    assert KinoviAlert.objects.exists()


def test_an_upload_that_fails_for_now_is_tried_again(
    kinovi, settings, alice_client, project, assets
):
    settings.KINOVI_REFERENCE_UPLOADS = "always"
    kinovi.control(error_rate=1.0)  # every API call answers 500, the uploads too
    generation = submit(alice_client, project, assets[:1], prompt="@image1 waves")
    run_worker(lambda: Generation.objects.get(pk=generation.pk).attempts >= 1)
    generation.refresh_from_db()
    assert generation.status == S.QUEUED
    assert "trying again" in generation.status_detail
    kinovi.control(error_rate=0.0)

    assert finish(generation).status == S.SUCCESS


# Which path, and the start-up check ----------------------------------------------------


@pytest.mark.parametrize(
    ("site_url", "base_url", "mode", "uploads"),
    [
        ("http://127.0.0.1:8000", "https://kinovi.ai/api/v1", "auto", True),
        ("http://192.168.1.5:8000", "https://kinovi.ai/api/v1", "auto", True),
        ("https://studio.example.com", "https://kinovi.ai/api/v1", "auto", False),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8765/api/v1", "auto", False),
        ("https://studio.example.com", "https://kinovi.ai/api/v1", "always", True),
        ("http://127.0.0.1:8000", "https://kinovi.ai/api/v1", "never", False),
    ],
)
def test_it_decides_from_where_references_are_served(
    settings, local_storage, site_url, base_url, mode, uploads
):
    settings.SITE_URL, settings.KINOVI_BASE_URL = site_url, base_url
    settings.KINOVI_REFERENCE_UPLOADS = mode
    assert references_through_uploads() is uploads


@pytest.mark.parametrize(
    ("options", "uploads"),
    [
        ({"custom_domain": "media.example.com"}, False),
        ({"endpoint_url": "https://s3.eu-west-1.amazonaws.com"}, False),
        ({"endpoint_url": "http://127.0.0.1:9000"}, True),  # a bucket on this machine
    ],
)
def test_a_bucket_is_judged_by_its_public_address(settings, options, uploads):
    settings.SITE_URL, settings.KINOVI_BASE_URL = (
        "http://127.0.0.1:8000",
        "https://kinovi.ai/api/v1",
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "kinovi_web.storage.S3Storage",
            "OPTIONS": s3_storage_options("http://127.0.0.1:9") | options,
        },
    }
    assert references_through_uploads() is uploads


@pytest.mark.parametrize(
    ("site_url", "base_url", "mode", "check_id", "words"),
    [
        (
            "https://studio.example.com",
            "https://kinovi.ai/api/v1",
            "auto",
            "kinovi.I001",
            "storage URLs",
        ),
        (
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8765/api/v1",
            "auto",
            "kinovi.I001",
            "storage URLs",
        ),
        ("http://127.0.0.1:8000", "https://kinovi.ai/api/v1", "auto", "kinovi.I002", "its uploads"),
        ("http://127.0.0.1:8000", "https://kinovi.ai/api/v1", "never", "kinovi.W001", "will fail"),
    ],
)
def test_the_start_up_check_says_which_path_is_in_use(
    settings, local_storage, site_url, base_url, mode, check_id, words
):
    settings.SITE_URL, settings.KINOVI_BASE_URL = site_url, base_url
    settings.KINOVI_REFERENCE_UPLOADS = mode
    [message] = reference_delivery()
    assert message.id == check_id
    assert words in message.msg
    assert message.is_serious() is False
    assert (message.level >= 30) is (check_id == "kinovi.W001")
