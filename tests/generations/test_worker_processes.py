"""Two worker processes on one queue of 200: each task is created exactly once.

Run on PostgreSQL (DATABASE_URL=postgres://...) for the real thing: there the claims of
two processes race for rows; SQLite serialises its writers.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from projects.models import Generation, LedgerEntry
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S

ROOT = Path(__file__).resolve().parents[2]
GENERATIONS = 200
START_BALANCE = 100_000


def _database_url() -> str:
    """The URL of the test database this process uses, for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name: str, kinovi, media_root: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": settings.SECRET_KEY,  # the callback tokens are HMACs of it
        "SITE_URL": settings.SITE_URL,
        "MEDIA_ROOT": str(media_root),
        "KINOVI_BASE_URL": kinovi.base_url,
        "KINOVI_API_KEY": kinovi.api_key,
        "KINOVI_MAX_CONCURRENT_TASKS": "20",
        "KINOVI_POLL_SECONDS": "0.1",
        "KINOVI_RETRY_SECONDS": "0.05",
        "WORKER_POLL_SECONDS": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--id", name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_create_each_task_once(kinovi, make_generation, local_storage):
    kinovi.control(concurrency_limit=20, waiting_seconds=0.05, generating_seconds=0.1)
    generations = [make_generation(kinovi.image_url) for _ in range(GENERATIONS)]
    for generation in generations:
        generation.submit()

    workers = [_start_worker(name, kinovi, local_storage) for name in ("w-one", "w-two")]
    try:
        deadline = time.monotonic() + 240
        while Generation.objects.exclude(status__in=Generation.FINISHED_STATES).exists():
            assert all(w.poll() is None for w in workers), "a worker died"
            assert time.monotonic() < deadline, Counter(
                Generation.objects.values_list("status", flat=True)
            )
            time.sleep(0.2)
    finally:
        for process in workers:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[0] for process in workers]

    assert all(process.returncode == 0 for process in workers), outputs
    handled = [int(out.rsplit("stopped after ", 1)[1].split()[0]) for out in outputs]
    assert all(count > 0 for count in handled), outputs  # both took part
    assert Counter(Generation.objects.values_list("status", flat=True)) == {S.SUCCESS: GENERATIONS}
    task_ids = list(Generation.objects.values_list("task_id", flat=True))
    assert len(set(task_ids)) == GENERATIONS
    assert sum(kinovi.state()["tasks"].values()) == GENERATIONS
    charged = START_BALANCE - kinovi.state()["settings"]["balance"]
    assert LedgerEntry.objects.total_credits() == charged == GENERATIONS * 200
