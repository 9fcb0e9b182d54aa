"""A worker outlives a real PostgreSQL restart under it, and handles rows afterwards.

The test makes a PostgreSQL cluster of its own (`pg_createcluster`, on a free port),
points a `manage.py worker` process at it, stops the cluster while tasks are in
flight, starts it again, and drops it at the end; the shared cluster is never
touched. It runs in the PostgreSQL half of `make test` (marker `postgresql`).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[2]
PG_VERSION = "15"
FINISHED = {"success", "fail"}
IN_FLIGHT = {"waiting", "generating"}

SEED = """
import os
from django.contrib.auth import get_user_model
from projects.models import Membership, Project, Team
from tests.generations.lifecycle_fixtures import create_draft

team, created = Team.objects.get_or_create(slug="restart", defaults={"name": "Restart"})
user = get_user_model().objects.filter(username="ada").first()
if user is None:
    user = get_user_model().objects.create_user("ada", "ada@example.com", "x")
    team.add_member(user, Membership.Role.MEMBER)
project, _ = Project.objects.get_or_create(team=team, owner=user, name="Restart")
for _ in range(int(os.environ["SEED_VIDEOS"])):
    create_draft(project, image_url=os.environ["SEED_IMAGE_URL"]).submit()
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*command: str, env=None, timeout=180):
    return subprocess.run(
        command, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def own_cluster():
    """A PostgreSQL cluster of this test's own: (name, database URL)."""
    if shutil.which("pg_createcluster") is None:
        pytest.fail("pg_createcluster is missing: install postgresql-common (make test does)")
    name = f"kinovi_restart_{uuid.uuid4().hex[:8]}"
    port = _free_port()
    _run(
        "pg_createcluster", PG_VERSION, name, "-p", str(port),
        "--", "--auth-host=trust", "--auth-local=trust",
    )  # fmt: skip
    try:
        _run("pg_ctlcluster", PG_VERSION, name, "start")
        yield name, f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            ["pg_dropcluster", "--stop", PG_VERSION, name], capture_output=True, timeout=120
        )


def _statuses(url: str) -> list[str]:
    with psycopg.connect(url, connect_timeout=5) as connection:
        rows = connection.execute("SELECT status FROM projects_generation ORDER BY id")
        return [status for (status,) in rows]


def _answer(url: str) -> int | None:
    try:
        return httpx.post(url, content=b"{}", timeout=10).status_code
    except httpx.TransportError:
        return None


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except psycopg.OperationalError:
            pass
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_worker_outlives_a_postgresql_restart_and_handles_rows_afterwards(
    kinovi, own_cluster, tmp_path
):
    name, url = own_cluster
    kinovi.control(waiting_seconds=0.5, generating_seconds=4)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("KINOVI_")} | {
        "DATABASE_URL": url,
        "VAR_DIR": str(tmp_path),
        "KINOVI_BASE_URL": kinovi.base_url,
        "KINOVI_API_KEY": kinovi.api_key,
        "KINOVI_POLL_SECONDS": "0.2",
        "KINOVI_RETRY_SECONDS": "0.1",
        "WORKER_POLL_SECONDS": "0.2",
        "SITE_URL": "http://127.0.0.1:9",  # no webhooks: the worker polls
        "PYTHONUNBUFFERED": "1",
    }
    _run(sys.executable, "manage.py", "migrate", "--noinput", "-v", "0", env=environment)
    seed = [sys.executable, "manage.py", "shell", "-c", SEED]
    seeding = environment | {"SEED_VIDEOS": "3", "SEED_IMAGE_URL": kinovi.image_url}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    web_port = _free_port()
    web = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{web_port}", "--noreload"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Finding a callback URL's video reads the database.
    hook = f"http://127.0.0.1:{web_port}/hooks/kinovi/1.{'0' * 64}/"
    try:
        _wait_for(lambda: _answer(hook) == 404, 60, "the web server didn't start")
        _run(*seed, env=seeding)
        _wait_for(
            lambda: set(_statuses(url)) <= IN_FLIGHT and len(_statuses(url)) == 3,
            60,
            "the first videos never got to Kinovi",
        )

        _run("pg_ctlcluster", PG_VERSION, name, "stop", "-m", "fast")
        down = httpx.post(hook, content=b"{}", timeout=30)
        assert down.status_code == 503
        assert "The database is restarting. Try again in a moment." in down.text
        time.sleep(3)  # the worker keeps polling Kinovi's tasks meanwhile
        assert worker.poll() is None, log.read_text()
        _run("pg_ctlcluster", PG_VERSION, name, "start")
        _wait_for(lambda: _answer(hook) == 404, 30, "the web server didn't come back")

        _run(*seed, env=seeding)
        _wait_for(
            lambda: set(_statuses(url)) <= FINISHED and len(_statuses(url)) == 6,
            90,
            f"the worker stopped handling rows: {log.read_text()[-3000:]}",
        )
        assert worker.poll() is None, log.read_text()
    finally:
        worker.terminate()
        web.terminate()
        worker.wait(timeout=60)
        web.wait(timeout=60)

    written = log.read_text()
    assert _statuses(url) == ["success"] * 6
    assert written.count("the database is unreachable") == 1, written  # one line per outage
    assert "the database is back after" in written
    assert "Traceback" not in written, written
