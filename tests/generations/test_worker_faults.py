"""200 generations through every fault the simulator has at once.

500s on a share of calls, a spell of forced 429s, create answers lost after the task was
made, every webhook late and sent three times. Whatever happens: no generation is lost
or created twice, none is charged twice, and our ledger adds up to what Kinovi charged.
"""

import time
from collections import Counter

from projects import worker
from projects.models import Generation, LedgerEntry
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S

GENERATIONS = 200
START_BALANCE = 100_000


def test_it_loses_nothing_and_charges_once_under_every_fault(kinovi, make_generation, settings):
    settings.KINOVI_MAX_CONCURRENT_TASKS = 10
    settings.KINOVI_MAX_ATTEMPTS = 30  # 500s are retried, not given up on here
    settings.KINOVI_TIMEOUT_SECONDS = 1
    kinovi.control(
        concurrency_limit=10,
        waiting_seconds=0.05,
        generating_seconds=0.1,
        error_rate=0.2,
        force_429=True,
        lost_answer_rate=0.1,
        hang_seconds=0.2,
        duplicate_webhooks=2,
        webhook_delay_seconds=0.3,
    )
    generations = [make_generation(kinovi.image_url) for _ in range(GENERATIONS)]
    for generation in generations:
        generation.submit()

    started = time.monotonic()
    storm_over = False
    while Generation.objects.exclude(status__in=Generation.FINISHED_STATES).exists():
        assert time.monotonic() - started < 300, Counter(
            Generation.objects.values_list("status", flat=True)
        )
        if not storm_over and time.monotonic() - started > 2:
            kinovi.control(force_429=False)
            storm_over = True
        if not worker.work_once("w1"):
            time.sleep(0.01)

    state = kinovi.state()
    assert Counter(Generation.objects.values_list("status", flat=True)) == {S.SUCCESS: GENERATIONS}
    task_ids = list(Generation.objects.values_list("task_id", flat=True))
    assert len(set(task_ids)) == GENERATIONS  # each its own task
    assert sum(state["tasks"].values()) == GENERATIONS  # and no task made twice
    charged = START_BALANCE - state["settings"]["balance"]
    assert LedgerEntry.objects.total_credits() == charged == GENERATIONS * 200
    assert Counter(LedgerEntry.objects.values_list("kind", flat=True)) == {
        "reserve": GENERATIONS,
        "settle": GENERATIONS,
    }
    # Late copies of the webhooks still arriving change nothing.
    deadline = time.monotonic() + 30
    while kinovi.state()["webhooks"].get("delivered", 0) < GENERATIONS * 3:
        assert time.monotonic() < deadline, kinovi.state()["webhooks"]
        time.sleep(0.1)
    while worker.work_once("w1"):
        pass
    assert Counter(Generation.objects.values_list("status", flat=True)) == {S.SUCCESS: GENERATIONS}
    assert LedgerEntry.objects.count() == 2 * GENERATIONS
