"""After a 429 that no task of ours ending explains, dispatching pauses briefly, longer
with each 429 in a row (KINOVI_REFUSAL_PAUSE_SECONDS doubling up to
KINOVI_REFUSAL_PAUSE_MAX_SECONDS), and Kinovi's reported `limit` still holds."""

import time
from datetime import timedelta

from django.utils import timezone

from projects import worker
from projects.models import DispatchGate, Generation
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.test_worker_errors import _json, kinovi_api  # noqa: F401 (fixture)


def refused(seconds_ago: float) -> DispatchGate:
    DispatchGate.objects.filter(pk=DispatchGate.objects.GATE_PK).update(
        refused_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return DispatchGate.objects.get()


def test_the_pause_starts_at_2_s_and_doubles_to_30_s(db):
    pauses = []
    for _ in range(7):
        DispatchGate.objects.record_refusal(limit=None)
        pauses.append(DispatchGate.objects.get().pause.total_seconds())
    assert pauses == [2, 4, 8, 16, 30, 30, 30]


def test_the_gate_opens_when_the_pause_is_over(db):
    DispatchGate.objects.record_refusal(limit=None)  # none of ours in flight
    assert refused(1.9).free_slots(0) == 0
    assert refused(2.0).free_slots(0) == 5
    DispatchGate.objects.record_refusal(limit=None)
    assert refused(3.9).free_slots(0) == 0
    assert refused(4.0).free_slots(0) == 5


def test_the_pause_is_a_setting(db, settings):
    settings.KINOVI_REFUSAL_PAUSE_SECONDS = 5
    settings.KINOVI_REFUSAL_PAUSE_MAX_SECONDS = 7
    for expected in (5, 7, 7):
        DispatchGate.objects.record_refusal(limit=None)
        assert DispatchGate.objects.get().pause == timedelta(seconds=expected)


def test_an_accepted_task_ends_the_run_of_refusals(make_generation):
    for _ in range(3):
        DispatchGate.objects.record_refusal(limit=None)
    refused(60)
    generation = make_generation()
    generation.submit()
    assert generation.start_dispatch()
    generation.accept("task_1")
    gate = DispatchGate.objects.get()
    assert (gate.refused_at, gate.refusals_in_a_row, gate.pause) == (None, 0, timedelta(seconds=2))


def test_it_keeps_honouring_the_limit_kinovi_reports(db):
    DispatchGate.objects.record_refusal(limit=2)
    gate = refused(60)
    assert gate.limit == 2
    assert (gate.free_slots(0), gate.free_slots(1), gate.free_slots(2)) == (2, 1, 0)


def test_the_first_video_reaches_kinovi_about_2_s_after_a_429_with_none_in_flight(
    kinovi_api,  # noqa: F811
    make_generation,
    monkeypatch,
):
    generation = make_generation()
    generation.submit()
    answers = [_json(429, {"message": "Concurrency limit exceeded", "limit": 5, "current": 5})]
    kinovi_api.create = lambda request: (
        answers.pop() if answers else _json(200, {"taskId": "task_1"})
    )
    monkeypatch.setattr(worker, "GATE_RECHECK_SECONDS", 0.05)
    refused_at = None
    deadline = time.monotonic() + 10
    while Generation.objects.get(pk=generation.pk).status == Generation.Status.QUEUED:
        assert time.monotonic() < deadline
        worker.work_once("w1")
        if refused_at is None and len(kinovi_api.created) == 1:
            refused_at = time.monotonic()
        time.sleep(0.02)
    waited = time.monotonic() - refused_at
    print(f"\nfirst task accepted {waited:.2f} s after Kinovi's 429")
    assert len(kinovi_api.created) == 2
    assert 1.9 <= waited <= 4.0
