"""The worker's handlers against each answer Kinovi can give (a scripted Kinovi)."""

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import worker
from projects.kinovi.client import KinoviClient
from projects.models import DispatchGate, Generation, KinoviAlert, LedgerEntry, Project
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import FIXTURES, S, create_draft, statuses

BASE = "https://kinovi.test/api/v1"
VIDEO = (FIXTURES / "one_second.mp4").read_bytes()
PNG = (FIXTURES / "tiny.png").read_bytes()


class ScriptedKinovi:
    """Answers createTask and recordInfo as told; counts what it was asked."""

    def __init__(self) -> None:
        self.create: Callable[[httpx.Request], httpx.Response] = lambda request: _json(
            200, {"taskId": f"task_{len(self.created)}"}
        )
        self.record: dict = {"status": "waiting"}
        self.created: list[dict] = []
        self.files = {"https://cdn.kinovi.test/v.mp4": VIDEO, "https://cdn.kinovi.test/f.png": PNG}
        self.file_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/jobs/createTask"):
            self.created.append(json.loads(request.content))
            return self.create(request)
        if request.url.path.endswith("/jobs/recordInfo"):
            record = self.record(request) if callable(self.record) else self.record
            if isinstance(record, httpx.Response):
                return record
            return _json(200, {"taskId": request.url.params["taskId"], **record})
        self.file_requests.append(request)
        content = self.files.get(str(request.url))
        return httpx.Response(200, content=content) if content else httpx.Response(404)


def _json(status: int, body: dict) -> httpx.Response:
    return httpx.Response(status, json=body)


def _success(**extra) -> dict:
    output = {"url": "https://cdn.kinovi.test/v.mp4", "width": 64, "height": 64}
    return {"status": "success", "creditsUsed": 200, "output": [output], **extra}


@pytest.fixture
def kinovi_api(monkeypatch, settings, local_storage):
    settings.KINOVI_RETRY_SECONDS = 0.01
    settings.KINOVI_MAX_ATTEMPTS = 3
    scripted = ScriptedKinovi()
    client = KinoviClient(BASE, "sk-test-123", transport=httpx.MockTransport(scripted))
    monkeypatch.setattr(worker, "kinovi", lambda: client)
    return scripted


@pytest.fixture
def queued(make_generation):
    generation = make_generation()
    generation.submit()
    return generation


def _run(generation, times=1):
    """Let the worker handle `generation` now, `times` times; returns it reloaded.

    As work_once does, but for this row even when others are due before it.
    """
    for _ in range(times):
        Generation.objects.filter(pk=generation.pk).update(next_attempt_at=timezone.now())
        assert Generation.objects.claim(generation.pk, "w1")
        claimed = Generation.objects.get(pk=generation.pk)
        worker.HANDLERS[claimed.status](claimed)
    return Generation.objects.get(pk=generation.pk)


def _ledger_sum(generation) -> int:
    return LedgerEntry.objects.filter(generation=generation).total_credits()


def test_every_worker_state_has_a_handler():
    # Success too: a video whose final cost is pending (Generation.SETTLE_PENDING).
    assert set(worker.HANDLERS) == {*Generation.WORKER_STATES, Generation.Status.SUCCESS}
    assert all(callable(handler) for handler in worker.HANDLERS.values())


def test_it_dispatches_with_the_callback_url_and_the_stored_request(kinovi_api, queued):
    generation = _run(queued)
    assert (generation.status, generation.task_id) == (S.WAITING, "task_1")
    (sent,) = kinovi_api.created
    assert sent == {**queued.request_payload, "callBackUrl": queued.callback_url()}
    assert generation.claimed_by == ""


def test_it_never_logs_the_callback_token_while_dispatching(kinovi_api, queued, caplog):
    caplog.set_level(logging.DEBUG)
    kinovi_api.create = lambda request: _json(500, {"message": "Server busy"})
    _run(queued)
    kinovi_api.create = lambda request: _json(200, {"taskId": "task_1"})
    _run(queued)
    assert len(kinovi_api.created) == 2 and caplog.records
    assert queued.callback_token() not in caplog.text


def test_it_fails_a_refused_request_at_once_with_kinovis_message(kinovi_api, queued):
    kinovi_api.create = lambda request: _json(400, {"message": "duration must be 4-15"})
    generation = _run(queued)
    assert (generation.status, generation.error_code) == (S.FAIL, "400")
    assert generation.error_message == "Kinovi refused the request: duration must be 4-15"
    assert _ledger_sum(generation) == 0
    assert not KinoviAlert.objects.exists()
    assert len(kinovi_api.created) == 1


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (401, {"message": "Invalid API key"}, "refused our account"),
        (
            402,
            {"message": "Insufficient credits", "required": 200, "available": 3},
            "out of credits",
        ),
        (403, {"message": "API access not enabled"}, "refused our account"),
    ],
)
def test_it_fails_on_account_problems_and_tells_every_admin(
    kinovi_api, queued, django_user_model, status, body, words
):
    kinovi_api.create = lambda request: _json(status, body)
    generation = _run(queued)
    assert (generation.status, generation.error_code) == (S.FAIL, str(status))
    assert words in generation.error_message
    assert _ledger_sum(generation) == 0
    (alert,) = KinoviAlert.objects.open()
    assert (alert.status_code, alert.message) == (status, body["message"])

    staff = django_user_model.objects.create_user("root", is_staff=True)
    client = Client()
    client.force_login(staff)
    page = client.get("/accounts/password/").content.decode()
    assert 'data-testid="kinovi-alert"' in page and body["message"] in page


def test_it_keeps_one_banner_per_problem_until_kinovi_takes_a_task(
    kinovi_api, make_generation, alice_client
):
    kinovi_api.create = lambda request: _json(401, {"message": "Invalid API key"})
    for _ in range(2):
        generation = make_generation()
        generation.submit()
        _run(generation)
    assert KinoviAlert.objects.open().count() == 1
    assert 'data-testid="kinovi-alert"' not in alice_client.get("/").content.decode()
    kinovi_api.create = lambda request: _json(200, {"taskId": "task_ok"})
    generation = make_generation()
    generation.submit()
    assert _run(generation).status == S.WAITING
    assert not KinoviAlert.objects.open().exists()


@pytest.mark.parametrize(
    "failure",
    [
        lambda request: _json(500, {"message": "internal error"}),
        lambda request: _json(503, {"message": "maintenance"}),
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
    ],
    ids=["500", "503", "unreachable"],
)
def test_it_retries_server_errors_with_backoff_then_fails_and_refunds(
    kinovi_api, queued, settings, failure
):
    kinovi_api.create = failure
    generation = _run(queued)
    assert (generation.status, generation.attempts) == (S.QUEUED, 1)
    assert generation.next_attempt_at > generation.updated_at - timezone.timedelta(seconds=1)
    generation = _run(queued, times=settings.KINOVI_MAX_ATTEMPTS - 1)
    assert generation.status == S.FAIL
    assert f"after {settings.KINOVI_MAX_ATTEMPTS} tries" in generation.error_message
    assert _ledger_sum(generation) == 0


def test_it_backs_off_exponentially(settings):
    settings.KINOVI_RETRY_SECONDS = 2
    waits = [worker.backoff_seconds(attempt) for attempt in (1, 2, 3, 4, 20)]
    assert 1.6 <= waits[0] <= 2.4 and 3.2 <= waits[1] <= 4.8 and 6.4 <= waits[2] <= 9.6
    assert waits[4] <= worker.RETRY_MAX_SECONDS * 1.2


@pytest.mark.parametrize(
    "lost",
    [
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
        lambda request: _json(502, {"message": "bad gateway"}),
        lambda request: httpx.Response(200, content=b"<html>"),
    ],
    ids=["read-timeout", "gateway", "garbled"],
)
def test_it_never_recreates_a_task_whose_answer_was_lost(kinovi_api, queued, lost):
    kinovi_api.create = lost
    generation = _run(queued)
    assert generation.status == S.UNKNOWN
    assert "no answer" in generation.status_detail
    _run(queued, times=3)
    assert len(kinovi_api.created) == 1
    assert _ledger_sum(generation) == 200  # reserved until someone knows


def test_it_rescues_a_lost_answer_once_a_webhook_names_the_task(kinovi_api, queued):
    kinovi_api.create = lambda request: _json(502, {"message": "bad gateway"})
    generation = _run(queued)
    generation.record_webhook("task_lost")
    kinovi_api.record = _success()
    assert worker.work_once("w1")  # woken by the webhook
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.SUCCESS, "task_lost")
    assert generation.output_file.name
    assert len(kinovi_api.created) == 1


def test_it_marks_unknown_a_dispatch_a_dead_worker_left_half_way(kinovi_api, queued):
    queued.start_dispatch()
    Generation.objects.filter(pk=queued.pk).update(
        claimed_by="dead", claimed_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    generation = _run(queued)
    assert generation.status == S.UNKNOWN
    assert kinovi_api.created == []


def test_it_holds_the_local_limit(kinovi_api, make_generation, settings):
    settings.KINOVI_MAX_CONCURRENT_TASKS = 2
    generations = [make_generation() for _ in range(4)]
    for generation in generations:
        generation.submit()
    for _ in range(8):
        worker.work_once("w1")
    assert len(kinovi_api.created) == 2
    assert Generation.objects.in_flight().count() == 2
    assert Generation.objects.filter(status=S.QUEUED).count() == 2


def test_it_waits_for_a_slot_after_kinovi_reports_its_limit(kinovi_api, make_generation):
    first, second, third = (make_generation() for _ in range(3))
    for generation in (first, second, third):
        generation.submit()
    _run(first)
    kinovi_api.create = lambda request: _json(
        429, {"message": "Concurrency limit exceeded", "limit": 1, "current": 1}
    )
    assert _run(second).status == S.QUEUED
    assert _run(second).attempts == 0  # a full queue at Kinovi isn't a failure
    gate = DispatchGate.objects.get()
    assert (gate.reported_limit, gate.in_flight_at_refusal) == (1, 1)
    kinovi_api.create = lambda request: _json(200, {"taskId": "task_next"})
    for _ in range(5):
        _run(second), _run(third)
    assert len(kinovi_api.created) == 2  # first, and second's refused try
    # The first task ends: a slot frees, and one more goes.
    kinovi_api.record = _success()
    _run(first)
    _run(second), _run(third)
    assert len(kinovi_api.created) == 3
    assert Generation.objects.in_flight().count() == 1


def test_it_follows_a_task_by_polling_alone(kinovi_api, queued):
    generation = _run(queued)
    kinovi_api.record = {"status": "generating"}
    assert _run(generation).status == S.GENERATING
    kinovi_api.record = _success(seed=42)
    generation = _run(generation)
    assert generation.status == S.SUCCESS
    assert (generation.output_width, generation.output_height, generation.seed) == (64, 64, 42)
    with default_storage.open(generation.output_file.name) as video:
        assert video.read() == VIDEO
    assert default_storage.exists(generation.poster_file.name)
    assert generation.last_frame_file.name.endswith(".png")
    assert _ledger_sum(generation) == 200
    assert all("authorization" not in r.headers for r in kinovi_api.file_requests)


def test_it_keeps_kinovis_last_frame_when_it_sends_one(kinovi_api, queued):
    _run(queued)
    kinovi_api.record = _success(lastFrameImage="https://cdn.kinovi.test/f.png")
    generation = _run(queued)
    with default_storage.open(generation.last_frame_file.name) as frame:
        assert frame.read() == PNG


def test_it_tries_the_download_again_when_it_fails(kinovi_api, queued):
    _run(queued)
    kinovi_api.files = {}
    kinovi_api.record = _success()
    assert _run(queued).status == S.WAITING
    kinovi_api.files = {"https://cdn.kinovi.test/v.mp4": VIDEO}
    assert _run(queued).status == S.SUCCESS


def test_it_settles_without_a_copy_of_a_video_over_the_size_cap(kinovi_api, queued, settings):
    settings.KINOVI_DOWNLOAD_MAX_MB = 0
    _run(queued)
    kinovi_api.record = _success()
    generation = _run(queued)
    assert generation.status == S.SUCCESS
    assert generation.output_url == "https://cdn.kinovi.test/v.mp4"
    assert generation.output_file.name == ""
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.mp4"))


def test_it_fails_and_refunds_a_failed_task(kinovi_api, queued):
    _run(queued)
    kinovi_api.record = {
        "status": "fail",
        "creditsUsed": 200,
        "error": {"code": "asset_review_failed", "message": "Reference image 1 is blurry"},
    }
    generation = _run(queued)
    assert generation.status == S.FAIL
    assert generation.error_message == (
        "Kinovi couldn't use one of the references: Reference image 1 is blurry."
    )
    assert _ledger_sum(generation) == 0


def test_it_calls_a_task_unknown_after_the_stuck_minutes(kinovi_api, queued, settings):
    _run(queued)
    Generation.objects.filter(pk=queued.pk).update(
        accepted_at=timezone.now() - timezone.timedelta(minutes=settings.KINOVI_STUCK_MINUTES + 1)
    )
    generation = _run(queued)
    assert generation.status == S.UNKNOWN
    assert f"in {settings.KINOVI_STUCK_MINUTES} minutes" in generation.status_detail
    # Rechecked later: still running changes nothing, its end does.
    kinovi_api.record = {"status": "generating"}
    assert _run(queued).status == S.UNKNOWN
    kinovi_api.record = _success()
    assert _run(queued).status == S.SUCCESS


def test_it_calls_a_task_kinovi_does_not_know_unknown(kinovi_api, queued):
    _run(queued)
    kinovi_api.record = lambda request: _json(404, {"message": "Task not found"})
    generation = _run(queued)
    assert generation.status == S.UNKNOWN
    assert "doesn't know task task_1" in generation.status_detail


def test_it_keeps_polling_through_recordinfo_errors(kinovi_api, queued):
    _run(queued)
    kinovi_api.record = lambda request: _json(500, {"message": "oops"})
    assert _run(queued, times=3).status == S.WAITING
    kinovi_api.record = _success()
    assert _run(queued).status == S.SUCCESS


def test_the_place_in_line_follows_dispatch_across_users_and_the_limit(
    kinovi_api, project, team, bob, bob_client, settings, monkeypatch
):
    settings.KINOVI_MAX_CONCURRENT_TASKS = 2
    bobs = Project.objects.create(team=team, owner=bob, name="Bob's")
    generations = []
    for owner_project in (project, bobs, project, bobs, project):
        generation = create_draft(owner_project, image_url="http://127.0.0.1:9/refs/tiny.png")
        generation.submit()
        generations.append(generation)

    def places() -> list[int | None]:
        positions = Generation.objects.queue_positions()
        return [positions.get(generation.pk) for generation in generations]

    def work() -> None:
        Generation.objects.update(next_attempt_at=timezone.now())
        monkeypatch.setattr(worker, "_gate_seen", (float("-inf"), True))
        while worker.work_once("w1"):
            pass

    assert places() == [1, 2, 3, 4, 5]  # one line for everyone on our Kinovi key
    work()
    assert places() == [None, None, 1, 2, 3]
    assert len(kinovi_api.created) == 2  # the limit holds the others back
    Generation.objects.get(pk=generations[0].pk).give_up("Cancelled")  # a slot frees
    work()
    assert places() == [None, None, None, 1, 2]
    assert statuses(*generations) == [S.FAIL, S.WAITING, S.WAITING, S.QUEUED, S.QUEUED]
    # Bob's card agrees with the model: his next one is first in line now.
    card = bob_client.get(
        reverse("generation_detail", args=[generations[3].pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "1st in line" in card
