"""The review board: finished videos, selected first, filtered by verdict; verdicts by
the owner and reviewers, each recorded with who and when."""

import pytest
from django.urls import reverse

from projects.models import Generation, Verdict, VerdictRecord
from projects.models.review import State
from tests.review.conftest import make_take

pytestmark = pytest.mark.django_db


def _tile_order(html: str, takes) -> list[int]:
    positions = {take.pk: html.index(f'id="take-{take.pk}"') for take in takes}
    return sorted(positions, key=positions.get)


def test_it_lists_finished_videos_selected_first(alice_client, alice, project, takes):
    make_take(project, 9, status=Generation.Status.FAIL)
    Verdict.objects.create(generation=takes[0], state=State.SELECTED, changed_by=alice)
    response = alice_client.get(reverse("review_board", args=[project.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="take-tile"') == 3
    order = _tile_order(html, takes)
    assert order[0] == takes[0].pk
    assert order[1:] == [takes[2].pk, takes[1].pk]  # then newest first


def test_it_filters_by_verdict(alice_client, alice, project, takes):
    Verdict.objects.create(generation=takes[1], state=State.REJECTED, changed_by=alice)
    url = reverse("review_board", args=[project.pk])
    html = alice_client.get(url, {"state": "rejected"}).content.decode()
    assert f'id="take-{takes[1].pk}"' in html and html.count('data-testid="take-tile"') == 1
    pending = alice_client.get(url, {"state": "pending"}).content.decode()
    assert pending.count('data-testid="take-tile"') == 2
    assert f'id="take-{takes[1].pk}"' not in pending


def test_the_owner_sets_a_verdict_and_it_is_recorded(alice_client, alice, takes):
    url = reverse("review_verdict", args=[takes[0].pk])
    response = alice_client.post(url, {"state": "selected"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-state="selected"' in response.content.decode()
    assert Verdict.objects.get(generation=takes[0]).state == State.SELECTED
    alice_client.post(url, {"state": "changes"})
    records = list(VerdictRecord.objects.filter(generation=takes[0]).order_by("id"))
    assert [(r.state, r.user) for r in records] == [("selected", alice), ("changes", alice)]
    assert all(r.created_at for r in records)


def test_a_reviewer_sets_verdicts(rex_client, rex, takes):
    response = rex_client.post(reverse("review_verdict", args=[takes[1].pk]), {"state": "rejected"})
    assert response.status_code == 302
    verdict = Verdict.objects.get(generation=takes[1])
    assert (verdict.state, verdict.changed_by) == ("rejected", rex)


def test_a_viewer_may_not_set_verdicts(shared_viewer_client, takes):
    response = shared_viewer_client.post(
        reverse("review_verdict", args=[takes[1].pk]), {"state": "rejected"}
    )
    assert response.status_code == 302
    page = shared_viewer_client.get(response["Location"]).content.decode()
    assert "only the owner and reviewers give verdicts" in page
    assert not Verdict.objects.exists() and not VerdictRecord.objects.exists()
    assert 'name="state"' not in page


@pytest.mark.parametrize("forged", ["approved", "", "x" * 500, "pending\x00"])
def test_a_forged_verdict_is_refused_and_changes_nothing(alice_client, takes, forged):
    url = reverse("review_verdict", args=[takes[0].pk])
    response = alice_client.post(url, {"state": forged}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "Choose a verdict" in response.content.decode()
    assert not VerdictRecord.objects.exists()


def test_an_unfinished_video_gets_no_verdict(alice_client, project):
    queued = make_take(project, 5, status=Generation.Status.QUEUED)
    response = alice_client.post(reverse("review_verdict", args=[queued.pk]), {"state": "selected"})
    assert response.status_code == 404
    assert not Verdict.objects.exists()


def test_the_board_has_the_keys_and_the_compare_picks(alice_client, project, takes):
    html = alice_client.get(reverse("review_board", args=[project.pk])).content.decode()
    assert 'data-key="1"' in html and 'data-key="3"' in html
    assert html.count("data-compare-pick") == 3
    assert "<script>" not in html and " style=" not in html and " onclick=" not in html


def test_the_board_queries_stay_constant(alice_client, project, django_assert_num_queries):
    for n in range(3):
        make_take(project, n)
    url = reverse("review_board", args=[project.pk])
    alice_client.get(url)
    with django_assert_num_queries(6) as few:
        alice_client.get(url)
    for n in range(3, 30):
        make_take(project, n)
    with django_assert_num_queries(len(few.captured_queries)):
        alice_client.get(url)
