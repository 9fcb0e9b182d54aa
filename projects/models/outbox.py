"""Mail waiting to be sent: written in a web request, sent by the worker.

A request never talks to a mail server: it adds a row here (in its own transaction, so a
refused submission queues nothing) and `manage.py worker` drains the table.
Any domain may queue mail; this module imports no other domain.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import models, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

SEND_BATCH = 20
RETRY_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5


class OutboxQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(sent_at__isnull=True, failed_at__isnull=True, send_after__lte=now)


class OutboxMail(models.Model):
    subject = models.CharField(max_length=300)
    body = models.TextField()
    recipients = models.JSONField(default=list)
    # "video-done:<user id>" and the like: what batching looks up (blank: not batched).
    batch_key = models.CharField(max_length=100, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    send_after = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["send_after", "id"]
        verbose_name = "outbox mail"

    def __str__(self) -> str:
        return self.subject


def queue_mail(subject: str, body: str, recipients) -> OutboxMail | None:
    """Queue one mail for the worker; nothing when nobody has an address."""
    addresses = sorted({address for address in recipients if address})
    if not addresses:
        return None
    return OutboxMail.objects.create(
        subject=subject[:300], body=body, recipients=addresses, send_after=timezone.now()
    )


def queue_batched(batch_key: str, subject: str, line: str, recipient: str, every: timedelta):
    """Add `line` to the recipient's pending mail of this kind, or start one.

    A new mail waits until `every` has passed since the last one of its kind was sent,
    so the recipient gets at most one per `every`.
    """
    if not recipient:
        return None
    with transaction.atomic():
        pending = (
            OutboxMail.objects.select_for_update()
            .filter(batch_key=batch_key, sent_at__isnull=True, failed_at__isnull=True)
            .first()
        )
        if pending is not None:
            pending.body += "\n" + line
            pending.subject = subject
            pending.save(update_fields=["body", "subject"])
            return pending
        last = (
            OutboxMail.objects.filter(batch_key=batch_key, sent_at__isnull=False)
            .order_by("-sent_at")
            .values_list("sent_at", flat=True)
            .first()
        )
        now = timezone.now()
        send_after = max(now, last + every) if last else now
        return OutboxMail.objects.create(
            subject=subject,
            body=line,
            recipients=[recipient],
            batch_key=batch_key,
            send_after=send_after,
        )


def send_due(limit: int = SEND_BATCH) -> int:
    """Send what is due (the worker calls this between generations); how many went."""
    sent = 0
    for mail in list(OutboxMail.objects.due()[:limit]):
        # Claimed by a conditional update, so two workers never send one mail twice.
        now = timezone.now()
        claimed = OutboxMail.objects.filter(
            pk=mail.pk, sent_at__isnull=True, send_after=mail.send_after
        ).update(sent_at=now, attempts=models.F("attempts") + 1)
        if not claimed:
            continue
        try:
            send_mail(mail.subject, mail.body, None, mail.recipients)
        except OSError as error:
            log.warning("Could not send mail %s: %s", mail.pk, error)
            failed = mail.attempts + 1 >= MAX_ATTEMPTS
            OutboxMail.objects.filter(pk=mail.pk).update(
                sent_at=None,
                send_after=now + RETRY_AFTER,
                last_error=str(error)[:1000],
                failed_at=now if failed else None,
            )
            continue
        sent += 1
    return sent


class MailPreference(models.Model):
    """Which mail a member asked for; without a row, none of these."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, primary_key=True, related_name="mail_preference"
    )
    video_done = models.BooleanField("When a video of mine is done or failed", default=False)
    review_activity = models.BooleanField(
        "When someone comments on or judges a video of mine", default=False
    )

    def __str__(self) -> str:
        return f"mail of {self.user}"

    @classmethod
    def wants(cls, user, what: str) -> bool:
        return cls.objects.filter(user=user, **{what: True}).exists()


class VideoDoneNotice(models.Model):
    """That a finished video's owner was told (one row per video, whichever worker)."""

    generation = models.OneToOneField(
        "projects.Generation", models.CASCADE, primary_key=True, related_name="done_notice"
    )
    queued_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"video {self.generation_id} done: told"
