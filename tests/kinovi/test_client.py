"""Client edge cases the simulator can't easily produce, with respx."""

import json
import logging
import traceback
from decimal import Decimal

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
    parse_task_info,
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


@pytest.mark.parametrize("status", [502, 504])
def test_it_treats_a_gateway_failure_on_create_as_a_lost_answer(client, status):
    client.router.post(CREATE).respond(status, text="<html>Gateway Timeout</html>")
    with pytest.raises(AnswerLost) as caught:
        client.create_task({})
    assert caught.value.retryable is False  # the task may exist: never re-create blindly
    assert caught.value.status_code == status

    client.router.get(RECORD).respond(status, text="<html>Gateway Timeout</html>")
    with pytest.raises(ServerError) as caught:
        client.record_info("task_abc")
    assert caught.value.retryable is True


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


def test_it_reads_decimal_credits_of_a_402(client):
    body = {"message": "Insufficient credits", "required": 428.4, "available": 37.5}
    client.router.post(CREATE).respond(402, json=body)
    with pytest.raises(InsufficientCredits) as credits:
        client.create_task({})
    assert (credits.value.required, credits.value.available) == (Decimal("428.4"), Decimal("37.5"))


def test_it_reads_the_errors_of_invalid_inputs(client):
    errors = [
        {"path": "inputs.duration", "message": "duration must be 4 to 30."},
        {"path": ["inputs", "outputResolution"], "message": f"4k is not offered ({KEY})."},
        {"path": "inputs.seed"},  # no message: not a problem anyone can read
        "not an object",
    ]
    client.router.post(CREATE).respond(
        400, json={"message": "Invalid inputs for model", "errors": errors}
    )
    with pytest.raises(InvalidRequest) as caught:
        client.create_task({})
    assert caught.value.errors == [
        ("inputs.duration", "duration must be 4 to 30."),
        ("inputs.outputResolution", "4k is not offered ([API key])."),
    ]
    assert caught.value.message == (
        "Invalid inputs for model: duration must be 4 to 30. 4k is not offered ([API key])."
    )


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
        (
            httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}\\n'"),
            RequestNotSent,
            True,
        ),
        (httpx.ReadError("reset"), AnswerLost, False),
        (httpx.DecodingError("Error -3 while decompressing data"), AnswerLost, False),
        (httpx.TooManyRedirects("loop"), AnswerLost, False),
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
    for error in (created.value, read.value):
        assert error.__cause__ is None and error.__context__ is None


def chain_texts(error: BaseException) -> list[str]:
    """str, repr and the full printed traceback of an error and everything it chains."""
    texts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        pending += [current.__cause__, current.__context__]
    return texts


def test_it_scrubs_the_key_before_shortening_messages(client, caplog):
    # The key straddles the 300-character cut: scrubbing after the cut leaked a prefix.
    padding = "x" * 281 + " bad key: "
    assert len(padding) == 291  # so the key's first 9 characters came before the cut
    client.router.post(CREATE).mock(
        side_effect=[
            httpx.Response(400, json={"message": padding + KEY}),
            httpx.Response(500, text=padding + KEY),
        ]
    )
    errors = []
    for _ in range(2):
        with pytest.raises(KinoviError) as caught:
            client.create_task({})
        errors.append(caught.value)
    for error in errors:
        assert error.message == padding + "[API key]"
        assert KEY[:4] not in error.message
    assert caplog.records and KEY[:4] not in caplog.text


def test_it_strips_the_key_and_refuses_keys_it_cannot_send():
    seen = []

    def answer(request):
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"taskId": "task_1"})

    transport = httpx.MockTransport(answer)
    with KinoviClient(BASE, f"  {KEY}\n", transport=transport) as client:
        assert client.create_task({}) == "task_1"
    assert seen == [f"Bearer {KEY}"]
    for bad_key in [f"{KEY[:8]} {KEY[8:]}", f"{KEY[:8]}\n{KEY[8:]}", f"{KEY}\x00", f"{KEY}é"]:
        with pytest.raises(ValueError) as caught:
            KinoviClient(BASE, bad_key, transport=transport)
        assert "API key" in str(caught.value)
        assert not [text for text in chain_texts(caught.value) if KEY[8:] in text], bad_key


def test_it_keeps_the_key_out_of_chained_exceptions(client):
    # httpx exceptions hold the request and its Authorization header; no KinoviError
    # may keep one reachable through __cause__ or __context__.
    client.router.post(CREATE).mock(
        side_effect=[
            httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}\\n'"),
            httpx.ConnectError(f"refused for Bearer {KEY}"),
            httpx.ReadTimeout(f"slow for Bearer {KEY}"),
            httpx.DecodingError(f"broken for Bearer {KEY}"),
        ]
    )
    for error_class in (RequestNotSent, RequestNotSent, AnswerLost, AnswerLost):
        with pytest.raises(error_class) as caught:
            client.create_task({})
        assert caught.value.__cause__ is None and caught.value.__context__ is None
        assert not [text for text in chain_texts(caught.value) if KEY in text]


def test_it_treats_an_undecodable_answer_as_lost():
    # A 200 whose gzip body is broken: the request reached Kinovi, the task may exist.
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=b"no")
    )
    with KinoviClient(BASE, KEY, transport=transport) as client:
        with pytest.raises(AnswerLost) as created:
            client.create_task({})
        assert created.value.retryable is False
        with pytest.raises(AnswerLost) as read:
            client.record_info("t")
        assert read.value.retryable is True


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b'{"taskId": ' + b"9" * 5000 + b"}"],
    ids=["nested-too-deeply", "integer-too-long"],
)
def test_it_treats_json_python_cannot_read_as_unusable(content):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=content))
    with KinoviClient(BASE, KEY, transport=transport) as client:
        with pytest.raises(AnswerLost) as created:
            client.create_task({})
        assert created.value.retryable is False
        with pytest.raises(UnexpectedAnswer) as read:
            client.record_info("t")
        assert read.value.retryable is True
    with pytest.raises(InvalidWebhook):
        parse_webhook(content)


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
        b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"data": {"taskId": "t", "state": "success", "creditsUsed": ' + b"9" * 5000 + b"}}",
    ],
)
def test_it_rejects_malformed_webhooks(body):
    with pytest.raises(InvalidWebhook) as caught:
        parse_webhook(body)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith("the webhook")


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        (200, 200),
        (200.0, 200),
        (0, 0),
        (200.5, Decimal("200.5")),
        (2.17, Decimal("2.17")),
        (-1, None),
        ("200", None),
        (True, None),
    ],
)
def test_it_reads_credits_used_as_an_exact_decimal(sent, read):
    info = parse_task_info({"taskId": "task_1", "status": "success", "creditsUsed": sent})
    assert info.credits_used == read
