"""Seedance 2.5 with a reference video: Kinovi's creditsUsed first shows length x rate,
then the final charge ((reference seconds + length) x rate) shortly after success. The
worker keeps asking until the figure is final, then settles the difference once."""

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from projects import worker
from projects.kinovi.catalogue import SEEDANCE_25
from projects.kinovi.client import KinoviClient
from projects.models import AuditEntry, Generation, GenerationReference, LedgerEntry
from projects.models.generation import LATE_CHARGE_MAX_WAIT, LATE_CHARGE_STABLE
from projects.models.library import Kind
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S
from tests.generations.test_worker_errors import BASE, ScriptedKinovi, _json, _success

K = LedgerEntry.Kind
STABLE = LATE_CHARGE_STABLE.total_seconds()


@pytest.fixture
def kinovi_api(monkeypatch, local_storage):
    scripted = ScriptedKinovi()
    client = KinoviClient(BASE, "sk-test-123", transport=httpx.MockTransport(scripted))
    monkeypatch.setattr(worker, "kinovi", lambda: client)
    return scripted


@pytest.fixture
def clock(monkeypatch):
    """The time every part of the app sees, moved on by hand: clock.advance(seconds)."""

    class Clock:
        moment = timezone.now()

        def advance(self, seconds: float) -> None:
            self.moment += timedelta(seconds=seconds)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.moment)
    return clock


def _accepted(generation, task_id="task_late"):
    """As if the worker had sent it and Kinovi had taken it."""
    Generation.objects.filter(pk=generation.pk).update(
        status=S.WAITING,
        task_id=task_id,
        accepted_at=timezone.now(),
        request_payload={"model": generation.model, "inputs": {}},
    )
    return Generation.objects.get(pk=generation.pk)


@pytest.fixture
def reference_shot(make_generation):
    """5 s of Seedance 2.5 at 720p with a 10 s reference video, submitted and accepted:
    it reserves (10 + 5) s x 35 = 525 credits; Kinovi first reports 5 s x 35 = 175."""

    def make(model=SEEDANCE_25.id, reference_seconds=10.0):
        generation = make_generation(model="seedance-20")
        Generation.objects.filter(pk=generation.pk).update(model=model)
        generation.model = model
        GenerationReference.objects.create(
            generation=generation,
            kind=Kind.VIDEO,
            position=1,
            url="https://cdn.example/clip.mp4",
            format="video/mp4",
            duration_seconds=reference_seconds,
        )
        generation.submit()
        return _accepted(generation)

    return make


def _poll(generation):
    """The worker's turn for `generation` now, whatever its next_attempt_at."""
    Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())
    assert Generation.objects.claim(generation.pk, "w1"), "not the worker's to handle"
    claimed = Generation.objects.get(pk=generation.pk)
    worker.HANDLERS[claimed.status](claimed)
    return Generation.objects.get(pk=generation.pk)


def _rows(generation):
    return list(
        LedgerEntry.objects.filter(generation=generation)
        .order_by("id")
        .values_list("kind", "credits", "credits_used")
    )


def test_it_waits_for_the_final_figure_then_settles_once(kinovi_api, reference_shot, clock):
    generation = reference_shot()
    assert generation.credits_estimated == 525
    kinovi_api.record = _success(creditsUsed=175)

    generation = _poll(generation)
    # Done and shown, its cost not final: no settle yet, the reservation counts.
    assert generation.status == S.SUCCESS and generation.output_file
    assert generation.settle_pending
    assert generation.credits_used == 175
    assert _rows(generation) == [(K.RESERVE, 525, None)]
    # The worker comes back at the pace of a poll, not at once.
    assert generation.next_attempt_at > timezone.now()
    assert not Generation.objects.due().filter(pk=generation.pk).exists()

    # Still length x rate after a while: not final.
    clock.advance(STABLE + 10)
    generation = _poll(generation)
    assert generation.settle_pending and _rows(generation) == [(K.RESERVE, 525, None)]

    # Kinovi's update arrives; it must hold for LATE_CHARGE_STABLE before it settles.
    kinovi_api.record = _success(creditsUsed=525)
    clock.advance(5)
    generation = _poll(generation)
    assert generation.settle_pending and generation.credits_used == 525
    clock.advance(STABLE / 2)
    generation = _poll(generation)
    assert generation.settle_pending
    clock.advance(STABLE / 2)
    generation = _poll(generation)
    assert not generation.settle_pending
    assert _rows(generation) == [(K.RESERVE, 525, None), (K.SETTLE, 0, 525)]
    assert generation.credits_used == 525

    # Settled once: it is no longer the worker's.
    clock.advance(3600)
    assert not Generation.objects.claim(generation.pk, "w1")


def test_a_final_charge_above_the_reservation_is_settled_and_audited(
    kinovi_api, reference_shot, clock
):
    generation = reference_shot()
    kinovi_api.record = _success(creditsUsed=175)
    generation = _poll(generation)
    # Kinovi counts 11 reference seconds (its own measure of the clip): 16 s x 35.
    kinovi_api.record = _success(creditsUsed=560)
    clock.advance(5)
    _poll(generation)
    clock.advance(STABLE)
    generation = _poll(generation)
    assert _rows(generation) == [(K.RESERVE, 525, None), (K.SETTLE, 35, 560)]
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 560
    audit = AuditEntry.objects.get(action=AuditEntry.Action.CHARGED_ABOVE_RESERVATION)
    assert audit.new_value == "560 credits charged, +35 over"


def test_a_figure_final_at_success_settles_once_it_is_seen_again(kinovi_api, reference_shot, clock):
    generation = reference_shot()
    kinovi_api.record = _success(creditsUsed=525)
    generation = _poll(generation)
    assert generation.settle_pending
    clock.advance(STABLE)
    generation = _poll(generation)
    assert _rows(generation)[-1] == (K.SETTLE, 0, 525)


def test_a_figure_that_never_changes_settles_after_the_wait(kinovi_api, reference_shot, clock):
    generation = reference_shot()
    kinovi_api.record = _success(creditsUsed=175)
    generation = _poll(generation)
    polls = 0
    while generation.settle_pending:
        assert polls < 100, "never settled"
        clock.advance(60)
        generation = _poll(generation)
        polls += 1
    # The last figure Kinovi reported, at the wait's end (10 minutes).
    assert polls == LATE_CHARGE_MAX_WAIT.total_seconds() // 60
    assert _rows(generation)[-1] == (K.SETTLE, -350, 175)


def test_without_answers_the_last_figure_settles_after_the_wait(kinovi_api, reference_shot, clock):
    generation = reference_shot()
    kinovi_api.record = _success(creditsUsed=175)
    generation = _poll(generation)
    kinovi_api.record = _success(creditsUsed=525)
    clock.advance(5)
    generation = _poll(generation)
    # Then Kinovi stops answering: the figure is never seen twice.
    kinovi_api.record = lambda request: _json(500, {"message": "down"})
    clock.advance(LATE_CHARGE_MAX_WAIT.total_seconds())
    generation = _poll(generation)
    assert not generation.settle_pending
    assert _rows(generation)[-1] == (K.SETTLE, 0, 525)


def test_no_creditsused_at_all_settles_to_the_reservation_after_the_wait(
    kinovi_api, reference_shot, clock
):
    generation = reference_shot()
    record = _success()
    del record["creditsUsed"]
    kinovi_api.record = record
    generation = _poll(generation)
    assert generation.settle_pending and generation.credits_used is None
    clock.advance(LATE_CHARGE_MAX_WAIT.total_seconds())
    generation = _poll(generation)
    assert _rows(generation)[-1] == (K.SETTLE, 0, 525)


def test_a_model_that_charges_at_submit_settles_at_success(kinovi_api, reference_shot, clock):
    generation = reference_shot(model="seedance-20")
    # 5 s at 720p with a reference video: 48 credits/s.
    assert generation.credits_estimated == 240
    kinovi_api.record = _success(creditsUsed=240)
    generation = _poll(generation)
    assert not generation.settle_pending
    assert _rows(generation) == [(K.RESERVE, 240, None), (K.SETTLE, 0, 240)]


def test_two_workers_settle_it_once(kinovi_api, reference_shot, clock):
    generation = reference_shot()
    kinovi_api.record = _success(creditsUsed=525)
    generation = _poll(generation)
    clock.advance(STABLE)
    first = Generation.objects.get(pk=generation.pk)
    second = Generation.objects.get(pk=generation.pk)
    assert first.observe_charge(Decimal(525))
    assert not second.observe_charge(Decimal(525))
    assert [kind for kind, _, _ in _rows(generation)] == [K.RESERVE, K.SETTLE]


def test_the_simulators_late_charge_is_settled_once_final(
    kinovi, project, local_storage, live_server, monkeypatch
):
    """End to end: 5 s of 2.5 at 1080p with an 8 s reference video reserves (8 + 5) x
    85.68; the simulator first reports 5 x 85.68, then its final figure, which the
    worker settles once it holds (the wait shortened for the test)."""
    from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request
    from projects.models import generation as generation_module
    from tests.generations.lifecycle_fixtures import run_worker
    from tests.kinovi.conftest import make_mp4

    monkeypatch.setattr(generation_module, "LATE_CHARGE_STABLE", timedelta(seconds=0.3))
    kinovi.control(settle_delay_seconds=0.5)
    make_mp4(local_storage / "refs" / "eight.mp4", 8)
    image_url = f"{live_server.url}/media/refs/tiny.png"
    video_url = f"{live_server.url}/media/refs/eight.mp4"
    references = [
        ReferenceMedia(Kind.IMAGE, image_url, format="image/png", label="tiny"),
        ReferenceMedia(
            Kind.VIDEO, video_url, format="video/mp4", duration_seconds=8.0, label="eight"
        ),
    ]
    built = build_request(
        GenerationSpec(
            SEEDANCE_25.id, "@image1 moves like @video1", references, duration=5, resolution="1080p"
        )
    )
    assert built.ok, built.errors
    generation = Generation.objects.create(
        project=project,
        created_by=project.owner,
        model=SEEDANCE_25.id,
        prompt="@image1 moves like @video1",
        prompt_sent=built.prompt,
        duration=5,
        resolution="1080p",
        request_payload=built.payload,
    )
    for kind, url, seconds in [(Kind.IMAGE, image_url, None), (Kind.VIDEO, video_url, 8.0)]:
        GenerationReference.objects.create(
            generation=generation, kind=kind, position=1, url=url, duration_seconds=seconds
        )
    generation.submit()
    generation.refresh_from_db()
    assert generation.credits_estimated == Decimal("1113.84")

    def settled():
        return LedgerEntry.objects.filter(generation=generation, kind=K.SETTLE).exists()

    run_worker(settled, timeout=60)
    generation.refresh_from_db()
    assert generation.status == S.SUCCESS and not generation.settle_pending
    assert _rows(generation) == [
        (K.RESERVE, Decimal("1113.84"), None),
        (K.SETTLE, 0, Decimal("1113.84")),
    ]
