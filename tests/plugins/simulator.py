"""Fixtures that start the Kinovi simulator for tests.

`kinovi_simulator` (session): one simulator subprocess on a free port, with fast stages
(0.2 s waiting, 0.3 s generating). `fresh_kinovi_simulator` (function): the same, reset
before and after the test (start settings back, tasks and counters forgotten).

The object both yield:
- `.base_url`: the API base, `http://127.0.0.1:PORT/api/v1`, for `KinoviClient`
- `.root_url`: `http://127.0.0.1:PORT` (outputs are served under `/outputs/`)
- `.api_key`
- `.control(**settings)`: change `Settings` fields of projects/kinovi/simulator.py
  (e.g. `error_rate=1.0`, `force_429=True`, `balance=100`); returns the state
- `.state()`: `{"settings": {...}, "tasks": {status: count}, "webhooks": {...}}`
- `.received(task_id)`: what a task was sent: shape, outputResolution, and its references
  with the field each came in and the kind its bytes turned out to be
- `.reset()`
"""

import selectors
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

STARTUP_SECONDS = 20
API_KEY = "sim-test-key"


@dataclass
class RunningSimulator:
    root_url: str
    api_key: str

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api/v1"

    def control(self, **settings: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.root_url}/_control", json=settings)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.root_url}/_control").raise_for_status().json()

    def received(self, task_id: str) -> dict[str, Any]:
        return httpx.get(f"{self.root_url}/_control/tasks/{task_id}").raise_for_status().json()

    def reset(self) -> dict[str, Any]:
        return httpx.post(f"{self.root_url}/_control/reset").raise_for_status().json()


def start_simulator(log_path: Path, *extra_args: str) -> tuple[subprocess.Popen, str]:
    """Start a simulator subprocess on a free port; its process and root URL."""
    command = [sys.executable, "-m", "projects.kinovi.simulator", "--port", "0"]
    command += ["--api-key", API_KEY, *extra_args]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    line = _first_line(process)
    prefix = "Kinovi simulator listening on "
    if not line.startswith(prefix):
        process.kill()
        raise RuntimeError(f"The simulator didn't start: {line!r}; see {log_path}")
    return process, line.removeprefix(prefix).strip()


def _first_line(process: subprocess.Popen) -> str:
    # Wait with a timeout: a simulator that fails to start must not hang the suite.
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=STARTUP_SECONDS):
            return ""
    return process.stdout.readline()


def stop_simulator(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture(scope="session")
def kinovi_simulator(tmp_path_factory) -> Iterator[RunningSimulator]:
    log_path = tmp_path_factory.mktemp("kinovi") / "simulator.log"
    process, root_url = start_simulator(
        log_path, "--waiting-seconds", "0.2", "--generating-seconds", "0.3"
    )
    try:
        yield RunningSimulator(root_url, API_KEY)
    finally:
        stop_simulator(process)


@pytest.fixture
def fresh_kinovi_simulator(kinovi_simulator) -> Iterator[RunningSimulator]:
    kinovi_simulator.reset()
    yield kinovi_simulator
    kinovi_simulator.reset()
