"""A Kinovi task is one video's: webhooks can't hand a video another's task, or its cost."""

import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from projects.kinovi.client import TaskInfo, TaskStatus
from projects.models import Generation, LedgerEntry, Project
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S, create_draft, run_worker

TASK = "task_abc"


def _forge(generation, task_id):
    """A webhook to the generation's own callback URL, naming `task_id`."""
    body = {"taskId": task_id, "model": "seedance-20", "status": "success", "creditsUsed": 1}
    return Client().post(
        f"/hooks/kinovi/{generation.callback_token()}/",
        json.dumps(body),
        content_type="application/json",
    )


@pytest.fixture
def charlies_project(charlie, other_team):
    return Project.objects.create(team=other_team, owner=charlie, name="Globex launch")


def _sending(make_generation, **spec):
    generation = make_generation(**spec)
    generation.submit()
    assert generation.start_dispatch()
    return generation


def _lost_answer(make_generation, **spec):
    generation = _sending(make_generation, **spec)
    assert generation.mark_unknown("no answer came back")
    return generation


def test_it_keeps_another_teams_task_from_a_video_whose_answer_was_lost(
    kinovi, settings, make_generation, charlies_project
):
    """The attack: a forged webhook names another team's task, then the create answer is lost."""
    settings.KINOVI_TIMEOUT_SECONDS = 1
    theirs = create_draft(charlies_project, image_url=kinovi.image_url, duration=15)
    theirs.submit()
    run_worker(lambda: Generation.objects.get(pk=theirs.pk).status == S.SUCCESS)
    theirs.refresh_from_db()

    # Ours is made at Kinovi, but its answer is lost; its own webhook comes late.
    kinovi.control(lost_answer_rate=1.0, hang_seconds=2, webhook_delay_seconds=3)
    ours = make_generation(kinovi.image_url, duration=5)
    ours.submit()
    run_worker(lambda: Generation.objects.get(pk=ours.pk).status == S.UNKNOWN)
    kinovi.control(lost_answer_rate=0.0)

    assert _forge(ours, theirs.task_id).status_code == 200
    run_worker(lambda: Generation.objects.get(pk=ours.pk).is_finished, timeout=30)

    ours.refresh_from_db()
    assert ours.task_id != theirs.task_id
    assert ours.task_id  # its real task, named by its own (late) webhook
    assert ours.status == S.SUCCESS
    assert ours.credits_used == 200  # its own 5 s, not their 15 s (600)
    assert ours.output_url != theirs.output_url
    assert LedgerEntry.objects.filter(generation=ours).total_credits() == 200
    assert Generation.objects.filter(task_id=theirs.task_id).get() == theirs


def test_the_database_holds_a_task_id_on_one_generation_only(make_generation):
    first, second = make_generation(), make_generation()
    Generation.objects.filter(pk=first.pk).update(task_id=TASK)
    with pytest.raises(IntegrityError), transaction.atomic():
        Generation.objects.filter(pk=second.pk).update(task_id=TASK)
    # Empty task ids (not sent yet) are many.
    assert Generation.objects.filter(task_id="").count() == 1


@pytest.mark.parametrize("waiting_for", ["sending", "lost answer"])
def test_a_webhook_gives_a_free_task_id_to_a_video_waiting_for_one(make_generation, waiting_for):
    make = _sending if waiting_for == "sending" else _lost_answer
    generation = make(make_generation)
    assert _forge(generation, TASK).status_code == 200
    generation.refresh_from_db()
    assert generation.task_id == TASK


def test_a_webhook_gives_no_task_id_to_a_queued_video(make_generation):
    generation = make_generation()
    generation.submit()
    assert _forge(generation, TASK).status_code == 200
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.QUEUED, "")


def test_a_webhook_gives_no_task_id_to_a_finished_video(make_generation):
    generation = _sending(make_generation)
    generation.give_up("refused")
    assert _forge(generation, TASK).status_code == 200
    generation.refresh_from_db()
    assert generation.task_id == ""


def test_a_webhook_gives_no_task_id_another_video_holds(make_generation):
    holder = _sending(make_generation)
    holder.accept(TASK)
    generation = _lost_answer(make_generation)
    assert _forge(generation, TASK).status_code == 200
    generation.refresh_from_db()
    assert generation.task_id == ""
    assert not Generation.objects.due().filter(pk=generation.pk, task_id=TASK).exists()


def test_kinovis_create_answer_takes_its_task_back_from_a_webhooks_guess(make_generation):
    guessed = _lost_answer(make_generation)
    _forge(guessed, TASK)
    owner = _sending(make_generation)
    assert owner.accept(TASK)
    guessed.refresh_from_db()
    assert (owner.task_id, guessed.task_id) == (TASK, "")


@pytest.mark.parametrize(
    "record, says",
    [
        ({"model": "seedance2-fast"}, "model seedance2-fast, not seedance-20"),
        ({"duration": 15}, "length 15 s, not 5 s"),
    ],
    ids=["model", "length"],
)
def test_a_record_contradicting_a_webhooks_task_is_refused(make_generation, record, says):
    generation = _lost_answer(make_generation)
    _forge(generation, TASK)
    generation.refresh_from_db()
    info = TaskInfo(
        TASK, record.get("model", "seedance-20"), TaskStatus.SUCCESS, 1020, **_length(record)
    )
    assert not generation.apply(info)
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.UNKNOWN, "")
    assert says in generation.status_detail
    assert "Staff" in generation.status_detail
    assert not LedgerEntry.objects.filter(generation=generation, kind="settle").exists()


def test_a_record_contradicting_an_accepted_task_is_flagged_not_settled(make_generation):
    generation = _sending(make_generation)
    generation.accept(TASK)
    info = TaskInfo(TASK, "seedance-20", TaskStatus.SUCCESS, 600, duration=15)
    assert generation.apply(info)  # moved to unknown, for staff
    generation.refresh_from_db()
    assert (generation.status, generation.task_id) == (S.UNKNOWN, TASK)
    assert "length 15 s, not 5 s" in generation.status_detail
    assert generation.credits_used is None
    assert not LedgerEntry.objects.filter(generation=generation, kind="settle").exists()


def test_a_record_agreeing_with_the_request_is_followed(make_generation):
    generation = _sending(make_generation)
    generation.accept(TASK)
    info = TaskInfo(TASK, "seedance-20", TaskStatus.SUCCESS, 200, duration=5)
    assert generation.apply(info)
    assert generation.status == S.SUCCESS


def _length(record):
    return {"duration": record["duration"]} if "duration" in record else {}
