"""Fair dispatch: a member who queued 30 takes does not hold back a teammate's first one,
nor a team another team's; the cards' places in line follow the order the worker sends in.
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import worker
from projects.models import Generation, Project
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S, create_draft
from tests.generations.test_worker_errors import kinovi_api  # noqa: F401 (fixture)

LIMIT = 5
IMAGE = "http://127.0.0.1:9/refs/tiny.png"


def queue(project, count: int) -> list[Generation]:
    generations = []
    for _ in range(count):
        generation = create_draft(project, image_url=IMAGE)
        generation.submit()
        generations.append(generation)
    return generations


def work(monkeypatch) -> None:
    Generation.objects.update(next_attempt_at=timezone.now())
    monkeypatch.setattr(worker, "_gate_seen", (float("-inf"), 0))
    while worker.work_once("w1"):
        pass


def free_one_slot() -> None:
    """One of the tasks in flight ends (it failed, say): one slot frees."""
    Generation.objects.in_flight().order_by("pk").first().give_up("Ended for the test")


def dispatched_within_free_slots(generation, slots: int, monkeypatch) -> int | None:
    for slot in range(1, slots + 1):
        free_one_slot()
        work(monkeypatch)
        if Generation.objects.get(pk=generation.pk).status != S.QUEUED:
            return slot
    return None


@pytest.fixture
def full(settings, kinovi_api, project, monkeypatch):  # noqa: F811
    """alice queued 30; the first LIMIT of them are in flight."""
    settings.KINOVI_MAX_CONCURRENT_TASKS = LIMIT
    alices = queue(project, 30)
    work(monkeypatch)
    assert Generation.objects.in_flight().count() == LIMIT
    return alices


def test_a_teammates_first_take_goes_within_the_next_2_free_slots(full, team, bob, monkeypatch):
    """A queues 30 (5 go at once), then B queues 1."""
    bobs = queue(Project.objects.create(team=team, owner=bob, name="Bob's"), 1)[0]
    # alice has 5 in flight, bob none: his first take is next.
    assert Generation.objects.queue_positions()[bobs.pk] == 1
    assert dispatched_within_free_slots(bobs, 2, monkeypatch) == 1


def test_another_teams_first_take_goes_within_the_next_2_free_slots(
    full, other_team, charlie, monkeypatch
):
    charlies = queue(Project.objects.create(team=other_team, owner=charlie, name="C's"), 1)[0]
    assert dispatched_within_free_slots(charlies, 2, monkeypatch) == 1


def test_first_come_first_served_would_keep_it_waiting_25_slots(full, team, bob, monkeypatch):
    """What the fair order changes: in submission order bob's would be 26th in line."""
    bobs = queue(Project.objects.create(team=team, owner=bob, name="Bob's"), 1)[0]
    queued = Generation.objects.filter(status=S.QUEUED).order_by("pk")
    assert list(queued.values_list("pk", flat=True)).index(bobs.pk) + 1 == 26
    assert Generation.objects.queue_positions()[bobs.pk] == 1


def test_it_takes_members_and_teams_round_robin(settings, project, team, bob, other_team, charlie):
    bobs_project = Project.objects.create(team=team, owner=bob, name="Bob's")
    charlies_project = Project.objects.create(team=other_team, owner=charlie, name="C's")
    a = queue(project, 3)
    b = queue(bobs_project, 2)
    c = queue(charlies_project, 2)
    line = list(Generation.objects.queue_positions())
    # Team acme's line: a1 b1 a2 b2 a3; globex's: c1 c2; the site takes one of each in turn.
    assert line == [a[0].pk, c[0].pk, b[0].pk, c[1].pk, a[1].pk, b[1].pk, a[2].pk]


def test_tasks_in_flight_count_as_turns_taken(project, team, bob):
    bobs_project = Project.objects.create(team=team, owner=bob, name="Bob's")
    a = queue(project, 3)
    b = queue(bobs_project, 2)
    for generation in a[:2]:
        assert generation.start_dispatch()  # alice has two in flight
    assert list(Generation.objects.queue_positions()) == [b[0].pk, b[1].pk, a[2].pk]


def test_the_worker_claims_queued_rows_in_the_same_order(project, team, bob):
    bobs_project = Project.objects.create(team=team, owner=bob, name="Bob's")
    a = queue(project, 4)
    b = queue(bobs_project, 1)
    claimed = Generation.objects.claim_due("w1", limit=3, dispatching=3)
    assert [generation.pk for generation in claimed] == [a[0].pk, b[0].pk, a[1].pk]


def test_it_claims_no_more_queued_rows_than_slots_free(project):
    queue(project, 4)
    assert len(Generation.objects.claim_due("w1", limit=10, dispatching=2)) == 2
    assert Generation.objects.claim_due("w2", limit=10, dispatching=0) == []


def test_the_card_shows_the_place_the_worker_will_send_it_in(full, team, bob, bob_client):
    bobs = queue(Project.objects.create(team=team, owner=bob, name="Bob's"), 1)[0]
    html = bob_client.get(
        reverse("generation_detail", args=[bobs.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "1st in line" in html


def test_a_filtered_line_counts_every_task_in_flight_and_keeps_the_sites_order(full, team, bob):
    """queue_positions() of the site (one scan by status) and of a narrower queryset (as
    the worker's due rows are: a union with the tasks in flight) give the same places,
    and a filter that keeps no task in flight still counts them (alice has 5)."""
    bobs = queue(Project.objects.create(team=team, owner=bob, name="Bob's"), 2)
    site = Generation.objects.queue_positions()
    assert list(site.values()) == list(range(1, 27 + 1))
    # bob's 1st and 2nd take a turn before alice's 6th (her first 5 are in flight).
    assert site[bobs[0].pk] == 1 and site[bobs[1].pk] == 2
    assert Generation.objects.filter(project__team=team).queue_positions() == site
    assert Generation.objects.filter(status=S.QUEUED).queue_positions() == site
    mine = Generation.objects.filter(project__owner=bob).queue_positions()
    assert mine == {bobs[0].pk: 1, bobs[1].pk: 2}
