"""Accounts: sessions that know their user, so that they can be ended from elsewhere,
and each person's profile (their time zone)."""

import zoneinfo

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    """Django's session row plus the signed-in user's id (None before signing in).

    Ending a person's sessions (removed from a team, "sign out everywhere") deletes
    their rows; their next request, from any open tab, is anonymous.
    """

    user_id = models.PositiveBigIntegerField(null=True, db_index=True)

    class Meta:
        db_table = "projects_user_session"

    @classmethod
    def get_session_store_class(cls):
        from projects.sessions import SessionStore

        return SessionStore


def end_sessions(user, *, keep: str | None = None) -> int:
    """Sign `user` out everywhere (but of the session `keep`); how many ended."""
    sessions = UserSession.objects.filter(user_id=user.pk)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    deleted, _ = sessions.delete()
    return deleted


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class Profile(models.Model):
    """What a person sets about themselves beyond Django's user: their time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="profile", primary_key=True
    )
    # Empty: the site's TIME_ZONE.
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @classmethod
    def time_zone_of(cls, user) -> str:
        return cls.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""


TIME_ZONE_SESSION_KEY = "time_zone"


def remember_time_zone(sender, request, user, **kwargs) -> None:
    """On signing in, keep the person's time zone in their session: pages show dates in
    it (TimeZoneMiddleware) without a query per request."""
    if request is not None and hasattr(request, "session"):
        request.session[TIME_ZONE_SESSION_KEY] = Profile.time_zone_of(user)
