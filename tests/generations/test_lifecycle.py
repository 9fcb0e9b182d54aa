"""Generation's life-cycle methods: each one checked transition plus its ledger row."""

import ast
import hashlib
import threading
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from projects.kinovi.client import TaskInfo, TaskStatus, VideoOutput
from projects.models import Budget, Generation, LedgerEntry
from projects.models.credits import BudgetExceeded
from projects.models.generation import InvalidTransition, StoredOutput
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S

ROOT = Path(__file__).resolve().parents[2]


def _info(status, task_id="task_1", credits_used=None, **fields):
    return TaskInfo(
        task_id=task_id, model="seedance-20", status=status, credits_used=credits_used, **fields
    )


def _ledger(generation) -> list[tuple[str, int]]:
    entries = LedgerEntry.objects.filter(generation=generation).order_by("pk")
    return list(entries.values_list("kind", "credits"))


def _at(generation, status):
    """Walk a fresh generation to `status` through the life-cycle methods."""
    generation.submit()
    if status == S.QUEUED:
        return generation
    assert generation.start_dispatch()
    if status == S.SUBMITTING:
        return generation
    if status == S.UNKNOWN:
        assert generation.mark_unknown("no answer")
        return generation
    assert generation.accept("task_1")
    if status == S.GENERATING:
        assert generation.apply(_info(TaskStatus.GENERATING))
    return generation


@pytest.fixture
def queued(make_generation):
    return _at(make_generation(), S.QUEUED)


def test_it_queues_on_submit_reserving_credits_with_no_network_call(make_generation):
    generation = make_generation()
    generation.submit()
    generation.refresh_from_db()
    assert generation.status == S.QUEUED
    assert generation.credits_estimated == 200
    assert generation.submitted_at is not None
    assert generation.next_attempt_at <= timezone.now()
    assert _ledger(generation) == [("reserve", 200)]


def test_it_stays_a_draft_with_nothing_reserved_over_budget(make_generation, alice, team):
    Budget.objects.create(team=team, user=alice, hard_limit=100)
    generation = make_generation()
    with pytest.raises(BudgetExceeded):
        generation.submit()
    generation.refresh_from_db()
    assert generation.status == S.DRAFT
    assert _ledger(generation) == []
    assert generation.callback_token_hash == ""


def test_it_reserves_once_when_submitted_twice(queued):
    copy = Generation.objects.get(pk=queued.pk)
    copy.status = S.DRAFT  # a stale copy, as a second request would hold
    with pytest.raises(InvalidTransition):
        copy.submit()
    assert _ledger(queued) == [("reserve", 200)]


def test_it_makes_one_generation_per_idempotency_key(make_generation):
    first = make_generation()
    first.idempotency_key = "key-1"
    first.save()
    second = make_generation()
    second.idempotency_key = "key-1"
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    # Drafts made without a key don't collide.
    make_generation(), make_generation()


def test_it_follows_a_task_to_success_settling_to_credits_used(queued):
    assert queued.start_dispatch()
    assert queued.accept("task_1")
    assert queued.apply(_info(TaskStatus.GENERATING))
    output = VideoOutput("https://cdn.kinovi.ai/v.mp4", 1280, 720)
    stored = StoredOutput("outputs/v.mp4", "posters/v.webp", "frames/v.png")
    assert queued.apply(
        _info(TaskStatus.SUCCESS, credits_used=180, outputs=[output], seed=7), stored
    )
    queued.refresh_from_db()
    assert queued.status == S.SUCCESS
    assert (queued.output_url, queued.output_width, queued.output_height, queued.seed) == (
        "https://cdn.kinovi.ai/v.mp4",
        1280,
        720,
        7,
    )
    assert queued.output_file.name == "outputs/v.mp4"
    assert queued.last_frame_file.name == "frames/v.png"
    assert queued.credits_used == 180
    assert sum(credits for _, credits in _ledger(queued)) == 180


def test_it_refunds_the_whole_reservation_on_fail_with_the_reason_in_plain_words(queued):
    queued.start_dispatch()
    queued.accept("task_1")
    failure = _info(
        TaskStatus.FAIL,
        credits_used=200,
        error_code="2038",
        error_message="The prompt was rejected by the content policy.",
    )
    assert queued.apply(failure)
    queued.refresh_from_db()
    assert queued.status == S.FAIL
    assert queued.error_code == "2038"
    assert queued.error_message == (
        "Kinovi's content rules rejected the prompt: The prompt was rejected by the content policy."
    )
    assert [kind for kind, _ in _ledger(queued)] == ["reserve", "refund"]
    assert sum(credits for _, credits in _ledger(queued)) == 0


def test_it_ignores_reports_older_than_what_it_knows(queued):
    _at_generating = queued
    queued.start_dispatch()
    queued.accept("task_1")
    queued.apply(_info(TaskStatus.GENERATING))
    assert not _at_generating.apply(_info(TaskStatus.WAITING))
    assert queued.apply(_info(TaskStatus.SUCCESS, credits_used=200))
    assert not queued.apply(_info(TaskStatus.FAIL))
    assert not queued.apply(_info(TaskStatus.SUCCESS, credits_used=200))
    assert queued.status == S.SUCCESS
    assert [kind for kind, _ in _ledger(queued)] == ["reserve", "settle"]


def test_it_refuses_a_report_about_another_task(queued):
    queued.start_dispatch()
    queued.accept("task_1")
    with pytest.raises(ValueError):
        queued.apply(_info(TaskStatus.SUCCESS, task_id="task_2"))


def test_it_lets_one_of_two_racing_writers_win_and_charges_once(queued):
    queued.start_dispatch()
    queued.accept("task_1")
    poller = Generation.objects.get(pk=queued.pk)
    admin = Generation.objects.get(pk=queued.pk)
    assert poller.apply(_info(TaskStatus.SUCCESS, credits_used=200))
    assert not admin.give_up("marked failed")
    assert Generation.objects.get(pk=queued.pk).status == S.SUCCESS
    assert [kind for kind, _ in _ledger(queued)] == ["reserve", "settle"]


def test_it_goes_back_to_the_queue_to_retry(queued):
    queued.start_dispatch()
    assert queued.retry_later(30, "Kinovi had a problem")
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.status_detail) == (
        S.QUEUED,
        1,
        "Kinovi had a problem",
    )
    assert (queued.next_attempt_at - timezone.now()).total_seconds() > 25
    queued.start_dispatch()
    queued.retry_later(1, "Kinovi is busy", failed=False)
    assert Generation.objects.get(pk=queued.pk).attempts == 1


def test_it_gives_up_refunding(queued):
    queued.start_dispatch()
    assert queued.give_up("Kinovi refused the request: bad", code="400")
    queued.refresh_from_db()
    assert (queued.status, queued.error_code, queued.error_message) == (
        S.FAIL,
        "400",
        "Kinovi refused the request: bad",
    )
    assert sum(credits for _, credits in _ledger(queued)) == 0


def test_it_keeps_the_reservation_of_an_unknown_generation(queued):
    queued.start_dispatch()
    assert queued.mark_unknown("no answer came back")
    queued.refresh_from_db()
    assert (queued.status, queued.status_detail) == (S.UNKNOWN, "no answer came back")
    assert _ledger(queued) == [("reserve", 200)]
    # Without a task id nothing can be asked: it waits KINOVI_UNKNOWN_RESOLVE_AFTER for a
    # webhook naming its task, then the worker fails it as never confirmed.
    assert queued.next_attempt_at > timezone.now() + timezone.timedelta(minutes=29)
    assert queued.next_attempt_at == queued.resolve_at


def test_it_rescues_an_unknown_generation_by_its_task(make_generation):
    accepted_late = _at(make_generation(), S.UNKNOWN)
    assert accepted_late.accept("task_1")
    assert accepted_late.status == S.WAITING
    named_by_webhook = _at(make_generation(), S.UNKNOWN)
    assert named_by_webhook.record_webhook("task_2")
    named_by_webhook.refresh_from_db()
    assert named_by_webhook.apply(_info(TaskStatus.SUCCESS, task_id="task_2", credits_used=200))
    assert named_by_webhook.status == S.SUCCESS
    assert sum(credits for _, credits in _ledger(named_by_webhook)) == 200


# Every method against every state: allowed moves move, the others raise.
MOVES = {
    "start_dispatch": lambda g: g.start_dispatch(),
    "accept": lambda g: g.accept("task_1"),
    "retry_later": lambda g: g.retry_later(1, "again"),
    "give_up": lambda g: g.give_up("no"),
    "mark_unknown": lambda g: g.mark_unknown("lost"),
}
ALLOWED = {
    "start_dispatch": {S.QUEUED},
    "accept": {S.SUBMITTING, S.UNKNOWN},
    "retry_later": {S.SUBMITTING},
    "give_up": {S.QUEUED, S.SUBMITTING, S.WAITING, S.GENERATING, S.UNKNOWN},
    "mark_unknown": {S.SUBMITTING, S.WAITING, S.GENERATING},
}


@pytest.mark.parametrize("method", MOVES)
@pytest.mark.parametrize(
    "start", [S.DRAFT, S.QUEUED, S.SUBMITTING, S.WAITING, S.GENERATING, S.UNKNOWN]
)
def test_each_method_moves_only_from_the_states_it_may(make_generation, method, start):
    generation = make_generation() if start == S.DRAFT else _at(make_generation(), start)
    if start in ALLOWED[method]:
        assert MOVES[method](generation)
        assert Generation.objects.get(pk=generation.pk).status != start
    else:
        with pytest.raises(InvalidTransition):
            MOVES[method](generation)
        assert Generation.objects.get(pk=generation.pk).status == start


def test_nothing_but_the_life_cycle_writes_status():
    """Every write of `status` in the app's code is inside Generation._move."""
    writes = []
    for path in sorted((ROOT / "projects").rglob("*.py")):
        if "migrations" not in path.parts:
            tree = ast.parse(path.read_text())
            writes += [(path.relative_to(ROOT).as_posix(), line) for line in _status_writes(tree)]
    move = _function(ast.parse((ROOT / "projects/models/generation.py").read_text()), "_move")
    inside_move = range(move.lineno, move.end_lineno + 1)
    assert writes, "the scan found no write at all: it is broken"
    assert [
        (path, line)
        for path, line in writes
        if line not in inside_move or path != "projects/models/generation.py"
    ] == []


def _status_writes(tree: ast.AST):
    """Lines assigning `x.status = ...` or passing status= to update/create calls."""
    writing_calls = {"update", "create", "bulk_create", "get_or_create", "update_or_create"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" for t in targets):
                yield node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in writing_calls
            and any(keyword.arg == "status" for keyword in node.keywords)
        ):
            yield node.lineno


def _function(tree: ast.AST, name: str) -> ast.FunctionDef:
    return next(
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name
    )


def test_it_keeps_only_the_hash_of_the_callback_token(queued):
    token = queued.callback_token()
    assert token not in queued.callback_token_hash
    assert queued.callback_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert queued.callback_url().endswith(f"/hooks/kinovi/{token}/")
    assert Generation.objects.for_callback_token(token) == queued
    pk, mac = token.split(".")
    flipped = mac[:-1] + ("1" if mac[-1] == "0" else "0")
    for wrong in (f"{pk}.{flipped}", mac, f"{int(pk) + 1}.{mac}", "", ".", "x.y", "9" * 40):
        assert Generation.objects.for_callback_token(wrong) is None


def test_it_has_no_callback_token_before_submit(make_generation):
    draft = make_generation()
    assert Generation.objects.for_callback_token(draft.callback_token()) is None


def test_it_sends_the_stored_request_with_the_callback_url(queued):
    body = queued.request_body()
    assert body["callBackUrl"] == queued.callback_url()
    assert {k: v for k, v in body.items() if k != "callBackUrl"} == queued.request_payload
    assert "callBackUrl" not in queued.request_payload


def test_it_numbers_the_queue_in_submission_order(make_generation):
    first, second, third = (_at(make_generation(), S.QUEUED) for _ in range(3))
    first.start_dispatch()
    positions = Generation.objects.queue_positions()
    assert positions == {second.pk: 1, third.pk: 2}
    assert Generation.objects.get(pk=third.pk).place_in_line == 2
    assert Generation.objects.get(pk=first.pk).place_in_line is None


def test_it_archives_and_restores_without_touching_status_or_ledger(queued):
    queued.archive()
    assert Generation.objects.active().filter(pk=queued.pk).count() == 0
    assert Generation.objects.get(pk=queued.pk).status == S.QUEUED
    queued.unarchive()
    assert Generation.objects.active().filter(pk=queued.pk).count() == 1
    assert _ledger(queued) == [("reserve", 200)]


@pytest.mark.django_db(transaction=True)
def test_it_reserves_once_when_two_submits_of_one_draft_race(make_generation):
    """Two requests holding the same draft: one queues it, the other is refused."""
    draft = make_generation()
    start = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            start.wait()
            Generation.objects.get(pk=draft.pk).submit()
            outcomes.append("queued")
        except InvalidTransition:
            outcomes.append("refused")
        except Exception as error:  # surfaced by the assertion below
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["queued", "refused"]
    assert _ledger(draft) == [("reserve", 200)]
