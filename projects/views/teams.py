"""The team: switching team, the Members page (roles, removal, invitations) and
accepting an invitation."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from projects.decorators import team_admin_required
from projects.forms.teams import (
    InvitationForm,
    ModelsForm,
    NewAccountForm,
    RemoveMemberForm,
    RoleForm,
    TeamLimitsForm,
    TeamSwitchForm,
)
from projects.middleware import SESSION_KEY
from projects.models import AuditEntry, Invitation, Membership, ModelAvailability, Team
from projects.models.administration import (
    TeamAdminError,
    accept,
    change_role,
    invite,
    member_rows,
    remove_member,
    revoke,
)

TEMPLATES = "projects/teams/"
AUDIT_ROWS = 50
MEMBER_ACTIONS = [
    AuditEntry.Action.MEMBER_INVITED,
    AuditEntry.Action.INVITATION_REVOKED,
    AuditEntry.Action.MEMBER_JOINED,
    AuditEntry.Action.ROLE_CHANGED,
    AuditEntry.Action.MEMBER_REMOVED,
    AuditEntry.Action.LIMITS_CHANGED,
]
NOT_VALID = "This invitation is not valid."


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


def _get_membership_for_admin(request, membership_id: int) -> Membership:
    """A membership of the admin's current team; 404 for any other."""
    return get_object_or_404(
        Membership.objects.select_related("user", "team"), team=request.team, pk=membership_id
    )


def _get_invitation_for_admin(request, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("team"), team=request.team, pk=invitation_id
    )


@team_admin_required
def members(request, limits_form=None):
    """Members with role, joined, last active and spend; invitations; the audit log."""
    form = InvitationForm(request.POST or None, team=request.team)
    if request.method == "POST" and form.is_valid():
        invitation = invite(
            team=request.team,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=request.user,
        )
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link works once, for 7 days.",
        )
        return redirect("members")
    team = request.team
    context = {
        "nav": "members",
        "team": team,
        "rows": member_rows(team),
        "roles": Membership.Role.choices,
        "invite_form": form,
        "limits_form": limits_form or TeamLimitsForm(instance=team),
        "models_form": ModelsForm(
            initial={"off": sorted(ModelAvailability.objects.hidden_for(team))},
            prefix="team",
        ),
        "invitations": Invitation.objects.for_team(team).select_related(
            "invited_by", "accepted_by"
        )[:100],
        "audit": AuditEntry.objects.for_team(team)
        .filter(action__in=MEMBER_ACTIONS)
        .select_related("actor")[:AUDIT_ROWS],
    }
    invalid = form.errors or (limits_form is not None and limits_form.errors)
    return render(request, TEMPLATES + "members.html", context, status=400 if invalid else 200)


@team_admin_required
@require_POST
def team_limits(request):
    """The team's per-member limits on videos, audited."""
    team = Team.objects.get(pk=request.team.pk)
    old = TeamLimitsForm(instance=team).describe()
    form = TeamLimitsForm(request.POST, instance=team)
    if not form.is_valid():
        request.POST = QueryDict()  # the invitation form stays unbound
        return members(request, limits_form=form)
    with transaction.atomic():
        form.save()
        AuditEntry.objects.create(
            action=AuditEntry.Action.LIMITS_CHANGED,
            team=team,
            actor=request.user,
            subject="Limits",
            old_value=old,
            new_value=form.describe(),
        )
    messages.success(request, f"Limits saved: {form.describe()}.")
    return redirect("members")


@team_admin_required
@require_POST
def team_models(request):
    """Models the team's admins hide from its members (staff: for the whole site), audited.

    A hidden model is not offered in the composer, and a submit of it is refused."""
    site = request.POST.get("scope") == "site"
    if site and not request.user.is_staff:
        raise Http404("Only staff switch models off for the whole site.")
    return _save_models(request, site=site, back="members")


@login_required
@require_POST
def site_models(request):
    """Staff: the models switched off for every team, from the status page (a staff
    member need not be an admin, or a member, of any team); anyone else gets 404."""
    if not request.user.is_staff:
        raise Http404("Only staff switch models off for the whole site.")
    return _save_models(request, site=True, back="staff_status")


def _save_models(request, *, site: bool, back: str):
    form = ModelsForm(request.POST, prefix="site" if site else "team")
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("off", ["Choose models of the list."])))
        return redirect(back)
    team = None if site else request.team
    before = (
        ModelAvailability.objects.site_disabled()
        if site
        else ModelAvailability.objects.hidden_for(team)
    )
    chosen = form.cleaned_data["off"]
    with transaction.atomic():
        ModelAvailability.objects.set_off(chosen, team=team, actor=request.user)
        AuditEntry.objects.create(
            action=AuditEntry.Action.LIMITS_CHANGED,
            team=team,
            actor=request.user,
            subject="Models for the whole site" if site else "Models",
            old_value=form.describe(before),
            new_value=form.describe(chosen),
        )
    where = "the whole site" if site else "this team"
    messages.success(request, f"Models for {where} saved: {form.describe(chosen)}.")
    return redirect(back)


@team_admin_required
@require_POST
def member_role(request, membership_id: int):
    membership = _get_membership_for_admin(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["role"]))
        return redirect("members")
    try:
        change_role(membership, form.cleaned_data["role"], actor=request.user)
    except TeamAdminError as error:
        messages.error(request, str(error))
        return redirect("members")
    messages.success(
        request,
        f"{membership.user.get_username()} is now "
        f"{Membership.Role(form.cleaned_data['role']).label.lower()}.",
    )
    return redirect("members")


@team_admin_required
def member_remove(request, membership_id: int):
    """Confirm, choosing who gets the member's projects; then remove them."""
    membership = _get_membership_for_admin(request, membership_id)
    form = RemoveMemberForm(request.POST or None, membership=membership)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                handed = remove_member(membership, actor=request.user, heir=form.heir)
            except TeamAdminError as error:
                form.add_error(None, str(error))
            else:
                name = membership.user.get_username()
                where = f"handed to {form.heir.get_username()}" if form.heir else "archived"
                messages.success(
                    request,
                    f"{name} was removed from {request.team.name}; "
                    f"{handed} of their projects {where}. Their spend stays in the reports.",
                )
                if membership.user == request.user:
                    return redirect("login")
                return redirect("members")
        status = 400
    return render(
        request,
        TEMPLATES + "member_remove.html",
        {"nav": "members", "membership": membership, "form": form},
        status=status,
    )


@team_admin_required
@require_POST
def invitation_revoke(request, invitation_id: int):
    invitation = _get_invitation_for_admin(request, invitation_id)
    try:
        revoke(invitation, actor=request.user)
    except TeamAdminError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation of {invitation.email} is revoked.")
    return redirect("members")


def _not_valid(request):
    return render(request, TEMPLATES + "invitation_invalid.html", {"reason": NOT_VALID}, status=404)


def invitation_accept(request, token: str):
    """The link of an invitation: its invitee joins (signing up if they are new).

    Anyone else, and every link that is unknown, used, expired or revoked, is told
    only that the invitation is not valid.
    """
    invitation = Invitation.objects.by_token(token)
    if invitation is None:
        return _not_valid(request)
    user = request.user
    if user.is_authenticated:
        if not invitation.is_for(user):
            return _not_valid(request)
        if request.method == "POST":
            return _joined(request, invitation, user)
        return render(request, TEMPLATES + "invitation_accept.html", {"invitation": invitation})
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        return render(
            request,
            TEMPLATES + "invitation_accept.html",
            {
                "invitation": invitation,
                "sign_in_url": f"{reverse('login')}?next={request.path}",
            },
        )
    form = NewAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        new_user = form.save()
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        return _joined(request, invitation, new_user)
    return render(
        request,
        TEMPLATES + "invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


def _joined(request, invitation, user):
    try:
        membership = accept(invitation, user)
    except TeamAdminError:
        return _not_valid(request)
    request.session[SESSION_KEY] = membership.team_id
    messages.success(request, f"Welcome to {membership.team.name}.")
    return redirect("project_list")
