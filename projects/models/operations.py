"""Operations: which workers are alive, and what Kinovi refused lately.

`WorkerHeartbeat`: one row per worker process, beaten every WORKER_HEARTBEAT_SECONDS
by `manage.py worker`; readiness wants one younger than HEARTBEAT_FRESH, and staff
see a banner when none beat for HEARTBEAT_MISSING while videos are queued.
`DispatchRefusal`: a createTask answered 429, 5xx or not at all, for the status page.
"""

import os
import socket
from datetime import timedelta

from django.db import models
from django.utils import timezone

__all__ = ["DispatchRefusal", "WorkerHeartbeat"]

HEARTBEAT_FRESH = timedelta(seconds=30)
HEARTBEAT_MISSING = timedelta(minutes=1)
# Rows of workers gone this long, and refusals this old, are removed.
FORGET_AFTER = timedelta(days=1)


class WorkerHeartbeatQuerySet(models.QuerySet):
    def alive(self, within: timedelta = HEARTBEAT_FRESH):
        return self.filter(stopped_at__isnull=True, last_beat_at__gte=timezone.now() - within)

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
