import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.messages.storage import default_storage as default_message_storage
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from projects.models import Membership
from projects.models.accounts import TIME_ZONE_SESSION_KEY
from projects.models.library import upload_limits
from projects.models.quotas import QuotaExceeded, check_upload
from projects.views import errors

SESSION_KEY = "current_team_id"


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers the app's 503 page, not a 500.

    A middleware losing it (a session, the current team) is answered the same by the
    500 handler, which sees what it was (projects.views.errors.server_error).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, errors.DATABASE_UNAVAILABLE):
            return errors.database_unavailable(request)
        return None


class CurrentTeamMiddleware:
    """Sets request.membership and request.team: the team the user works in now.

    The choice is kept in the session; without one (or when the user has left
    that team) the first of the user's teams is used.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.team = None
        # All of the user's teams in one query, for the team switcher too.
        request.memberships = []
        if request.user.is_authenticated:
            request.memberships = list(
                Membership.objects.filter(user=request.user).select_related("team")
            )
            chosen = request.session.get(SESSION_KEY)
            membership = next(
                (m for m in request.memberships if chosen and str(m.team_id) == str(chosen)), None
            )
            if membership is None and request.memberships:
                membership = request.memberships[0]
            if membership is not None:
                request.membership = membership
                request.team = membership.team
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends PERMISSIONS_POLICY: the browser features no page may use."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class TimeZoneMiddleware:
    """Dates on the page in the person's own time zone, as kept in their session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(TIME_ZONE_SESSION_KEY) if hasattr(request, "session") else ""
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuses a body larger than its URL accepts, by its Content-Length, unread.

    Django reads a POST body whole (files are spooled to disk) the first time
    anything touches request.POST, as CsrfViewMiddleware does: a body no cap
    allows must be turned away before that, or a client can make the server
    take in gigabytes. The reference upload accepts the largest file cap plus
    room for the multipart framing; every other URL takes form fields only, up
    to Django's own limit for them.
    """

    MULTIPART_ALLOWANCE = 2**20

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot measure
        if request.path == reverse("asset_upload"):
            limits = upload_limits()
            if length > max(limits.max_bytes.values()) + self.MULTIPART_ALLOWANCE:
                return self._refuse_upload(request, _upload_too_large_message(limits))
            if request.method == "POST" and (uploader := _uploader(request)):
                try:
                    # The framing is not file: only what surely is counts.
                    check_upload(*uploader, max(0, length - self.MULTIPART_ALLOWANCE))
                except QuotaExceeded as refusal:
                    return self._refuse_upload(request, str(refusal), refusal.http_status)
        elif settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
            ceiling = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + self.MULTIPART_ALLOWANCE
            if length > ceiling:
                return HttpResponse(
                    f"The request is too large: at most {ceiling // 2**20} MB is accepted here.",
                    status=413,
                    content_type=_PLAIN_TEXT,
                )
        return self.get_response(request)

    def _refuse_upload(self, request, message: str, status: int = 413) -> HttpResponse:
        """The refusal in the form the upload answers in: upload.js shows the text
        in the file's row; the plain form gets the library page with the message."""
        if request.headers.get("X-Requested-With") == "XMLHttpRequest":
            return HttpResponse(message, status=status, content_type=_PLAIN_TEXT)
        # MessageMiddleware has not run yet: keep the message the way it would.
        storage = default_message_storage(request)
        storage.add(messages.ERROR, message)
        response = redirect("library")
        storage.update(response)
        return response


_PLAIN_TEXT = "text/plain; charset=utf-8"


def _uploader(request):
    """(team, user) of an upload, read from the session as the later middleware will:
    this runs before anything reads the body, so before authentication."""
    user = get_user(request)
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("team")
    membership = None
    if chosen := request.session.get(SESSION_KEY):
        membership = memberships.filter(team_id=chosen).first()
    membership = membership or memberships.first()
    if membership is None or not membership.can_contribute:
        return None  # the view answers them
    return membership.team, user


def _upload_too_large_message(limits) -> str:
    mb = {kind: cap // 2**20 for kind, cap in limits.max_bytes.items()}
    return (
        f"The file is too large: images may be at most {mb['image']} MB, "
        f"videos {mb['video']} MB and audio files {mb['audio']} MB."
    )
