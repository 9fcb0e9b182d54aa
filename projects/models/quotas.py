"""The team's storage quota for reference files and the per-member upload rate.

Checked twice: by RequestSizeLimitMiddleware from the request's Content-Length, before
the body is read, and by the upload view from each file's real size."""

import datetime as dt

from django.db.models import Sum
from django.utils import timezone

from projects.models.library import ReferenceAsset

MB = 2**20
UPLOAD_WINDOW = dt.timedelta(hours=1)


class QuotaExceeded(Exception):
    """str(exc) says what is full or too frequent; `http_status` is the HTTP answer (413, 429)."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.http_status = status


def storage_used(team) -> int:
    """Bytes of reference files stored for `team` (archived ones included: kept is kept)."""
    return ReferenceAsset.objects.filter(team=team).aggregate(total=Sum("size_bytes"))["total"] or 0


def _size(n: int) -> str:
    if n >= 1024 * MB:
        return f"{n / (1024 * MB):.1f} GB"
    return f"{n / MB:.1f} MB"


def check_upload(team, user, incoming: int, at: dt.datetime | None = None) -> None:
    """Raise QuotaExceeded when `user` may not add `incoming` bytes to `team` now."""
    at = at or timezone.now()
    recent = ReferenceAsset.objects.filter(
        team=team, owner=user, created_at__gt=at - UPLOAD_WINDOW
    ).count()
    if recent >= team.uploads_per_hour:
        raise QuotaExceeded(
            f"You have uploaded {recent} files in the last hour, the most this team allows. "
            "Try again later.",
            429,
        )
    quota = team.storage_quota_mb * MB
    used = storage_used(team)
    if used + incoming > quota:
        raise QuotaExceeded(
            f"The team's storage is full: {_size(used)} of {_size(quota)} used, and this "
            f"upload needs {_size(incoming)}. Delete files you no longer need, or ask a "
            "team admin for more room.",
            413,
        )
