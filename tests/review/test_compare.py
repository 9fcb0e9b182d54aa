"""Compare 2-4 videos side by side: their prompts, references and seeds; choose one."""

import pytest
from django.urls import reverse

from projects.models import Generation, Verdict
from tests.review.conftest import make_take

pytestmark = pytest.mark.django_db


def _url(project, takes) -> str:
    return (
        reverse("review_compare", args=[project.pk])
        + "?"
        + "&".join(f"v={take.pk}" for take in takes)
    )


def test_it_shows_each_video_with_its_prompt_references_and_seed(rex_client, project, takes):
    response = rex_client.get(_url(project, takes))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="compare-take"') == 3
    assert html.count("data-compare-video") == 3
    for take in takes:
        assert take.prompt in html and f"{take.seed}" in html
    assert "secret-reference-label" in html
    assert "data-compare-play" in html and "data-compare-scrub" in html
    # In the order asked for.
    assert html.index(takes[0].prompt) < html.index(takes[1].prompt) < html.index(takes[2].prompt)


def test_choosing_the_selected_one_there(rex_client, rex, project, takes):
    html = rex_client.get(_url(project, takes)).content.decode()
    assert html.count("Choose this one") == 3
    response = rex_client.post(
        reverse("review_verdict", args=[takes[1].pk]),
        {"state": "selected", "back": "compare"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f'id="verdict-{takes[1].pk}"' in response.content.decode()
    assert Verdict.objects.get().generation == takes[1]


def test_a_viewer_compares_but_does_not_choose(shared_viewer_client, project, takes):
    html = shared_viewer_client.get(_url(project, takes)).content.decode()
    assert html.count('data-testid="compare-take"') == 3
    assert "Choose this one" not in html


@pytest.mark.parametrize("count", [0, 1, 5])
def test_it_wants_two_to_four_videos(alice_client, project, count):
    chosen = [make_take(project, n) for n in range(count)]
    response = alice_client.get(_url(project, chosen))
    assert response.status_code == 400
    assert "Choose 2 to 4 finished videos" in response.content.decode()


def test_a_video_of_another_project_or_unfinished_is_refused(
    alice_client, alice, team, project, takes
):
    other = make_take(type(project).objects.create(team=team, owner=alice, name="Other"), 7)
    queued = make_take(project, 8, status=Generation.Status.QUEUED)
    for intruder in (other, queued):
        response = alice_client.get(_url(project, [takes[0], intruder]))
        assert response.status_code == 400
        assert intruder.prompt not in response.content.decode()


@pytest.mark.parametrize("forged", ["abc", str(10**25), "-1", "1.5"])
def test_forged_ids_are_refused(alice_client, project, takes, forged):
    url = reverse("review_compare", args=[project.pk])
    response = alice_client.get(url, {"v": [takes[0].pk, forged]})
    assert response.status_code == 400


def test_four_videos_take_at_most_ten_queries(alice_client, project, django_assert_max_num_queries):
    chosen = [make_take(project, n) for n in range(4)]
    url = _url(project, chosen)
    alice_client.get(url)
    with django_assert_max_num_queries(10):
        response = alice_client.get(url)
    assert response.content.decode().count('data-testid="compare-take"') == 4
