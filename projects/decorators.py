from functools import wraps

from django.contrib.auth.decorators import login_required
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
