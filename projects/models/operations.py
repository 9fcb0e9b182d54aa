"""Operations: which workers are alive, and what Kinovi refused lately.

`WorkerHeartbeat`: one row per worker process, beaten every WORKER_HEARTBEAT_SECONDS
by `manage.py worker`; readiness wants one younger than HEARTBEAT_FRESH, and staff
see a banner when none beat for HEARTBEAT_MISSING while videos are queued.
`DispatchRefusal`: a createTask answered 429, 5xx or not at all, for the status page.
"""

import os
import socket
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Count, Exists, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from projects.models.credits import LedgerEntry
from projects.models.generation import DispatchGate, Generation

__all__ = ["DispatchRefusal", "QueueFigures", "WorkerHeartbeat", "queue_figures"]

HEARTBEAT_FRESH = timedelta(seconds=30)
HEARTBEAT_MISSING = timedelta(minutes=1)
# Rows of workers gone this long, and refusals this old, are removed.
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeatQuerySet(models.QuerySet):
    def alive(self, within: timedelta = HEARTBEAT_FRESH):
        return self.filter(stopped_at__isnull=True, last_beat_at__gte=timezone.now() - within)

    def missing_while_queued(self) -> bool:
        """Videos are queued and no worker beat for HEARTBEAT_MISSING (one query)."""
        return (
            Generation.objects.filter(status=Generation.Status.QUEUED)
            .filter(~Exists(self.alive(HEARTBEAT_MISSING)))
            .exists()
        )

    def start(self) -> "WorkerHeartbeat":
        """This process's row, beaten once; forgets workers gone for a day."""
        now = timezone.now()
        self.filter(last_beat_at__lt=now - FORGET_AFTER).delete()
        return self.create(
            host=socket.gethostname()[:255], pid=os.getpid(), started_at=now, last_beat_at=now
        )


class WorkerHeartbeat(models.Model):
    """A `manage.py worker` process: where it runs, since when, its last beat, its work."""

    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_beat_at = models.DateTimeField(db_index=True)
    rows_handled = models.PositiveBigIntegerField(default=0)
    stopped_at = models.DateTimeField(null=True, blank=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-last_beat_at"]

    def __str__(self) -> str:
        return f"worker {self.host}:{self.pid}"

    def beat(self, rows_handled: int) -> None:
        self.last_beat_at = timezone.now()
        self.rows_handled = rows_handled
        WorkerHeartbeat.objects.filter(pk=self.pk).update(
            last_beat_at=self.last_beat_at, rows_handled=rows_handled
        )

    def stop(self, rows_handled: int) -> None:
        now = timezone.now()
        WorkerHeartbeat.objects.filter(pk=self.pk).update(rows_handled=rows_handled, stopped_at=now)


class DispatchRefusalQuerySet(models.QuerySet):
    def record(self, status_code: int | None) -> None:
        """A createTask Kinovi refused for now: 429, a 5xx, or 0 for no answer."""
        now = timezone.now()
        self.filter(at__lt=now - FORGET_AFTER).delete()
        self.create(status_code=status_code or 0, at=now)

    def since(self, moment):
        return self.filter(at__gte=moment)


class DispatchRefusal(models.Model):
    status_code = models.PositiveSmallIntegerField(help_text="429, 5xx, or 0: no answer.")
    at = models.DateTimeField(db_index=True)

    objects = DispatchRefusalQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Kinovi {self.status_code or 'unreachable'} at {self.at:%H:%M:%S}"


@dataclass(frozen=True)
class QueueFigures:
    """What the staff status page and the metrics show, read in a handful of queries."""

    by_state: dict[str, int]
    in_flight: int
    limit: int
    oldest_queued_at: datetime | None
    refusals_last_hour: dict[str, int]  # "429", "5xx", "unreachable"
    dispatch_latencies: list[float]  # seconds from queued to accepted, last hour
    credits: dict[str, int]  # reserved, settled (Kinovi's creditsUsed), refunded

    @property
    def queued(self) -> int:
        return self.by_state.get(Generation.Status.QUEUED, 0)

    @property
    def oldest_queued_seconds(self) -> float | None:
        if self.oldest_queued_at is None:
            return None
        return max((timezone.now() - self.oldest_queued_at).total_seconds(), 0.0)

    @property
    def dispatch_latency_median(self) -> float | None:
        return statistics.median(self.dispatch_latencies) if self.dispatch_latencies else None

    @property
    def dispatch_latency_max(self) -> float | None:
        return max(self.dispatch_latencies) if self.dispatch_latencies else None


def queue_figures() -> QueueFigures:
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    counts = dict(Generation.objects.order_by().values_list("status").annotate(n=Count("pk")))
    by_state = {status: counts.get(status, 0) for status in Generation.Status.values}
    oldest = Generation.objects.filter(status=Generation.Status.QUEUED).aggregate(
        oldest=Min("submitted_at")
    )["oldest"]
    refusals = DispatchRefusal.objects.since(hour_ago).aggregate(
        too_many=Count("pk", filter=Q(status_code=429)),
        server=Count("pk", filter=Q(status_code__gte=500)),
        unreachable=Count("pk", filter=Q(status_code=0)),
    )
    latencies = [
        (accepted - submitted).total_seconds()
        for submitted, accepted in Generation.objects.filter(
            accepted_at__gte=hour_ago, submitted_at__isnull=False
        ).values_list("submitted_at", "accepted_at")
    ]
    kinds = LedgerEntry.Kind
    credits = LedgerEntry.objects.aggregate(
        reserved=Coalesce(Sum("credits", filter=Q(kind=kinds.RESERVE)), Value(Decimal(0))),
        settled=Coalesce(Sum("credits_used", filter=Q(kind=kinds.SETTLE)), Value(Decimal(0))),
        refunded=Coalesce(Sum("credits", filter=Q(kind=kinds.REFUND)), Value(Decimal(0))),
    )
    gate = DispatchGate.objects.filter(pk=DispatchGate.objects.GATE_PK).first() or DispatchGate()
    return QueueFigures(
        by_state=by_state,
        in_flight=sum(by_state[status] for status in Generation.IN_FLIGHT_STATES),
        limit=gate.limit,
        oldest_queued_at=oldest,
        refusals_last_hour={
            "429": refusals["too_many"],
            "5xx": refusals["server"],
            "unreachable": refusals["unreachable"],
        },
        dispatch_latencies=sorted(latencies),
        credits={**credits, "refunded": -credits["refunded"]},
    )
