"""Media files and a local web server for them: the references Kinovi fetches."""

import threading
import time
import wave
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import av
import pytest
from PIL import Image


@dataclass
class MediaServer:
    """Serves files of a directory and records the bodies POSTed to /webhook."""

    url: str
    directory: Path
    webhooks: list[bytes] = field(default_factory=list)

    def file_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    @property
    def webhook_url(self) -> str:
        return f"{self.url}/webhook"

    def wait_for_webhooks(self, count: int, timeout: float = 5.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while len(self.webhooks) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.webhooks)


def make_png(path: Path, size=(64, 64)) -> None:
    Image.new("RGB", size, (200, 40, 40)).save(path)


def make_mp4(path: Path, seconds: int, fps: int = 1, format: str | None = None) -> None:
    """An H.264 video; `format="mov"` makes a QuickTime file (ftyp major brand `qt  `)."""
    with av.open(str(path), "w", format=format) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for number in range(seconds * fps):
            picture = Image.new("RGB", (32, 32), (number * 10 % 255, 0, 0))
            frame = av.VideoFrame.from_image(picture).reformat(format="yuv420p")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def make_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\0\0" * int(seconds * rate))


@pytest.fixture(scope="session")
def media_directory(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("kinovi-media")
    make_png(directory / "portrait.png")
    (directory / "not-an-image.png").write_text("plain text")
    make_mp4(directory / "dance.mp4", 2)
    make_mp4(directory / "long.mp4", 16)
    make_mp4(directory / "eight.mp4", 8)
    make_mp4(directory / "quicktime.mov", 2, format="mov")
    make_wav(directory / "beat.wav", 1)
    make_wav(directory / "song.wav", 9)
    return directory


@pytest.fixture(scope="session")
def media_server_session(media_directory) -> Iterator[MediaServer]:
    webhooks: list[bytes] = []

    class Handler(SimpleHTTPRequestHandler):
        def do_POST(self):
            webhooks.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(media_directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MediaServer(f"http://127.0.0.1:{server.server_address[1]}", media_directory, webhooks)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def media_server(media_server_session) -> MediaServer:
    media_server_session.webhooks.clear()
    return media_server_session
