"""Kinovi's output files as a real HTTP server serves them: malformed ones too.

Kinovi's API is scripted (recordInfo says success); the video and the last frame it
links to are fetched over HTTP from a local server, as they would be from Kinovi's CDN.
"""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from django.core.files.storage import default_storage

from projects import worker
from projects.kinovi.client import KinoviClient
from projects.models import Generation, LedgerEntry
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import FIXTURES, S

VIDEO = (FIXTURES / "one_second.mp4").read_bytes()
PNG = (FIXTURES / "tiny.png").read_bytes()
# Each decodes to nothing in its own way: cut short, its frames zeroed, not video past
# the header.
MDAT = VIDEO.index(b"mdat") + 4
MALFORMED = {
    "truncated": VIDEO[: len(VIDEO) // 2],
    "zeroed_frames": VIDEO[:MDAT] + bytes(len(VIDEO) - MDAT),
    "garbage_after_header": VIDEO[:32] + b"\x00garbage" * 100,
}


class OutputServer(ThreadingHTTPServer):
    files: dict[str, bytes]


class OutputHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        content = self.server.files.get(self.path)
        self.send_response(200 if content is not None else 404)
        self.send_header("Content-Length", str(len(content or b"")))
        self.end_headers()
        self.wfile.write(content or b"")

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def output_server() -> Iterator[OutputServer]:
    server = OutputServer(("127.0.0.1", 0), OutputHandler)
    server.files = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class ScriptedApi(httpx.BaseTransport):
    """recordInfo answers `self.record`; everything off Kinovi's API goes over real HTTP."""

    def __init__(self) -> None:
        self.record: dict = {"status": "waiting"}
        self.api = httpx.MockTransport(self.answer)
        self.network = httpx.HTTPTransport()

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/jobs/recordInfo")
        return httpx.Response(200, json={"taskId": request.url.params["taskId"], **self.record})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "kinovi.test":
            return self.api.handle_request(request)
        return self.network.handle_request(request)


@pytest.fixture
def kinovi_api(monkeypatch, local_storage, output_server):
    api = ScriptedApi()
    client = KinoviClient("https://kinovi.test/api/v1", "sk-test", transport=api)
    monkeypatch.setattr(worker, "kinovi", lambda: client)
    host, port = output_server.server_address
    api.root = f"http://{host}:{port}"
    return api


@pytest.fixture
def waiting(make_generation):
    """A generation Kinovi took as task_1."""
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.accept("task_1")
    generation.wake()  # due now, not at its first poll
    return generation


def _succeed_with(kinovi_api, output_server, video: bytes, **extra) -> None:
    output_server.files["/v.mp4"] = video
    output = {"url": f"{kinovi_api.root}/v.mp4", "width": 64, "height": 64}
    kinovi_api.record = {"status": "success", "creditsUsed": 200, "output": [output], **extra}


def _work_until_idle() -> None:
    """The worker's loop, until nothing is due: a generation it can't finish would loop."""
    for _ in range(5):
        if not worker.work_once("w1"):
            return
    pytest.fail("the worker kept handling the same generation")


def test_it_archives_a_good_video_with_its_poster_and_last_frame(
    kinovi_api, output_server, waiting
):
    _succeed_with(kinovi_api, output_server, VIDEO)
    _work_until_idle()
    generation = Generation.objects.get(pk=waiting.pk)
    assert generation.status == S.SUCCESS
    assert default_storage.exists(generation.poster_file.name)
    with default_storage.open(generation.last_frame_file.name) as frame:
        assert frame.read().startswith(b"\x89PNG")


@pytest.mark.parametrize("malformed", MALFORMED)
def test_it_keeps_a_video_it_cannot_decode_without_poster_or_last_frame(
    kinovi_api, output_server, waiting, malformed
):
    _succeed_with(kinovi_api, output_server, MALFORMED[malformed])
    _work_until_idle()
    generation = Generation.objects.get(pk=waiting.pk)
    assert generation.status == S.SUCCESS
    with default_storage.open(generation.output_file.name) as video:
        assert video.read() == MALFORMED[malformed]
    assert (generation.poster_file.name, generation.last_frame_file.name) == ("", "")
    assert generation.output_url == f"{kinovi_api.root}/v.mp4"
    assert LedgerEntry.objects.filter(generation=generation).total_credits() == 200
    assert not Generation.objects.due().filter(pk=generation.pk).exists()


def test_it_keeps_kinovis_last_frame_of_a_video_it_cannot_decode(
    kinovi_api, output_server, waiting
):
    output_server.files["/f.png"] = PNG
    _succeed_with(
        kinovi_api,
        output_server,
        MALFORMED["truncated"],
        lastFrameImage=f"{kinovi_api.root}/f.png",
    )
    _work_until_idle()
    generation = Generation.objects.get(pk=waiting.pk)
    assert (generation.status, generation.poster_file.name) == (S.SUCCESS, "")
    with default_storage.open(generation.last_frame_file.name) as frame:
        assert frame.read() == PNG
