"""A video's life through the Kinovi layer, end to end, against the simulator.

    .venv/bin/python -m projects.kinovi.demo

Starts a simulator (a subprocess, short stages) and a tiny web server that serves a
generated reference image and receives the webhook; builds and validates a request,
submits it with the client and prints the task's life from `waiting` to `success`.
"""

import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw

from projects.kinovi.client import KinoviClient, parse_webhook
from projects.kinovi.pricing import format_credits, price
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request

API_KEY = "demo-key"
LISTENING = "Kinovi simulator listening on "


class ReferenceHandler(SimpleHTTPRequestHandler):
    """Serves the reference image; prints the webhooks POSTed to it."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        info = parse_webhook(body)
        print(f"  webhook: task {info.task_id} is {info.status}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_reference(directory: Path) -> Path:
    path = directory / "mira.png"
    picture = Image.new("RGB", (256, 256), (250, 240, 230))
    ImageDraw.Draw(picture).ellipse((64, 32, 192, 160), fill=(200, 120, 90))
    picture.save(path)
    return path


def start_simulator() -> tuple[subprocess.Popen, str]:
    command = [sys.executable, "-m", "projects.kinovi.simulator", "--port", "0"]
    command += ["--api-key", API_KEY, "--waiting-seconds", "1", "--generating-seconds", "2"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    line = process.stdout.readline()
    if not line.startswith(LISTENING):
        process.kill()
        raise SystemExit("The simulator didn't start.")
    return process, line.removeprefix(LISTENING).strip()


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        make_reference(Path(directory))
        web = ThreadingHTTPServer(("127.0.0.1", 0), partial(ReferenceHandler, directory=directory))
        threading.Thread(target=web.serve_forever, daemon=True).start()
        web_url = f"http://127.0.0.1:{web.server_address[1]}"
        simulator, simulator_url = start_simulator()
        try:
            print(f"Simulator at {simulator_url}, reference server at {web_url}")
            follow_one_video(f"{simulator_url}/api/v1", API_KEY, web_url)
        finally:
            simulator.terminate()
            simulator.wait()
            web.shutdown()


def follow_one_video(base_url: str, api_key: str, web_url: str) -> None:
    spec = GenerationSpec(
        model="seedance-20",
        prompt="@mira walks along the beach at sunset, cinematic lighting",
        references=[ReferenceMedia(Kind.IMAGE, f"{web_url}/mira.png", "image/png", handle="mira")],
        duration=5,
        aspect_ratio="16:9",
        callback_url=f"{web_url}/webhook",
        resolution="720p",
    )
    built = build_request(spec)
    estimate = price(spec.model, spec.duration, spec.upscale_4k, resolution=spec.resolution)
    print(f"Prompt as sent: {built.prompt!r}")
    print(
        f"Estimated cost: {format_credits(estimate.credits)} credits at {spec.resolution} "
        f"(${estimate.dollars:.2f})"
    )
    with KinoviClient(base_url, api_key) as client:
        task_id = client.create_task(built.payload)
        print(f"Created {task_id}")
        started = time.monotonic()
        last_status = None
        while True:
            info = client.record_info(task_id)
            if info.status != last_status:
                print(f"  {time.monotonic() - started:4.1f} s  {info.status}")
                last_status = info.status
            if info.is_finished:
                break
            time.sleep(0.25)
    time.sleep(0.3)  # let the webhook arrive before the servers stop
    if info.outputs:
        output = info.outputs[0]
        print(f"Video: {output.url} ({output.width}x{output.height}, seed {info.seed})")
    else:
        print(f"Failed: {info.error_code} {info.error_message}")
    print(f"Credits used: {format_credits(info.credits_used)}")


if __name__ == "__main__":
    main()
