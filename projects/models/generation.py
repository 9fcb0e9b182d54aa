import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.models.project import Project


def _callback_token() -> str:
    return secrets.token_urlsafe(32)


class InvalidTransition(Exception):
    pass


class GenerationQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(project__team=team)

    def due(self, now=None):
        """Rows the worker should look at now: work pending and not leased."""
        now = now or timezone.now()
        return self.filter(
            status__in=Generation.WORKER_STATES,
            next_attempt_at__lte=now,
        ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))

    def claim_next(self, worker_id: str, lease_seconds: int | None = None):
        """Lease the oldest due row to `worker_id`, or return None."""
        now = timezone.now()
        candidates = self.due(now).order_by("next_attempt_at", "id").values_list("id", flat=True)
        for candidate_id in list(candidates[:20]):
            if self.claim(candidate_id, worker_id, lease_seconds, now):
                return Generation.objects.get(id=candidate_id)
        return None

    def claim(self, pk: int, worker_id: str, lease_seconds: int | None = None, now=None) -> bool:
        """Lease row `pk` to `worker_id` if it is still due; True when this call won it.

        One conditional UPDATE repeats every condition of due(): of several
        workers racing for a row exactly one changes it (on PostgreSQL the
        loser's UPDATE re-reads the row after the winner commits and matches
        nothing; SQLite serialises writers), and a row that stopped being due
        meanwhile (finished by a webhook, put back with a backoff, leased by
        another worker) is left alone.
        """
        now = now or timezone.now()
        lease = timedelta(seconds=lease_seconds or settings.WORKER_LEASE_SECONDS)
        won = (
            Generation.objects.due(now)
            .filter(pk=pk)
            .update(claimed_by=worker_id, claimed_until=now + lease)
        )
        return bool(won)


class Generation(models.Model):
    """One video asked of Kinovi; also the worker's queue row."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        QUEUED = "queued", "Queued"
        SUBMITTING = "submitting", "Submitting"
        WAITING = "waiting", "Waiting"
        GENERATING = "generating", "Generating"
        SUCCESS = "success", "Done"
        FAIL = "fail", "Failed"
        UNKNOWN = "unknown", "Unknown"

    S = Status
    TRANSITIONS: dict[str, set[str]] = {
        S.DRAFT: {S.QUEUED},
        S.QUEUED: {S.SUBMITTING, S.FAIL},
        # Back to queued on 429/5xx; unknown when the create call got no answer.
        S.SUBMITTING: {S.WAITING, S.QUEUED, S.FAIL, S.UNKNOWN},
        S.UNKNOWN: {S.WAITING, S.GENERATING, S.SUCCESS, S.FAIL},
        S.WAITING: {S.GENERATING, S.SUCCESS, S.FAIL},
        S.GENERATING: {S.SUCCESS, S.FAIL},
        S.SUCCESS: set(),
        S.FAIL: set(),
    }
    # States in which the worker has something to do.
    WORKER_STATES = (S.QUEUED, S.SUBMITTING, S.WAITING, S.GENERATING)
    FINISHED_STATES = (S.SUCCESS, S.FAIL)

    project = models.ForeignKey(Project, models.CASCADE, related_name="generations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="generations"
    )
    model = models.CharField(max_length=40)
    prompt = models.TextField()
    duration = models.PositiveSmallIntegerField(default=5)
    aspect_ratio = models.CharField(max_length=5, default="16:9")
    upscale_4k = models.BooleanField(default=False)

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    task_id = models.CharField(max_length=100, blank=True, db_index=True)
    callback_token = models.CharField(max_length=64, default=_callback_token, unique=True)
    request_payload = models.JSONField(null=True, blank=True)
    credits_estimated = models.PositiveIntegerField(default=0)
    credits_used = models.PositiveIntegerField(null=True, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    output_url = models.URLField(max_length=2000, blank=True)
    output_file = models.FileField(upload_to="outputs/", blank=True)

    # Worker bookkeeping: when to look again, who holds the lease, how often tried.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Generation {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATES

    def transition(self, to: str, **fields) -> bool:
        """Move to state `to`, saving `fields` with it.

        Checked against TRANSITIONS, and conditional on the row still being in
        the state this instance holds: when a webhook and the poller race, one
        wins and the other gets False and changes nothing.
        """
        if to not in self.TRANSITIONS[self.status]:
            raise InvalidTransition(f"{self.status} → {to} is not allowed")
        if to in self.FINISHED_STATES:
            fields.setdefault("completed_at", timezone.now())
        fields["updated_at"] = timezone.now()
        changed = Generation.objects.filter(pk=self.pk, status=self.status).update(
            status=to, **fields
        )
        if changed:
            self.status = to
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(changed)

    def release(self, *, retry_in: float | None = None) -> bool:
        """Give the worker lease back; look again in `retry_in` seconds.

        Only while this instance's worker still holds the lease: a worker that
        outlived its lease must not free a row another worker has taken since.
        Returns False when the lease had been lost.
        """
        fields = {"claimed_by": "", "claimed_until": None}
        if retry_in is not None:
            fields["next_attempt_at"] = timezone.now() + timedelta(seconds=retry_in)
        released = Generation.objects.filter(pk=self.pk, claimed_by=self.claimed_by).update(
            **fields
        )
        if released:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(released)
