import threading

import pytest
from django.db import connection
from django.utils import timezone

from projects.models import Generation, Project


def _generations(project, n, status=Generation.Status.QUEUED):
    return Generation.objects.bulk_create(
        Generation(project=project, model="seedance-20", prompt=f"shot {i}", status=status)
        for i in range(n)
    )


@pytest.fixture
def project(team, bob):
    return Project.objects.create(team=team, name="Trailer", owner=bob)


def test_it_claims_the_oldest_due_row_once(project):
    first, second = _generations(project, 2)
    claimed = Generation.objects.claim_next("w1")
    assert claimed.pk == first.pk
    assert claimed.claimed_by == "w1"
    assert Generation.objects.claim_next("w2").pk == second.pk
    assert Generation.objects.claim_next("w3") is None


def test_it_skips_finished_drafts_and_future_rows(project):
    _generations(project, 1, Generation.Status.SUCCESS)
    _generations(project, 1, Generation.Status.DRAFT)
    (later,) = _generations(project, 1)
    later.release(retry_in=60)
    assert Generation.objects.claim_next("w1") is None


def test_it_reclaims_a_row_whose_lease_expired(project):
    (row,) = _generations(project, 1)
    Generation.objects.filter(pk=row.pk).update(
        claimed_by="dead-worker", claimed_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert Generation.objects.claim_next("w2").pk == row.pk


def test_it_does_not_claim_a_row_that_stopped_being_due(project):
    backed_off, finished, leased = _generations(project, 3)
    # Each row was a candidate a moment ago; since then another worker put one
    # back with a backoff, a webhook finished one, another worker leased one.
    Generation.objects.claim_next("B")
    backed_off.refresh_from_db()
    backed_off.release(retry_in=60)
    Generation.objects.filter(pk=finished.pk).update(status=Generation.Status.SUCCESS)
    assert Generation.objects.claim(leased.pk, "B")
    assert not Generation.objects.claim(backed_off.pk, "A")
    assert not Generation.objects.claim(finished.pk, "A")
    assert not Generation.objects.claim(leased.pk, "A")
    assert Generation.objects.get(pk=leased.pk).claimed_by == "B"


def test_it_keeps_a_late_worker_from_releasing_anothers_lease(project):
    (row,) = _generations(project, 1)
    late = Generation.objects.claim_next("A")
    Generation.objects.filter(pk=row.pk).update(
        claimed_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    assert Generation.objects.claim_next("B").pk == row.pk
    assert late.release() is False
    assert Generation.objects.get(pk=row.pk).claimed_by == "B"
    assert Generation.objects.claim_next("C") is None


@pytest.mark.django_db(transaction=True)
def test_it_never_gives_one_row_to_two_concurrent_workers(team, bob):
    project = Project.objects.create(team=team, name="Race", owner=bob)
    rows = _generations(project, 40)
    start = threading.Barrier(2)
    claims: dict[str, list[int]] = {"w1": [], "w2": []}
    errors = []

    def worker(name):
        try:
            start.wait()
            while (claimed := Generation.objects.claim_next(name)) is not None:
                claims[name].append(claimed.pk)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    taken = claims["w1"] + claims["w2"]
    assert sorted(taken) == sorted(r.pk for r in rows)
    assert len(set(taken)) == len(taken)
    by_worker = dict(Generation.objects.values_list("pk", "claimed_by"))
    for name, ids in claims.items():
        assert all(by_worker[pk] == name for pk in ids)
