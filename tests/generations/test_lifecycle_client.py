"""What the life cycle adds to the Kinovi client: results download, both webhook shapes,
seed and last frame, failures in plain words."""

import io
import time

import httpx
import pytest

from projects.kinovi.client import (
    DownloadFailed,
    DownloadRefused,
    KinoviClient,
    TaskStatus,
    explain_failure,
    parse_task_info,
    parse_webhook,
)

BASE = "https://kinovi.test/api/v1"
KEY = "sk-test-123"
RESULT = "https://cdn.kinovi.test/v.mp4"


def _client(answer) -> KinoviClient:
    return KinoviClient(BASE, KEY, transport=httpx.MockTransport(answer))


def test_it_streams_a_result_into_a_file_without_the_api_key():
    seen = []

    def answer(request):
        seen.append(request)
        return httpx.Response(200, content=b"x" * 1000)

    target = io.BytesIO()
    with _client(answer) as client:
        assert client.download(RESULT, target, max_bytes=1000, timeout=5) == 1000
    assert target.getvalue() == b"x" * 1000
    assert "authorization" not in seen[0].headers


def test_it_follows_a_redirect_to_the_result():
    def answer(request):
        if request.url.path == "/v.mp4":
            return httpx.Response(302, headers={"Location": "https://cdn2.kinovi.test/real.mp4"})
        return httpx.Response(200, content=b"video")

    target = io.BytesIO()
    with _client(answer) as client:
        client.download(RESULT, target, max_bytes=100, timeout=5)
    assert target.getvalue() == b"video"


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_it_stops_at_the_size_cap(declared):
    def chunks():
        for _ in range(100):
            yield b"y" * 1024

    def answer(request):
        if declared:
            return httpx.Response(200, content=b"y" * 102_400)
        return httpx.Response(200, content=chunks())

    with _client(answer) as client, pytest.raises(DownloadRefused) as caught:
        client.download(RESULT, io.BytesIO(), max_bytes=10_000, timeout=5)
    assert caught.value.retryable is False


def test_it_gives_up_after_the_timeout():
    def slow():
        for _ in range(50):
            time.sleep(0.02)
            yield b"z"

    client = _client(lambda request: httpx.Response(200, content=slow()))
    with client, pytest.raises(DownloadFailed) as caught:
        client.download(RESULT, io.BytesIO(), max_bytes=1000, timeout=0.1)
    assert caught.value.retryable is True
    assert "took over 0.1 s" in caught.value.message


@pytest.mark.parametrize(
    ("answer", "retryable"),
    [
        (lambda request: httpx.Response(404), True),
        (lambda request: httpx.Response(503), True),
        (lambda request: (_ for _ in ()).throw(httpx.ConnectError("no", request=request)), True),
    ],
    ids=["404", "503", "unreachable"],
)
def test_it_reports_a_failed_download(answer, retryable):
    with _client(answer) as client, pytest.raises(DownloadFailed) as caught:
        client.download(RESULT, io.BytesIO(), max_bytes=1000, timeout=5)
    assert caught.value.retryable is retryable
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/y", "javascript:alert(1)", ""])
def test_it_refuses_a_result_link_that_is_not_a_web_address(url):
    client = _client(lambda request: httpx.Response(200))
    with client, pytest.raises(DownloadRefused):
        client.download(url, io.BytesIO(), max_bytes=1000, timeout=5)


def test_it_reads_the_flat_webhook_shape():
    info = parse_webhook(b'{"taskId": "task_1", "status": "fail", "error": {"code": "500"}}')
    assert (info.task_id, info.status, info.error_code) == ("task_1", TaskStatus.FAIL, "500")


def test_it_reads_seed_and_last_frame_from_the_task_or_its_output():
    top = parse_task_info(
        {"taskId": "t", "status": "success", "seed": 7, "lastFrameImage": "https://x/f.png"}
    )
    nested = parse_task_info(
        {
            "taskId": "t",
            "status": "success",
            "output": [{"url": "https://x/v.mp4", "seed": 8, "lastFrameImage": "https://x/g.png"}],
        }
    )
    assert (top.seed, top.last_frame_url) == (7, "https://x/f.png")
    assert (nested.seed, nested.last_frame_url) == (8, "https://x/g.png")
    odd = parse_task_info(
        {"taskId": "t", "status": "success", "seed": "7", "lastFrameImage": "file:///f.png"}
    )
    assert (odd.seed, odd.last_frame_url) == (None, "")


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        ("2038", "Rejected.", "Kinovi's content rules rejected the prompt: Rejected."),
        (
            "asset_review_failed",
            "Image 1 blurry",
            "Kinovi couldn't use one of the references: Image 1 blurry.",
        ),
        ("InvalidParameter", "", "Kinovi refused the request."),
        ("weird", "  a\n  b ", "Kinovi couldn't make this video: a b."),
    ],
)
def test_it_says_why_a_task_failed_in_plain_words(code, message, words):
    assert explain_failure(code, message) == words
