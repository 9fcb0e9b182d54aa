"""Client edge cases the simulator can't easily produce, with respx."""

import json
import logging

import httpx
import pytest
import respx

from projects.kinovi.client import (
    DEFAULT_TIMEOUT,
    AccessNotEnabled,
    AnswerLost,
    ConcurrencyLimit,
    InsufficientCredits,
    InvalidRequest,
    InvalidWebhook,
    KinoviClient,
    KinoviError,
    RequestNotSent,
    ServerError,
    TaskStatus,
    UnexpectedAnswer,
    VideoOutput,
    parse_webhook,
)

BASE = "https://kinovi.test/api/v1"
KEY = "sk-live-very-secret-4242"
CREATE = f"{BASE}/jobs/createTask"
RECORD = f"{BASE}/jobs/recordInfo"
RECORD_BODY = {
    "taskId": "task_abc",
    "model": "seedance-20",
    "status": "success",
    "creditsUsed": 200,
    "output": [{"url": "https://cdn.test/video.mp4", "width": 1280, "height": 720}],
    "error": None,
    "createTime": 1709900000000,
    "completeTime": 1709900120000,
}


@pytest.fixture
def client():
    with respx.mock(assert_all_called=False) as router, KinoviClient(BASE, KEY) as client:
        client.router = router
        yield client


def test_it_sends_the_key_and_returns_the_task_id(client):
    route = client.router.post(CREATE).respond(200, json={"taskId": "task_1"})
    assert client.create_task({"model": "seedance-20"}) == "task_1"
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"model": "seedance-20"}


def test_it_reads_a_task(client):
    client.router.get(RECORD, params={"taskId": "task_abc"}).respond(200, json=RECORD_BODY)
    info = client.record_info("task_abc")
    assert info.status == TaskStatus.SUCCESS and info.is_finished
    assert info.credits_used == 200
    assert info.outputs == [VideoOutput("https://cdn.test/video.mp4", 1280, 720)]
    assert (info.complete_time - info.create_time).total_seconds() == 120
    assert info.create_time.tzinfo is not None


def test_it_reads_a_failed_task(client):
    body = RECORD_BODY | {
        "status": "fail",
        "output": None,
        "error": {"code": "2038", "message": "Content rules"},
        "completeTime": None,
    }
    client.router.get(RECORD).respond(200, json=body)
    info = client.record_info("task_abc")
    assert (info.status, info.error_code, info.error_message) == ("fail", "2038", "Content rules")
    assert info.outputs == [] and info.complete_time is None


@pytest.mark.parametrize(
    ("status", "body", "error_class", "retryable"),
    [
        (400, {"message": "Missing urls"}, InvalidRequest, False),
        (403, {"message": "API access not enabled"}, AccessNotEnabled, False),
        (500, {"message": "boom"}, ServerError, True),
        (503, "<html>Service Unavailable</html>", ServerError, True),
        (418, {"message": "teapot"}, UnexpectedAnswer, False),
    ],
)
def test_it_raises_a_typed_error_per_answer(client, status, body, error_class, retryable):
    answer = {"json": body} if isinstance(body, dict) else {"text": body}
    client.router.post(CREATE).respond(status, **answer)
    with pytest.raises(error_class) as caught:
        client.create_task({})
    assert isinstance(caught.value, KinoviError)
    assert caught.value.retryable is retryable
    assert caught.value.status_code == status
    expected = body["message"] if isinstance(body, dict) else "Service Unavailable"
    assert expected in str(caught.value)


def test_it_reads_the_numbers_of_402_and_429(client):
    client.router.post(CREATE).mock(
        side_effect=[
            httpx.Response(402, json={"message": "Insufficient", "required": 200, "available": 12}),
            httpx.Response(429, json={"message": "Busy", "limit": 5, "current": 5}),
            httpx.Response(429, text="Too Many Requests"),
        ]
    )
    with pytest.raises(InsufficientCredits) as credits:
        client.create_task({})
    assert (credits.value.required, credits.value.available) == (200, 12)
    with pytest.raises(ConcurrencyLimit) as busy:
        client.create_task({})
    assert (busy.value.limit, busy.value.current) == (5, 5)
    with pytest.raises(ConcurrencyLimit) as bare:
        client.create_task({})
    assert (bare.value.limit, bare.value.current) == (None, None)


def test_it_treats_an_unreadable_create_answer_as_lost(client):
    client.router.post(CREATE).mock(
        side_effect=[
            httpx.Response(200, text="{not json"),
            httpx.Response(200, json={"id": "task_1"}),
        ]
    )
    for _ in range(2):
        with pytest.raises(AnswerLost) as caught:
            client.create_task({})
        assert caught.value.retryable is False


def test_it_treats_an_unreadable_task_as_unexpected_but_retryable(client):
    client.router.get(RECORD).mock(
        side_effect=[
            httpx.Response(200, text="[]"),
            httpx.Response(200, json={"taskId": "t", "status": "exploded"}),
        ]
    )
    for _ in range(2):
        with pytest.raises(UnexpectedAnswer) as caught:
            client.record_info("t")
        assert caught.value.retryable is True


@pytest.mark.parametrize(
    ("transport_error", "error_class", "create_retryable"),
    [
        (httpx.ConnectError("refused"), RequestNotSent, True),
        (httpx.ConnectTimeout("slow"), RequestNotSent, True),
        (httpx.ReadTimeout("slow"), AnswerLost, False),
        (httpx.RemoteProtocolError("Server disconnected"), AnswerLost, False),
        (httpx.WriteTimeout("slow"), AnswerLost, False),
    ],
)
def test_it_tells_never_sent_from_answer_lost(
    client, transport_error, error_class, create_retryable
):
    client.router.post(CREATE).mock(side_effect=transport_error)
    client.router.get(RECORD).mock(side_effect=transport_error)
    with pytest.raises(error_class) as created:
        client.create_task({})
    assert created.value.retryable is create_retryable
    with pytest.raises(error_class) as read:
        client.record_info("t")
    assert read.value.retryable is True


def test_it_uses_short_connect_and_longer_read_timeouts():
    assert (DEFAULT_TIMEOUT.connect, DEFAULT_TIMEOUT.read) == (5.0, 30.0)
    with KinoviClient(BASE, KEY) as client:
        assert client._http.timeout == DEFAULT_TIMEOUT


def test_it_reuses_one_connection_pool():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=RECORD_BODY))
    with KinoviClient(BASE, KEY, transport=transport) as client:
        pool = client._http
        client.record_info("a")
        client.record_info("b")
        assert client._http is pool
    assert pool.is_closed


def test_it_never_reveals_the_api_key(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.router.post(CREATE).mock(
        side_effect=[
            httpx.Response(401, json={"message": f"Invalid API key {KEY}"}),
            httpx.ConnectError(f"refused for Bearer {KEY}"),
            httpx.Response(200, json={"taskId": "task_1"}),
        ]
    )
    client.router.get(RECORD).respond(200, json=RECORD_BODY)
    errors = []
    for _ in range(2):
        try:
            client.create_task({})
        except KinoviError as error:
            errors.append(error)
    client.create_task({})
    client.record_info("task_abc")
    assert len(errors) == 2
    assert "[API key]" in str(errors[0])
    texts = [repr(client), *map(str, errors), *map(repr, errors), caplog.text]
    texts += [str(record.args) for record in caplog.records]
    assert caplog.records
    assert not [text for text in texts if KEY in text]


def test_it_parses_a_webhook():
    envelope = {
        "code": 200,
        "message": "success",
        "data": {k: v for k, v in RECORD_BODY.items() if k != "status"}
        | {"state": "success", "orderId": "o_1", "updateTime": 1709900120000},
    }
    for body in (envelope, json.dumps(envelope).encode()):
        info = parse_webhook(body)
        assert (info.task_id, info.status, info.credits_used) == ("task_abc", "success", 200)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"code": 200}',
        b'{"data": []}',
        b'{"data": {"state": "success"}}',
        b'{"data": {"taskId": "t", "status": "success"}}',
        b'{"data": {"taskId": "t", "state": "done"}}',
        {"data": None},
    ],
)
def test_it_rejects_malformed_webhooks(body):
    with pytest.raises(InvalidWebhook) as caught:
        parse_webhook(body)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("the webhook")
