"""The worker's loop when the database goes away: one line, a backoff, its rows back."""

import logging

import pytest
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from projects import worker
from projects.models import DispatchGate, Generation
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S


@pytest.fixture(autouse=True)
def _fresh_gate(monkeypatch, transactional_db):
    # Outside a test transaction: an outage closes the connection, as it must.
    monkeypatch.setattr(worker, "_gate_seen", (float("-inf"), True))


def _gate_down(monkeypatch, error=OperationalError):
    def down(self):
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(type(DispatchGate.objects), "free_slots_now", down)
    monkeypatch.setattr(worker, "_gate_seen", (float("-inf"), 0))  # ask the gate now


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_lost_gate_query_is_an_outage_not_a_crash(monkeypatch, caplog, error):
    _gate_down(monkeypatch, error)
    outage = worker.DatabaseOutage("w1")
    with caplog.at_level(logging.INFO, logger="projects.worker"):
        for _ in range(5):
            assert outage.work_batch() == 0
    assert outage.active
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # one line per outage, not one per try
    assert "the database is unreachable" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_it_waits_longer_each_try_up_to_a_bound(monkeypatch):
    _gate_down(monkeypatch)
    outage = worker.DatabaseOutage("w1")
    waits = []
    for _ in range(10):
        outage.work_batch()
        waits.append(outage.wait_seconds())
    assert waits[:4] == [0.5, 1.0, 2.0, 4.0]
    assert waits[-1] == worker.OUTAGE_MAX_WAIT_SECONDS


def test_a_handler_losing_the_database_stops_the_pass_and_its_rows_come_back(
    monkeypatch, make_generation, caplog
):
    generations = [make_generation() for _ in range(3)]
    for generation in generations:
        generation.submit()
    released = []
    monkeypatch.setattr(Generation, "release", lambda self, **kw: released.append(self.pk))

    def dispatch(generation):
        raise InterfaceError("connection already closed")

    monkeypatch.setitem(worker.HANDLERS, S.QUEUED, dispatch)
    outage = worker.DatabaseOutage("w1")
    with caplog.at_level(logging.INFO, logger="projects.worker"):
        assert outage.work_batch() == 0
    assert released == []  # nothing written on a dead connection
    assert Generation.objects.filter(claimed_by="w1").count() == 3
    assert not any(r.exc_info for r in caplog.records)

    monkeypatch.setitem(worker.HANDLERS, S.QUEUED, lambda generation: None)
    outage.work_batch()  # the database answers again
    assert not outage.active
    assert "the database is back after" in caplog.text
    assert not Generation.objects.filter(claimed_by="w1").exists()
    assert Generation.objects.due(timezone.now()).count() == 3


def test_other_handler_errors_still_release_the_row_for_later(monkeypatch, make_generation):
    generation = make_generation()
    generation.submit()

    def broken(generation):
        raise RuntimeError("a bug")

    monkeypatch.setitem(worker.HANDLERS, S.QUEUED, broken)
    outage = worker.DatabaseOutage("w1")
    assert outage.work_batch() == 1
    assert not outage.active
    generation.refresh_from_db()
    assert generation.claimed_by == ""
    assert generation.next_attempt_at > timezone.now()
