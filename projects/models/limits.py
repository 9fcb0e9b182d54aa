"""Per-member limits on costly actions (anti-automation): how many videos a member may
start in a window and have in line at once. Each team's admins set the numbers; a
refusal says when Generate can go again, and is checked before anything is reserved."""

import datetime as dt

from django.utils import timezone
from django.utils.formats import time_format

from projects.models.generation import Generation

IN_LINE = (Generation.Status.QUEUED, *Generation.IN_FLIGHT_STATES)


class LimitReached(Exception):
    """str(exc) says which limit and when it lifts; `retry_at` is that moment, if known."""

    def __init__(self, message: str, retry_at: dt.datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


def check_submission(team, user, at: dt.datetime | None = None) -> None:
    """Raise LimitReached when `user` may not start another video in `team` now."""
    at = at or timezone.now()
    mine = Generation.objects.filter(project__team=team, created_by=user).exclude(
        status=Generation.Status.DRAFT
    )
    in_line = mine.filter(status__in=IN_LINE).count()
    if in_line >= team.queued_per_member:
        raise LimitReached(
            f"You have {in_line} videos in line, the most this team allows at once. "
            "Generate can go again as soon as one of them finishes."
        )
    window = dt.timedelta(minutes=team.submit_window_minutes)
    recent = list(
        mine.filter(created_at__gt=at - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: team.submits_per_window]
    )
    if len(recent) >= team.submits_per_window:
        retry_at = recent[-1] + window
        local = timezone.localtime(retry_at)
        raise LimitReached(
            f"You have started {len(recent)} videos in the last "
            f"{team.submit_window_minutes} minutes, the most this team allows. "
            f"Generate can go again at {time_format(local, 'H:i:s')}.",
            retry_at,
        )
