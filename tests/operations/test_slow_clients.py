"""Four uploads of 200 MB trickling in must not hold back another member's pages.

`bin/serve` runs gunicorn with threads (`gthread`): a slow body holds one thread, while
the other threads of the same processes keep answering. Bounded: the uploads trickle
for UPLOAD_SECONDS and are then abandoned.
"""

import socket
import statistics
import threading
import time

from tests.operations.servers import installation, logged_in, serving

UPLOADS = 4
UPLOAD_BYTES = 200 * 2**20
UPLOAD_SECONDS = 8.0
TRICKLE = b"\0" * 4096
P95_TARGET_SECONDS = 1.0


def slow_upload(base_url: str, cookies: dict[str, str], stop: threading.Event) -> int:
    """Starts a 200 MB multipart upload and sends 4 KB every 0.2 s until `stop`."""
    host, port = base_url.removeprefix("http://").split(":")
    boundary = "kinovi-slow-upload"
    preamble = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="long.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    head = (
        "POST /library/upload/ HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Cookie: {cookie}\r\n"
        f"X-CSRFToken: {cookies['csrftoken']}\r\n"
        f"Referer: {base_url}/library/\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {UPLOAD_BYTES}\r\n\r\n"
    ).encode()
    sent = 0
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head + preamble)
        while not stop.wait(0.2):
            connection.sendall(TRICKLE)
            sent += len(TRICKLE)
    return sent


def test_it_keeps_serving_pages_while_four_slow_uploads_trickle_in(tmp_path):
    environment = installation(tmp_path, WEB_PROCESSES="2", WEB_THREADS="8")
    with serving(environment, tmp_path / "serve.log") as base_url:
        uploader = logged_in(base_url, "max")
        member = logged_in(base_url, "ada")
        assert member.get("/").status_code == 200
        stop = threading.Event()
        cookies = dict(uploader.cookies.items())
        uploads = [
            threading.Thread(target=slow_upload, args=(base_url, cookies, stop))
            for _ in range(UPLOADS)
        ]
        for upload in uploads:
            upload.start()
        time.sleep(0.5)  # every upload has its headers in and holds a thread
        latencies = []
        deadline = time.monotonic() + UPLOAD_SECONDS
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = member.get("/", timeout=5)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            time.sleep(0.05)
        still_uploading = sum(upload.is_alive() for upload in uploads)
        stop.set()
        for upload in uploads:
            upload.join(timeout=10)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f"\n{len(latencies)} pages while {UPLOADS} uploads of 200 MB trickled in: "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
    )
    assert still_uploading == UPLOADS  # they were still arriving while the pages loaded
    assert p95 <= P95_TARGET_SECONDS
