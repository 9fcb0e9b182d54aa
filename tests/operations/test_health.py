"""/healthz and /readyz: anonymous, JSON, 200 or 503 naming what failed, no secrets."""

import io
import json
import os
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from projects import worker
from projects.models import WorkerHeartbeat
from projects.views import health
from tests.operations.servers import free_port

pytestmark = pytest.mark.django_db
MAX_READINESS_QUERIES = 5


@pytest.fixture
def ready(settings, kinovi_simulator, local_storage):
    """Everything readiness asks about works, but for a worker's heartbeat."""
    settings.KINOVI_BASE_URL = kinovi_simulator.base_url
    settings.KINOVI_API_KEY = kinovi_simulator.api_key
    return Client()


def readiness(client):
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, response.json()


def test_it_answers_healthz_without_a_login_or_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_it_is_not_ready_while_no_worker_has_beaten(ready):
    status, body = readiness(ready)
    assert status == 503
    assert body["failed"] == ["worker"]
    assert body["checks"]["worker"] == "no worker heartbeat in 30 s"
    assert {name for name, state in body["checks"].items() if state == "ok"} == {
        "database",
        "migrations",
        "storage",
        "kinovi",
    }


def test_it_is_ready_once_a_worker_beats(ready, django_assert_max_num_queries):
    WorkerHeartbeat.objects.start()
    with django_assert_max_num_queries(MAX_READINESS_QUERIES):
        status, body = readiness(ready)
    assert (status, body["status"], body["failed"]) == (200, "ok", [])


def test_it_is_not_ready_again_when_the_last_beat_is_over_30_s_old(ready):
    heartbeat = WorkerHeartbeat.objects.start()
    WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
        last_beat_at=timezone.now() - timedelta(seconds=31)
    )
    assert readiness(ready)[0] == 503
    heartbeat.beat(rows_handled=3)
    assert readiness(ready)[0] == 200


@pytest.mark.django_db(transaction=True)  # the command closes connections between passes
def test_a_worker_that_stopped_does_not_count(ready):
    call_command("worker", "--once", stdout=io.StringIO())
    heartbeat = WorkerHeartbeat.objects.get()
    assert heartbeat.stopped_at is not None
    assert readiness(ready)[1]["failed"] == ["worker"]


def test_it_names_an_unreachable_kinovi(ready, settings):
    WorkerHeartbeat.objects.start()
    settings.KINOVI_BASE_URL = f"http://127.0.0.1:{free_port()}/api/v1"
    status, body = readiness(ready)
    assert (status, body["failed"], body["checks"]["kinovi"]) == (503, ["kinovi"], "unreachable")


def test_it_names_storage_that_cannot_be_written(ready, monkeypatch):
    WorkerHeartbeat.objects.start()

    def refuse(storage, name, content, max_length=None):
        raise PermissionError("read-only")

    monkeypatch.setattr(FileSystemStorage, "save", refuse)
    status, body = readiness(ready)
    assert (status, body["failed"]) == (503, ["storage"])


def test_it_names_migrations_this_code_has_and_the_database_lacks(ready, monkeypatch):
    WorkerHeartbeat.objects.start()
    latest = health._latest_migrations() | {("projects", "9999_not_applied")}
    monkeypatch.setattr(health, "_latest_migrations", lambda: latest)
    status, body = readiness(ready)
    assert (status, body["failed"]) == (503, ["migrations"])
    assert body["checks"]["migrations"] == "1 app(s) not migrated"


def test_it_names_no_secret(ready, settings):
    WorkerHeartbeat.objects.start()
    settings.KINOVI_BASE_URL = f"http://127.0.0.1:{free_port()}/api/v1"
    text = json.dumps(readiness(ready)[1])
    for secret in (settings.KINOVI_API_KEY, settings.SECRET_KEY, "127.0.0.1", "sqlite"):
        assert secret not in text


@pytest.mark.django_db(transaction=True)
def test_the_worker_command_records_where_it_runs_and_the_rows_it_handled(ready, monkeypatch):
    batches = iter([3, 2, 0])
    monkeypatch.setattr(worker, "work_batch", lambda worker_id: next(batches))
    call_command("worker", "--once", stdout=io.StringIO())
    heartbeat = WorkerHeartbeat.objects.get()
    assert (heartbeat.pid, heartbeat.rows_handled) == (os.getpid(), 5)
    assert heartbeat.started_at <= heartbeat.last_beat_at <= heartbeat.stopped_at
