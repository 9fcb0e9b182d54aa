from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects.middleware import SESSION_KEY
from projects.models import Membership


@login_required
@require_POST
def switch_team(request):
    membership = get_object_or_404(
        Membership.objects.select_related("team"),
        user=request.user,
        team_id=request.POST.get("team"),
    )
    request.session[SESSION_KEY] = membership.team_id
    messages.success(request, f"You are now working in {membership.team.name}.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "project_list"
    return redirect(target)
