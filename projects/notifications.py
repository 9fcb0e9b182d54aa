"""Mail the worker sends: "video done" notices, batched, and everything in the outbox.

`manage.py worker` calls `deliver()` between generations; no web request sends mail.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from projects.models import Generation
from projects.models.outbox import VideoDoneNotice, queue_batched, send_due

# At most one "video done" mail a minute per member: later videos join the pending one.
VIDEO_DONE_EVERY = timedelta(minutes=1)
# Videos finished longer ago than this are not announced (e.g. before the member opted in).
VIDEO_DONE_WINDOW = timedelta(minutes=10)


def deliver() -> int:
    """Queue what finished since the last call, then send what is due; how many went."""
    queue_video_done()
    return send_due()


def queue_video_done(now=None) -> int:
    now = now or timezone.now()
    finished = (
        Generation.objects.filter(
            status__in=(Generation.Status.SUCCESS, Generation.Status.FAIL),
            completed_at__gte=now - VIDEO_DONE_WINDOW,
            project__owner__mail_preference__video_done=True,
            done_notice__isnull=True,
        )
        .select_related("project__owner")
        .order_by("completed_at", "id")[:100]
    )
    queued = 0
    for generation in finished:
        try:
            with transaction.atomic():
                VideoDoneNotice.objects.create(generation=generation)
        except IntegrityError:
            continue  # another worker told them
        owner = generation.project.owner
        outcome = "is done" if generation.status == Generation.Status.SUCCESS else "failed"
        url = settings.SITE_URL.rstrip("/") + reverse(
            "project_detail", args=[generation.project_id]
        )
        queue_batched(
            f"video-done:{owner.pk}",
            "Your videos on Kinovi Web",
            f"Video {generation.pk} of {generation.project.name} {outcome}: {url}",
            owner.email,
            VIDEO_DONE_EVERY,
        )
        queued += 1
    return queued
