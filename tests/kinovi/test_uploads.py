"""Kinovi's uploads endpoint: the client's two steps, and the simulator's contract."""

import io
import logging
import time
import traceback

import httpx
import pytest

from projects.kinovi.client import (
    AnswerLost,
    AuthenticationFailed,
    InvalidRequest,
    KinoviClient,
    RequestNotSent,
    ServerError,
    TaskStatus,
    UnexpectedAnswer,
    UploadFailed,
)
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request
from projects.kinovi.uploads import (
    ALWAYS,
    AUTO,
    NEVER,
    is_public,
    kinovi_can_fetch,
    uses_uploads,
    with_reference_urls,
)

BASE = "https://kinovi.test/api/v1"
KEY = "sk-live-very-secret-4242"
SIGNED = "https://storage.kinovi.test/put/abc?signature=s3cr3t"
PUBLIC = "https://static.kinovi.test/temp-uploads/abc/portrait.png"


class CountingFile(io.BytesIO):
    """A file that remembers the largest read asked of it."""

    largest_read = 0

    def read(self, size=-1):
        self.largest_read = max(self.largest_read, size if size >= 0 else len(self.getvalue()))
        return super().read(size)


def kinovi_answering(uploads_answer, put_answer=None):
    """A client whose Kinovi answers POST /uploads and the PUT as given; the requests seen."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return uploads_answer(request) if callable(uploads_answer) else uploads_answer
        request.read()
        return put_answer or httpx.Response(200)

    return KinoviClient(BASE, KEY, transport=httpx.MockTransport(answer)), seen


UPLOADS_OK = httpx.Response(
    200, json={"uploadUrl": SIGNED, "url": PUBLIC, "contentType": "image/png", "method": "PUT"}
)


def test_it_asks_for_an_upload_then_puts_the_bytes_without_the_api_key():
    client, seen = kinovi_answering(UPLOADS_OK)
    content = b"\x89PNG" + bytes(range(256)) * 4096  # 1 MB and a bit
    file = CountingFile(content)

    assert client.upload(file, "portrait.png") == PUBLIC

    post, put = seen
    assert (post.method, str(post.url)) == ("POST", f"{BASE}/uploads")
    assert post.headers["authorization"] == f"Bearer {KEY}"
    assert post.content == b'{"fileName":"portrait.png"}'
    assert (put.method, str(put.url)) == ("PUT", SIGNED)
    assert "authorization" not in put.headers
    assert KEY not in str(put.headers)
    assert put.headers["content-type"] == "image/png"
    assert put.headers["content-length"] == str(len(content))
    assert "transfer-encoding" not in put.headers
    assert put.content == content
    # Streamed in chunks, never read whole.
    assert 0 < file.largest_read <= 256 * 1024 < len(content)


def test_it_sends_the_content_type_it_is_given():
    client, seen = kinovi_answering(UPLOADS_OK)
    client.upload(io.BytesIO(b"RIFF"), "beat.wav", content_type="audio/wav")
    post, put = seen
    assert b'"contentType":"audio/wav"' in post.content
    assert put.headers["content-type"] == "audio/wav"


@pytest.mark.parametrize(
    ("answer", "error", "retryable"),
    [
        (httpx.Response(401, json={"message": "Invalid API Key"}), AuthenticationFailed, False),
        (httpx.Response(400, json={"message": "fileName is required"}), InvalidRequest, False),
        (httpx.Response(500, json={"message": "oops"}), ServerError, True),
        (httpx.Response(200, json={"url": PUBLIC}), UnexpectedAnswer, True),
        (
            httpx.Response(200, json={"uploadUrl": "ftp://x/y", "url": PUBLIC}),
            UnexpectedAnswer,
            True,
        ),
        (httpx.Response(200, text="<html>"), UnexpectedAnswer, True),
    ],
)
def test_it_types_the_uploads_answers(answer, error, retryable):
    client, seen = kinovi_answering(answer)
    with pytest.raises(error) as raised:
        client.upload(io.BytesIO(b"x"), "portrait.png")
    assert raised.value.retryable is retryable
    assert [request.method for request in seen] == ["POST"]  # no PUT after a refusal


@pytest.mark.parametrize("status", [403, 500])
def test_a_refused_put_is_an_upload_failure_that_may_be_retried(status):
    client, _ = kinovi_answering(UPLOADS_OK, httpx.Response(status, text="denied"))
    with pytest.raises(UploadFailed) as raised:
        client.upload(io.BytesIO(b"x"), "portrait.png")
    assert raised.value.retryable
    assert f"HTTP {status}" in raised.value.message
    assert "s3cr3t" not in raised.value.message


def test_connection_failures_are_typed_and_never_leak_the_key_or_signature(caplog):
    def post_fails(request):
        raise httpx.ConnectError("refused", request=request)

    client, _ = kinovi_answering(post_fails)
    with pytest.raises(RequestNotSent) as raised:
        client.upload(io.BytesIO(b"x"), "portrait.png")
    assert raised.value.__cause__ is None and raised.value.__context__ is None

    def put_fails(request):
        if request.method == "POST":
            return UPLOADS_OK
        raise httpx.ReadTimeout("slow", request=request)

    client = KinoviClient(BASE, KEY, transport=httpx.MockTransport(put_fails))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(UploadFailed) as raised:
        client.upload(io.BytesIO(b"x"), "portrait.png")
    text = "".join(traceback.format_exception(raised.value)) + caplog.text
    assert KEY not in text and "s3cr3t" not in text
    assert raised.value.__cause__ is None and raised.value.__context__ is None


def test_a_lost_uploads_answer_may_be_asked_again():
    def lost(request):
        raise httpx.ReadTimeout("slow", request=request)

    client, _ = kinovi_answering(lost)
    with pytest.raises(AnswerLost) as raised:
        client.upload(io.BytesIO(b"x"), "portrait.png")
    assert raised.value.retryable  # asking for an upload URL twice creates nothing to pay


# Which path references take ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://kinovi-web.example.com/media/a.png", True),
        ("http://203.0.114.1/media/a.png", True),
        ("http://127.0.0.1:8000/media/a.png", False),
        ("http://localhost:8000/media/a.png", False),
        ("http://app.localhost/media/a.png", False),
        ("http://10.0.0.5/media/a.png", False),
        ("http://192.168.1.20:8000/media/a.png", False),
        ("http://172.16.3.4/media/a.png", False),
        ("http://169.254.169.254/media/a.png", False),
        ("http://[::1]:8000/media/a.png", False),
        ("http://[fe80::1]/media/a.png", False),
        ("http://studio.local/media/a.png", False),
        ("/media/a.png", False),
    ],
)
def test_it_tells_public_addresses_from_local_ones(url, public):
    assert is_public(url) is public


def test_auto_uploads_only_what_kinovi_cannot_fetch():
    kinovi, simulator = "https://kinovi.ai/api/v1", "http://127.0.0.1:8765/api/v1"
    local, public = "http://127.0.0.1:8000/media/a.png", "https://cdn.example.com/a.png"
    assert uses_uploads(AUTO, local, kinovi)
    assert not uses_uploads(AUTO, public, kinovi)
    # The simulator shares our machine: it fetches 127.0.0.1 itself.
    assert kinovi_can_fetch(local, simulator)
    assert not uses_uploads(AUTO, local, simulator)
    assert uses_uploads(ALWAYS, public, simulator)
    assert not uses_uploads(NEVER, local, kinovi)


def test_it_replaces_reference_urls_in_either_shape():
    urls = {"inputs": {"urls": ["a", "b"], "audioUrls": ["c"], "prompt": "a"}, "model": "m"}
    typed = {"inputs": {"imageUrls": ["a"], "videoUrls": ["b"], "audioUrls": ["c"]}}
    replaced = with_reference_urls(urls, {"a": "A", "c": "C"})
    assert replaced == {
        "inputs": {"urls": ["A", "b"], "audioUrls": ["C"], "prompt": "a"},
        "model": "m",
    }
    assert urls["inputs"]["urls"] == ["a", "b"]  # a copy
    assert with_reference_urls(typed, {"b": "B"})["inputs"]["videoUrls"] == ["B"]


# The simulator's contract ----------------------------------------------------------------


@pytest.fixture
def sim(fresh_kinovi_simulator):
    return fresh_kinovi_simulator


@pytest.fixture
def client(sim):
    with KinoviClient(sim.base_url, sim.api_key) as client:
        yield client


def test_the_simulator_serves_an_uploaded_file_back(sim, client, media_directory):
    content = (media_directory / "portrait.png").read_bytes()
    with (media_directory / "portrait.png").open("rb") as file:
        url = client.upload(file, "portrait.png")
    assert url.startswith(f"{sim.root_url}/temp-uploads/")
    fetched = httpx.get(url)
    assert (fetched.status_code, fetched.content) == (200, content)
    assert fetched.headers["content-type"] == "image/png"
    assert sim.state()["uploads"] == 1


def test_the_simulator_asks_for_the_key_but_the_put_needs_none(sim):
    refused = httpx.post(f"{sim.base_url}/uploads", json={"fileName": "a.png"})
    assert refused.status_code == 401
    answer = httpx.post(
        f"{sim.base_url}/uploads",
        json={"fileName": "a.png"},
        headers={"Authorization": f"Bearer {sim.api_key}"},
    ).json()
    assert set(answer) >= {"uploadUrl", "url", "contentType", "expiresIn", "assetTtlSeconds"}
    assert answer["assetTtlSeconds"] == 86_400
    assert httpx.get(answer["url"]).status_code == 404  # nothing until the PUT
    assert httpx.put(answer["uploadUrl"], content=b"png").status_code == 200
    assert httpx.get(answer["url"]).content == b"png"
    # A signed URL fills its upload once, and only with its own signature.
    assert httpx.put(answer["uploadUrl"], content=b"other").status_code == 403
    forged = answer["uploadUrl"].split("?")[0] + "?signature=guess"
    assert httpx.put(forged, content=b"x").status_code == 403


def test_the_simulator_refuses_an_upload_without_a_file_name(sim, client):
    with pytest.raises(InvalidRequest, match="fileName"):
        client.upload(io.BytesIO(b"x"), "")


def test_the_simulator_refuses_a_put_after_its_signed_url_expired(sim, client):
    sim.control(signed_url_seconds=0.1)
    answer = httpx.post(
        f"{sim.base_url}/uploads",
        json={"fileName": "a.png"},
        headers={"Authorization": f"Bearer {sim.api_key}"},
    ).json()
    time.sleep(0.3)
    assert httpx.put(answer["uploadUrl"], content=b"png").status_code == 403


def test_an_upload_is_gone_after_its_time(sim, client, media_directory):
    sim.control(upload_ttl_seconds=0.5)
    with (media_directory / "portrait.png").open("rb") as file:
        url = client.upload(file, "portrait.png")
    assert httpx.get(url).status_code == 200
    time.sleep(0.7)
    assert httpx.get(url).status_code == 404
    assert sim.state()["uploads"] == 0


def test_a_task_fetches_its_uploaded_references_from_the_simulator(sim, client, media_directory):
    urls = []
    for name in ("portrait.png", "dance.mp4"):
        with (media_directory / name).open("rb") as file:
            urls.append(client.upload(file, name))
    references = [
        ReferenceMedia(Kind.IMAGE, urls[0], "png"),
        ReferenceMedia(Kind.VIDEO, urls[1], "mp4"),
    ]
    built = build_request(GenerationSpec("seedance-20", "@image1 like @video1", references))
    assert built.ok, built.errors
    task_id = client.create_task(built.payload)
    deadline = time.monotonic() + 10
    while not (info := client.record_info(task_id)).is_finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert info.status == TaskStatus.SUCCESS, info.error_message
    received = sim.received(task_id)["references"]
    assert [ref["url"] for ref in received] == urls
    assert [ref["fetchedKind"] for ref in received] == ["image", "video"]


def test_a_task_whose_upload_expired_fails_as_kinovi_fails_it(sim, client, media_directory):
    sim.control(upload_ttl_seconds=0.2)
    with (media_directory / "portrait.png").open("rb") as file:
        url = client.upload(file, "portrait.png")
    time.sleep(0.4)
    built = build_request(
        GenerationSpec("seedance-20", "@image1", [ReferenceMedia(Kind.IMAGE, url, "png")])
    )
    task_id = client.create_task(built.payload)
    deadline = time.monotonic() + 10
    while not (info := client.record_info(task_id)).is_finished:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert (info.status, info.error_code) == (TaskStatus.FAIL, "asset_review_failed")
