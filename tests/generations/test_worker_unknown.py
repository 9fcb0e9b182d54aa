"""Unknown videos without a task id resolve themselves: failed, refunded, flagged, re-adoptable."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from projects import worker
from projects.models import Generation, LedgerEntry
from projects.models.reports import reconciliation_flag, reconciliation_rows
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S, run_worker


@pytest.fixture
def lost(make_generation, settings):
    """Sent, its create answer lost, no task id: unknown since now."""
    settings.KINOVI_UNKNOWN_RESOLVE_AFTER = 30
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.mark_unknown("Sent to Kinovi, but no answer came back")
    return generation


def _unknown_for(generation, minutes):
    Generation.objects.filter(pk=generation.pk).update(
        unknown_since=timezone.now() - timedelta(minutes=minutes),
        next_attempt_at=timezone.now(),
    )


def _webhook(generation, body):
    content = body if isinstance(body, bytes) else json.dumps(body)
    return Client().post(
        f"/hooks/kinovi/{generation.callback_token()}/", content, content_type="application/json"
    )


def test_it_waits_the_window_for_a_webhook(lost):
    lost.refresh_from_db()
    assert lost.resolve_at == lost.unknown_since + timedelta(minutes=30)
    assert lost.next_attempt_at == lost.resolve_at


def test_the_worker_fails_and_refunds_one_no_webhook_named_in_the_window(lost):
    _unknown_for(lost, 31)
    assert worker.work_once("w1")
    lost.refresh_from_db()
    assert (lost.status, lost.error_code) == (S.FAIL, Generation.NEVER_CONFIRMED)
    assert "Never confirmed by Kinovi" in lost.error_message
    assert "refunded" in lost.error_message
    kinds = sorted(LedgerEntry.objects.filter(generation=lost).values_list("kind", flat=True))
    assert kinds == ["refund", "reserve"]
    assert LedgerEntry.objects.filter(generation=lost).total_credits() == 0
    assert not Generation.objects.due().filter(pk=lost.pk).exists()


def test_a_wake_up_before_the_window_resolves_nothing(lost):
    _unknown_for(lost, 5)
    assert _webhook(lost, b"not json").status_code == 200  # wakes it, names nothing
    worker.work_once("w1")
    lost.refresh_from_db()
    assert lost.status == S.UNKNOWN
    assert lost.next_attempt_at >= timezone.now() + timedelta(minutes=24)
    assert not LedgerEntry.objects.filter(generation=lost, kind="refund").exists()


def test_one_with_a_task_id_is_never_resolved_this_way(lost):
    Generation.objects.filter(pk=lost.pk).update(task_id="task_1")
    _unknown_for(lost, 60)
    lost.refresh_from_db()
    assert not lost.resolve_never_confirmed()
    assert Generation.objects.get(pk=lost.pk).status == S.UNKNOWN


def test_reconciliation_flags_it_as_never_confirmed(lost):
    _unknown_for(lost, 31)
    worker.work_once("w1")
    now = timezone.now()
    [row] = reconciliation_rows(now - timedelta(days=1), now + timedelta(days=1))
    assert reconciliation_flag(row) == (
        "Never confirmed by Kinovi: failed and refunded by the worker."
    )


def test_a_webhook_naming_its_task_later_re_adopts_it_and_it_is_charged(
    kinovi, settings, make_generation
):
    """Kinovi made it after all: its late webhook brings it back, settled to creditsUsed."""
    settings.KINOVI_UNKNOWN_RESOLVE_AFTER = 0
    settings.KINOVI_TIMEOUT_SECONDS = 1
    kinovi.control(lost_answer_rate=1.0, hang_seconds=2, webhook_delay_seconds=3)
    generation = make_generation(kinovi.image_url)
    generation.submit()
    run_worker(lambda: Generation.objects.get(pk=generation.pk).status == S.FAIL)
    assert Generation.objects.get(pk=generation.pk).error_code == Generation.NEVER_CONFIRMED

    run_worker(lambda: Generation.objects.get(pk=generation.pk).status == S.SUCCESS, timeout=30)
    generation.refresh_from_db()
    assert generation.task_id
    assert (generation.error_code, generation.credits_used) == ("", 200)
    assert generation.output_file.name
    entries = LedgerEntry.objects.filter(generation=generation)
    assert sorted(entries.values_list("kind", flat=True)) == ["adjust", "refund", "reserve"]
    assert entries.total_credits() == 200
    charged = 100_000 - kinovi.state()["settings"]["balance"]
    assert LedgerEntry.objects.total_credits() == charged == 200


def test_a_re_adopted_task_that_failed_is_not_refunded_twice(lost):
    _unknown_for(lost, 31)
    worker.work_once("w1")
    lost.refresh_from_db()
    assert _webhook(lost, {"taskId": "task_late", "status": "fail"}).status_code == 200
    lost.refresh_from_db()
    assert (lost.status, lost.task_id) == (S.UNKNOWN, "task_late")
    assert lost.give_up("Kinovi says it failed")
    assert LedgerEntry.objects.filter(generation=lost, kind="refund").count() == 1
    assert LedgerEntry.objects.filter(generation=lost).total_credits() == 0


def test_a_failed_video_is_not_re_adopted_unless_never_confirmed(make_generation):
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.give_up("Kinovi refused it")
    assert _webhook(generation, {"taskId": "task_x", "status": "success"}).status_code == 200
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.FAIL, "")
