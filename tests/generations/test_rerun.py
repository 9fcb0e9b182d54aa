"""Re-run: one video per click of a rendered button, its note beside the card re-run."""

import json
import re

import pytest
from django.urls import reverse

from projects.models import Generation, LedgerEntry
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.test_composer_pages import add_reference, make_generation

pytestmark = pytest.mark.django_db


def rendered_key(client, generation) -> str:
    html = client.get(
        reverse("generation_detail", args=[generation.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_a_double_click_on_re_run_makes_one_video(alice_client, project, images):
    old = make_generation(project, status="success", credits_used=200)
    add_reference(old, images[0])
    Generation.objects.filter(pk=old.pk).update(prompt="@image1 at dawn")
    key = rendered_key(alice_client, old)
    assert key == rendered_key(alice_client, old)  # a poll keeps the button's key
    url = reverse("generation_rerun", args=[old.pk])
    first = alice_client.post(url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    second = alice_client.post(url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    new = Generation.objects.exclude(pk=old.pk).get()
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1
    html = first.content.decode()
    assert f'id="tile-note-{old.pk}"' in html and 'hx-swap-oob="true"' in html
    assert f"Video {new.pk} queued again: 200 credits reserved." in html
    assert f'id="generation-{new.pk}"' in html
    assert json.loads(first.headers["HX-Trigger"])["videoQueued"]["id"] == new.pk
    assert "queued already: nothing more was reserved" in second.content.decode()
    assert f'id="generation-{new.pk}"' not in second.content.decode()

    # Once a video was made, the button renders a new key: the next click is a new take.
    again = rendered_key(alice_client, old)
    assert again != key
    alice_client.post(url, {"idempotency_key": again}, headers={"HX-Request": "true"})
    assert Generation.objects.count() == 3


def test_a_refused_re_run_says_why_beside_the_card(alice_client, project):
    old = make_generation(project, status="success", prompt="")
    response = alice_client.post(
        reverse("generation_rerun", args=[old.pk]),
        {"idempotency_key": "k"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="tile-note-{old.pk}"' in html and "is-error" in html
    assert "made again as it was" in html
    assert Generation.objects.count() == 1
