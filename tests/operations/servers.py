"""The production server (`bin/serve`) started as an operator starts it, for tests and bench.

`installation(tmp)`: the environment of a fresh installation under `tmp` (SQLite unless
`database_url` is given), migrated and with the demo logins. `serving(environment)`:
`bin/serve web` on a free port until the block ends; yields its base URL.
"""

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from projects.management.commands.seed_demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def installation(tmp: Path, database_url: str = "", **extra: str) -> dict[str, str]:
    """A fresh installation's environment: its own files, migrated, with the demo logins."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KINOVI_", "STORAGE_", "PYTEST", "DATABASE_URL"))
    }
    environment |= {
        "VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'var' / 'kinovi.sqlite3'}",
        "SECRET_KEY": "production-server-test-key-" + "x" * 40,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "DEBUG": "0",
        "VENV_PYTHON": sys.executable,
        "WEB_ACCESS_LOG": "",
        **extra,
    }
    (tmp / "var").mkdir(parents=True, exist_ok=True)
    manage(environment, "migrate", "--noinput", "--verbosity", "0")
    manage(environment, "seed_demo")
    return environment


def manage(environment: dict[str, str], *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode:
        raise RuntimeError(
            f"manage.py {' '.join(arguments)} failed (exit {result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result.stdout


@contextlib.contextmanager
def serving(
    environment: dict[str, str], log_path: Path, part: str = "web", command=None
) -> Iterator[str]:
    """`bin/serve part` (or `command`, a server of the same environment) until the block
    ends (SIGTERM, as a supervisor stops it)."""
    base_url = environment["SITE_URL"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command or [str(ROOT / "bin/serve"), part],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(f"{base_url}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = log_path.read_text()
                    raise RuntimeError(f"bin/serve did not start:\n{log}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def logged_in(base_url: str, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
    """A client with a session of `username`, as a browser gets one from the login form."""
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=True)
    page = client.get("/accounts/login/").raise_for_status()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    answer.raise_for_status()
    if "sessionid" not in client.cookies:
        raise RuntimeError(f"{username} could not log in")
    return client
