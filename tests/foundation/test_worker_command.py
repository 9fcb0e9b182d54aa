import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from projects import worker
from projects.models import Generation, Project

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    """The URL of the test database this process uses, for a child process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def queued(team, bob):
    project = Project.objects.create(team=team, name="Trailer", owner=bob)
    return Generation.objects.create(
        project=project, model="seedance-20", prompt="a shot", status=Generation.Status.QUEUED
    )


def test_it_hands_a_claimed_row_to_the_handler_of_its_state(queued, monkeypatch):
    seen = []
    monkeypatch.setitem(worker.HANDLERS, Generation.Status.QUEUED, seen.append)
    assert worker.work_once("w1") is True
    assert [g.pk for g in seen] == [queued.pk]
    assert worker.work_once("w1") is False  # still leased to w1


def test_it_releases_a_row_whose_handler_crashed(queued, monkeypatch):
    def crash(generation):
        raise RuntimeError("boom")

    monkeypatch.setitem(worker.HANDLERS, Generation.Status.QUEUED, crash)
    assert worker.work_once("w1") is True
    queued.refresh_from_db()
    assert queued.claimed_by == ""
    assert queued.next_attempt_at > queued.created_at


@pytest.mark.django_db(transaction=True)
def test_it_stops_cleanly_on_sigterm(team):
    env = {**os.environ, "DATABASE_URL": _database_url(), "WORKER_POLL_SECONDS": "0.2"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--id", "test-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "worker test-worker started"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "worker test-worker stopped after 0 item(s)" in out
