"""POST /hooks/kinovi/<token>/: token-checked, answers at once, only records and wakes."""

import json
import logging

import pytest
from django.test import Client
from django.utils import timezone

from projects.kinovi.client import TaskInfo, TaskStatus
from projects.models import Generation
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S

TASK = "task_abc"


def _envelope(task_id=TASK, state="success"):
    data = {
        "taskId": task_id,
        "orderId": "order_1",
        "model": "seedance-20",
        "state": state,
        "creditsUsed": 200,
        "output": [{"url": "https://cdn.kinovi.ai/v.mp4", "width": 1280, "height": 720}],
        "error": None,
        "createTime": 1709900000000,
        "completeTime": 1709900120000,
        "updateTime": 1709900120000,
    }
    return {"code": 200, "message": "success", "data": data}


def _flat(task_id=TASK, status="success"):
    return {"taskId": task_id, "model": "seedance-20", "status": status, "creditsUsed": 200}


@pytest.fixture
def kinovi_client():
    # Kinovi has no CSRF token: the view must be exempt.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def waiting(make_generation):
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.accept(TASK)
    return generation


def _post(client, generation_or_token, body):
    token = getattr(generation_or_token, "callback_token", lambda: generation_or_token)()
    content = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(f"/hooks/kinovi/{token}/", content, content_type="application/json")


@pytest.mark.parametrize("shape", [_envelope, _flat], ids=["envelope", "flat"])
def test_it_wakes_the_worker_without_changing_the_status(kinovi_client, waiting, shape):
    before = timezone.now()
    response = _post(kinovi_client, waiting, shape())
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == S.WAITING  # the worker confirms with recordInfo
    assert waiting.next_attempt_at <= timezone.now()
    assert waiting.webhook_received_at >= before
    assert Generation.objects.due().filter(pk=waiting.pk).exists()


@pytest.mark.parametrize(
    "token",
    ["nothing", "1.deadbeef", "999.abc", "1." + "0" * 64, "../../admin", "%00"],
)
def test_it_answers_404_to_a_wrong_token(kinovi_client, waiting, token):
    response = _post(kinovi_client, token, _envelope())
    assert response.status_code == 404
    waiting.refresh_from_db()
    assert waiting.webhook_received_at is None


def test_it_answers_404_for_a_generation_not_submitted(kinovi_client, make_generation):
    draft = make_generation()
    assert _post(kinovi_client, draft, _envelope()).status_code == 404


def test_it_refuses_get(kinovi_client, waiting):
    assert kinovi_client.get(f"/hooks/kinovi/{waiting.callback_token()}/").status_code == 405


def test_it_takes_duplicate_and_late_deliveries_in_its_stride(kinovi_client, waiting):
    for _ in range(3):
        assert _post(kinovi_client, waiting, _envelope()).status_code == 200
    waiting.apply(TaskInfo(TASK, "seedance-20", TaskStatus.SUCCESS, 200))
    late = _post(kinovi_client, waiting, _envelope(state="fail"))
    assert late.status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == S.SUCCESS
    assert not Generation.objects.due().filter(pk=waiting.pk).exists()


def test_it_records_the_task_of_a_webhook_that_beats_the_create_answer(
    kinovi_client, make_generation
):
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()  # createTask is on its way; no answer yet
    assert _post(kinovi_client, generation, _envelope(state="success")).status_code == 200
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.SUBMITTING, TASK)
    assert generation.accept(TASK)  # the answer arrives after all


def test_it_rescues_a_lost_answer_with_the_webhooks_task_id(kinovi_client, make_generation):
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.mark_unknown("no answer came back")
    assert not Generation.objects.due().filter(pk=generation.pk).exists()
    _post(kinovi_client, generation, _flat(status="success"))
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.UNKNOWN, TASK)
    assert Generation.objects.due().filter(pk=generation.pk).exists()


def test_it_ignores_a_webhook_naming_another_task(kinovi_client, waiting):
    assert _post(kinovi_client, waiting, _envelope(task_id="task_other")).status_code == 200
    waiting.refresh_from_db()
    assert (waiting.task_id, waiting.webhook_received_at) == (TASK, None)


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b'{"data": {"state": "success"}}', b"\xff" * 10]
)
def test_it_wakes_the_worker_on_a_body_it_cannot_read(kinovi_client, waiting, body):
    Generation.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert _post(kinovi_client, waiting, body).status_code == 200
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()
    assert waiting.task_id == TASK


def test_it_never_logs_the_token(kinovi_client, waiting, caplog):
    caplog.set_level(logging.DEBUG)
    token = waiting.callback_token()
    _post(kinovi_client, waiting, b"garbage")
    _post(kinovi_client, waiting, _envelope(task_id="task_other"))
    _post(kinovi_client, waiting, _envelope())
    assert caplog.records
    assert token not in caplog.text
    assert waiting.callback_token_hash not in caplog.text
