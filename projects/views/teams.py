from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects.forms.teams import TeamSwitchForm
from projects.middleware import SESSION_KEY


@login_required
@require_POST
def switch_team(request):
    form = TeamSwitchForm(request.POST, user=request.user)
    if not form.is_valid():
        raise Http404(" ".join(form.errors["team"]))
    team = form.cleaned_data["team"]
    request.session[SESSION_KEY] = team.pk
    messages.success(request, f"You are now working in {team.name}.")
    return redirect(_page_in_new_team(request, form.cleaned_data["next"]))


def _page_in_new_team(request, target: str) -> str:
    """`target`, or the list above it when it shows one object of the old team.

    An asset, character or project of the old team is a 404 in the new one, so
    walk up its path to the first page that names no object (/library/assets/5/
    gives /library/).
    """
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}
    ):
        return reverse("project_list")
    path = urlsplit(target).path
    if _names_no_object(path):
        return target
    while path.rstrip("/"):
        path = path.rstrip("/").rsplit("/", 1)[0] + "/"
        if _names_no_object(path):
            return path
    return reverse("project_list")


def _names_no_object(path: str) -> bool:
    try:
        return not resolve(path).kwargs
    except Resolver404:
        return False
