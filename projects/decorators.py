from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render


def team_required(view):
    """Logged in and working in a team; otherwise a page that says how to get one."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.team is None:
            return render(request, "projects/no_team.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


VIEWERS_CANNOT = (
    "Viewers see the team's library and shared characters, but cannot upload, "
    "compose or spend credits. Ask a team admin to make you a member."
)
ADMINS_ONLY = "Only team admins manage the team's members."


def contributor_required(view):
    """Working in a team as an admin or member: a viewer gets 403 with the reason."""

    @team_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.can_contribute:
            raise PermissionDenied(VIEWERS_CANNOT)
        return view(request, *args, **kwargs)

    return wrapper


def team_admin_required(view):
    """An admin of the team the user works in; other members get 403 with the reason."""

    @team_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_admin:
            raise PermissionDenied(ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapper
