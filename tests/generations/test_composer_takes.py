"""Generate xN: N videos from one composition, different seeds, N times the price,
reserved all together or not at all."""

import pytest
from django.urls import reverse

from projects.forms.generations import TIMES
from projects.models import Generation, LedgerEntry
from projects.models.credits import set_budget
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post

pytestmark = pytest.mark.django_db


def _submit(client, project, data):
    return client.post(
        reverse("generation_submit", args=[project.pk]), data, headers={"HX-Request": "true"}
    )


def test_three_videos_at_once_with_their_own_seeds(alice_client, project, images):
    response = _submit(alice_client, project, composer_post(images[:1], takes="3"))
    assert response.status_code == 200
    made = list(Generation.objects.order_by("id"))
    assert len(made) == 3 and {g.status for g in made} == {"queued"}
    seeds = [g.request_payload["inputs"]["seed"] for g in made]
    assert len(set(seeds)) == 3 and all(0 <= seed < 2**32 for seed in seeds)
    assert {g.prompt for g in made} == {made[0].prompt}
    reserved = LedgerEntry.objects.filter(kind="reserve")
    assert sorted(entry.credits for entry in reserved) == [200, 200, 200]
    html = response.content.decode()
    assert all(f'id="generation-{g.pk}"' in html for g in made)


def test_the_same_form_twice_makes_them_once(alice_client, project, images):
    data = composer_post(images[:1], takes="2")
    _submit(alice_client, project, data)
    _submit(alice_client, project, data)
    assert Generation.objects.count() == 2


def test_room_for_three_of_four_makes_none_and_says_so(alice_client, alice, team, project, images):
    set_budget(team=team, user=alice, period="month", hard_limit=600, actor=alice)
    response = _submit(alice_client, project, composer_post(images[:1], takes="4"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "None of the 4 videos was made" in html
    assert "together they cost 800 credits" in html
    assert not Generation.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_the_check_shows_n_times_the_price(alice_client, project, images):
    response = alice_client.post(
        reverse("composer_check", args=[project.pk]), composer_post(images[:1], takes="3")
    )
    html = response.content.decode()
    assert f"3 videos {TIMES} 200 credits = <strong>600 credits</strong>" in html
    assert f"Generate {TIMES}3 · 600 credits" in html


@pytest.mark.parametrize("forged", ["0", "5", "x", "-1", "1.5"])
def test_a_forged_count_is_refused(alice_client, project, images, forged):
    response = _submit(alice_client, project, composer_post(images[:1], takes=forged))
    assert response.status_code == 422
    assert "Make 1 to 4 videos at once." in response.content.decode()
    assert not Generation.objects.exists()


def test_without_a_count_it_makes_one(alice_client, project, images):
    assert _submit(alice_client, project, composer_post(images[:1])).status_code == 200
    assert Generation.objects.count() == 1
    assert "seed" not in Generation.objects.get().request_payload["inputs"]
