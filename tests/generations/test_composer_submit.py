"""Submitting the composer: idempotent, reserved through the ledger, no network."""

import pytest
from django.urls import reverse

from projects.models import Generation, GenerationReference, LedgerEntry
from projects.models.credits import set_budget
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post

pytestmark = pytest.mark.django_db


def submit(client, project, data, htmx=True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(reverse("generation_submit", args=[project.pk]), data, headers=headers)


@pytest.fixture
def no_network(monkeypatch):
    """Any HTTP call during a submit fails the test."""
    import httpx

    def refuse(*args, **kwargs):
        raise AssertionError("the submit request made a network call")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)


def test_it_queues_the_generation_with_its_references(
    alice_client, alice, project, mira, audio, images, no_network
):
    refs = [f"{image.asset_id}:{mira.pk}" for image in mira.ordered_images]
    refs += [str(audio.pk), str(images[0].pk)]
    data = composer_post(refs, prompt="@mira sings @audio1 in front of @image3")
    response = submit(alice_client, project, data)
    assert response.status_code == 200

    generation = Generation.objects.get()
    assert generation.status == Generation.Status.QUEUED
    assert generation.created_by == alice
    assert generation.prompt == "@mira sings @audio1 in front of @image3"
    assert generation.prompt_sent == "@image1 sings @audio1 in front of @image3"
    assert generation.credits_estimated == 200
    assert generation.idempotency_key == "key-1"
    payload = generation.request_payload
    assert payload["model"] == "seedance-20"
    assert payload["inputs"]["prompt"] == generation.prompt_sent
    assert payload["inputs"]["audioUrls"] == [audio.url]
    assert "callBackUrl" not in payload

    rows = list(GenerationReference.objects.order_by("kind", "position"))
    assert [(r.kind, r.position) for r in rows] == [
        ("audio", 1),
        ("image", 1),
        ("image", 2),
        ("image", 3),
    ]
    first = rows[1]
    assert first.character == mira and first.handle == "mira"
    assert first.url == mira.primary_image.asset.url
    assert rows[3].character is None and rows[3].url == images[0].url
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RESERVE).count() == 1

    html = response.content.decode()
    assert 'data-testid="composer-submitted"' in html
    assert "200 credits reserved" in html
    # A fresh key out of band, and the new card at the top of the list.
    assert 'name="idempotency_key"' in html and 'hx-swap-oob="true"' in html
    assert 'value="key-1"' not in html
    assert f'id="generation-{generation.pk}"' in html
    assert 'hx-swap-oob="afterbegin:#generation-list[data-shows=current]"' in html


def test_a_double_click_makes_one_generation(alice_client, project, images):
    data = composer_post(images[:1])
    first = submit(alice_client, project, data)
    second = submit(alice_client, project, data)
    assert first.status_code == second.status_code == 200
    assert Generation.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    # The second answer carries no second card.
    assert "afterbegin:#generation-list" not in second.content.decode()


def test_a_resubmitted_plain_form_makes_one_generation(alice_client, project, images):
    data = composer_post(images[:1])
    assert submit(alice_client, project, data, htmx=False).status_code == 302
    assert submit(alice_client, project, data, htmx=False).status_code == 302
    assert Generation.objects.count() == 1


def test_a_new_key_makes_a_new_generation(alice_client, project, images):
    submit(alice_client, project, composer_post(images[:1]))
    submit(alice_client, project, composer_post(images[:1], idempotency_key="key-2"))
    assert Generation.objects.count() == 2


def test_the_key_is_per_user(alice_client, bob_client, bob, team, project, images):
    from projects.models import Project

    bobs = Project.objects.create(team=team, owner=bob, name="Bob's")
    from tests.library.conftest import make_asset

    submit(alice_client, project, composer_post(images[:1]))
    submit(bob_client, bobs, composer_post([make_asset(bob, team)]))
    assert Generation.objects.count() == 2


def test_the_budget_refusal_is_shown_and_nothing_is_stored(
    alice_client, alice, team, project, images
):
    set_budget(team=team, user=alice, period="month", hard_limit=150, actor=alice)
    response = submit(alice_client, project, composer_post(images[:1]))
    assert response.status_code == 422
    assert "This video costs 200 credits" in response.content.decode()
    assert not Generation.objects.exists()
    assert not GenerationReference.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_the_server_checks_again_at_submit(alice_client, project, images):
    response = submit(alice_client, project, composer_post(images[:1], prompt="@image5 walks"))
    assert response.status_code == 422
    assert "The prompt mentions @image5" in response.content.decode()
    assert not Generation.objects.exists()


def test_a_plain_refused_submit_shows_the_page_with_the_composer(alice_client, project, images):
    response = submit(alice_client, project, composer_post(images[:1], prompt=""), htmx=False)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="composer"' in html
    assert "Describe the video you want" in html
    assert 'value="key-1"' in html


@pytest.mark.parametrize(
    "field",
    [
        {"model": "gpt"},
        {"duration": "16"},
        {"duration": "x"},
        {"aspect_ratio": "2:1"},
        {"prompt": "x" * 20000},
        {"idempotency_key": "k" * 100},
    ],
)
def test_hostile_fields_get_422_with_a_message(alice_client, project, images, field):
    response = submit(alice_client, project, composer_post(images[:1], **field))
    assert response.status_code == 422
    assert 'data-testid="composer-errors"' in response.content.decode()
    assert not Generation.objects.exists()


@pytest.mark.parametrize(
    ("shape", "resolution", "expected"),
    [
        ("urls", "720p", {"urls", "outputResolution"}),
        ("typed", "", {"imageUrls", "outputResolution"}),
    ],
)
def test_the_stored_request_follows_the_shape_setting(
    alice_client, project, images, settings, shape, resolution, expected
):
    settings.KINOVI_REQUEST_SHAPE = shape
    settings.KINOVI_OUTPUT_RESOLUTION = resolution
    submit(alice_client, project, composer_post(images[:1]))
    inputs = Generation.objects.get().request_payload["inputs"]
    assert expected <= set(inputs)
    # The shot's resolution is sent whatever the setting (now only new projects' default).
    assert inputs["outputResolution"] == "720p"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_key_make_one_generation(alice, team, images):
    from threading import Barrier, Thread

    from django.db import connection
    from django.test import Client

    from projects.models import Project

    project = Project.objects.create(team=team, owner=alice, name="Race")
    data = composer_post(images[:1], idempotency_key="race")
    barrier = Barrier(4)
    statuses = []

    def post():
        client = Client()
        client.force_login(alice)
        barrier.wait()
        statuses.append(submit(client, project, data).status_code)
        connection.close()

    threads = [Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert Generation.objects.count() == 1
    assert LedgerEntry.objects.count() == 1


def test_the_same_reference_twice_is_refused(alice_client, project, images, no_network):
    data = composer_post([images[0], images[0]], prompt="@image1 and @image2 walk")
    response = submit(alice_client, project, data)
    assert response.status_code == 422
    assert "“frame 1” is a reference twice: remove one." in response.content.decode()
    assert not Generation.objects.exists() and not LedgerEntry.objects.exists()


def test_a_character_image_also_posted_alone_is_refused(alice_client, project, mira, no_network):
    image = mira.ordered_images[0]
    data = composer_post([f"{image.asset_id}:{mira.pk}", str(image.asset_id)], prompt="@mira")
    response = submit(alice_client, project, data)
    assert response.status_code == 422
    assert "is a reference twice" in response.content.decode()
    assert not Generation.objects.exists()
