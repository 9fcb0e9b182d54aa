from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects.forms.teams import TeamSwitchForm
from projects.middleware import SESSION_KEY


@login_required
@require_POST
def switch_team(request):
    """Work in another of the user's teams, then go to `next`.

    The page sets `next` to a page that exists in every team (its section's
    list on a detail page: see context_processors.navigation).
    """
    form = TeamSwitchForm(request.POST, user=request.user)
    if not form.is_valid():
        raise Http404(" ".join(form.errors["team"]))
    team = form.cleaned_data["team"]
    request.session[SESSION_KEY] = team.pk
    messages.success(request, f"You are now working in {team.name}.")
    target = form.cleaned_data["next"]
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}
    ):
        target = "project_list"
    return redirect(target)
