"""No log line carries a callback token: request lines of runserver and gunicorn, app logs."""

import logging
import logging.config
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.urls import reverse

from kinovi_web.logs import WEBHOOK_PREFIX, redact

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7." + "c0ffee" * 10 + "abcd"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    """A migrated SQLite database of its own, so the token is looked up for real."""
    folder = tmp_path_factory.mktemp("var")
    environment = _environment(folder)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=environment,
        check=True,
        timeout=120,
    )
    return folder


def _environment(var_dir: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return environment | {"VAR_DIR": str(var_dir), "DEBUG": "0", "PYTHONUNBUFFERED": "1"}


def _serve_and_post(command: list[str], var_dir: Path, port: int) -> str:
    """Start a server, POST to a callback URL and GET another, stop it; all it printed."""
    log = var_dir / f"server-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=ROOT, env=_environment(var_dir), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/accounts/login/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server didn't start"
                time.sleep(0.2)
        answer = httpx.post(f"{url}{WEBHOOK_PREFIX}{TOKEN}/", json={"taskId": "t"}, timeout=10)
        assert answer.status_code == 404
        httpx.get(f"{url}{WEBHOOK_PREFIX}{TOKEN}/?x=1", timeout=10)  # 405
        time.sleep(0.5)  # the access line is written after the answer
    finally:
        server.terminate()
        server.wait(timeout=20)
    return log.read_text()


def test_runservers_request_lines_hold_no_token(var_dir):
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    output = _serve_and_post(command, var_dir, port)
    assert f"{WEBHOOK_PREFIX}7.[token]/" in output  # the request line is there...
    assert TOKEN not in output  # ...without its secret
    assert TOKEN.split(".")[1][:16] not in output


def test_gunicorns_access_and_error_lines_hold_no_token(var_dir):
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "kinovi_web.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        "-",
        "--error-logfile",
        "-",
        "--workers",
        "1",
    ]
    output = _serve_and_post(command, var_dir, port)
    assert f"{WEBHOOK_PREFIX}7.[token]/" in output
    assert TOKEN not in output
    assert TOKEN.split(".")[1][:16] not in output


def test_the_simulator_of_make_run_logs_no_token_of_the_webhooks_it_sends(var_dir):
    """`make run` starts `manage.py kinovi_simulator`: its webhook lines are redacted too."""
    from projects.kinovi.client import KinoviClient
    from projects.kinovi.references import Kind
    from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request

    port = _free_port()
    log = var_dir / "simulator.log"
    command = [sys.executable, "manage.py", "kinovi_simulator", "--port", str(port)]
    command += ["--api-key", "k", "--waiting-seconds", "0.1", "--generating-seconds", "0.1"]
    with log.open("wb") as out:
        simulator = subprocess.Popen(
            command, cwd=ROOT, env=_environment(var_dir), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        reference = ReferenceMedia(Kind.IMAGE, "http://127.0.0.1:9/tiny.png", format="image/png")
        built = build_request(
            GenerationSpec(
                model="seedance-20", prompt="@image1 runs", references=[reference], duration=5
            )
        )
        # Nothing listens on port 9: the webhook fails, and the simulator says so.
        body = {**built.payload, "callBackUrl": f"http://127.0.0.1:9{WEBHOOK_PREFIX}{TOKEN}/"}
        client = KinoviClient(f"http://127.0.0.1:{port}/api/v1", "k")
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_task(body)
                break
            except Exception:
                assert simulator.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the simulator didn't start"
                time.sleep(0.2)
        deadline = time.monotonic() + 30
        while "Webhook to" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        simulator.terminate()
        simulator.wait(timeout=20)
    written = log.read_text()
    assert f"Webhook to http://127.0.0.1:9{WEBHOOK_PREFIX}7.[token]/ failed" in written
    assert TOKEN not in written


def test_the_apps_own_handler_redacts_messages_and_tracebacks(capsys):
    logging.config.dictConfig(settings.LOGGING)
    logger = logging.getLogger("django.request")
    try:
        raise RuntimeError(f"while handling {WEBHOOK_PREFIX}{TOKEN}/")
    except RuntimeError:
        logger.exception("Internal Server Error: %s", f"{WEBHOOK_PREFIX}{TOKEN}/")
    logging.getLogger("httpx").warning(
        'HTTP Request: POST http://127.0.0.1:8000%s%s/ "HTTP/1.1 200 OK"', WEBHOOK_PREFIX, TOKEN
    )
    written = capsys.readouterr().err
    assert written.count(f"{WEBHOOK_PREFIX}7.[token]/") == 3
    assert TOKEN not in written


def test_the_redacted_prefix_is_the_webhooks_url():
    assert reverse("kinovi_webhook", args=[TOKEN]).startswith(WEBHOOK_PREFIX)


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            f'"POST {WEBHOOK_PREFIX}{TOKEN}/ HTTP/1.1" 200 2',
            f'"POST {WEBHOOK_PREFIX}7.[token]/ HTTP/1.1" 200 2',
        ),
        (f"{WEBHOOK_PREFIX}../../x?a=b c", f"{WEBHOOK_PREFIX}.[token]/ c"),
        ("/projects/7/ nothing secret", "/projects/7/ nothing secret"),
    ],
)
def test_redact_keeps_the_video_id_and_nothing_after_it(line, expected):
    assert redact(line) == expected
