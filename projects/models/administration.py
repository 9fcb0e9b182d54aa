"""Running a team from the app: invitations, roles, removing and re-admitting members.

Every change is written to the team's audit log (credits.AuditEntry) in the same
transaction. A team always keeps an admin: the last one can be neither demoted nor
removed.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from projects.models.accounts import end_sessions
from projects.models.credits import (
    AuditEntry,
    Budget,
    LedgerEntry,
    period_bounds,
    spent_by_budget,
)
from projects.models.generation import Generation
from projects.models.project import Project
from projects.models.teams import Invitation, Membership, Team


class TeamAdminError(Exception):
    """A change the team's rules forbid; str(exc) is the reason to show."""


LAST_ADMIN = "A team needs an admin: make someone else an admin first."


def _audit(action, *, team, actor, subject, old="", new="", reason=""):
    AuditEntry.objects.create(
        action=action,
        team=team,
        actor=actor,
        subject=subject,
        old_value=old,
        new_value=new,
        reason=reason,
    )


def _role_label(role: str) -> str:
    return Membership.Role(role).label


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def invite(*, team: Team, email: str, role: str, actor) -> Invitation:
    """Invite `email` into `team` as `role` and mail them the link."""
    with transaction.atomic():
        invitation, token = Invitation.issue(team=team, email=email, role=role, invited_by=actor)
        _audit(
            AuditEntry.Action.MEMBER_INVITED,
            team=team,
            actor=actor,
            subject=invitation.email,
            new=_role_label(role),
        )
    context = {
        "invitation": invitation,
        "url": invitation_url(token),
        "inviter": actor.get_full_name() or actor.get_username(),
    }
    send_mail(
        subject=f"You are invited to {team.name} on Kinovi Web",
        message=render_to_string("projects/teams/invitation_email.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return invitation


def revoke(invitation: Invitation, *, actor) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_pending:
            raise TeamAdminError(
                f"This invitation is already {invitation.get_status_display().lower()}."
            )
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        _audit(
            AuditEntry.Action.INVITATION_REVOKED,
            team=invitation.team,
            actor=actor,
            subject=invitation.email,
        )


def _locked_admins(team) -> list[int]:
    """The team's admins' membership ids, locked so two demotions cannot both pass."""
    return list(
        Membership.objects.select_for_update()
        .filter(team=team, role=Membership.Role.ADMIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def change_role(membership: Membership, role: str, *, actor) -> Membership:
    if role not in Membership.Role.values:
        raise TeamAdminError("Choose a role: admin, member or viewer.")
    with transaction.atomic():
        admins = _locked_admins(membership.team_id)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.role == role:
            return membership
        if membership.pk in admins and len(admins) == 1:
            raise TeamAdminError(LAST_ADMIN)
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        _audit(
            AuditEntry.Action.ROLE_CHANGED,
            team=membership.team,
            actor=actor,
            subject=membership.user.get_username(),
            old=_role_label(old),
            new=_role_label(role),
        )
    return membership


def remove_member(membership: Membership, *, actor, heir=None) -> int:
    """Take `membership`'s user out of the team; their projects go to `heir` (a team
    admin) or, without one, are archived. Their videos and ledger rows stay where they
    are. Their sessions end at once. Returns how many projects were handed over."""
    team = membership.team
    user = membership.user
    with transaction.atomic():
        admins = _locked_admins(team)
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if membership.pk in admins and len(admins) == 1:
            raise TeamAdminError(LAST_ADMIN)
        if heir is not None and not _is_other_admin(team, heir, user):
            raise TeamAdminError("Hand the projects to one of the team's admins.")
        projects = Project.objects.filter(team=team, owner=user)
        if heir is not None:
            handed = projects.update(owner=heir, handed_over_from=user)
            outcome = f"projects to {heir.get_username()}"
        else:
            handed = projects.filter(archived_at__isnull=True).update(
                archived_at=timezone.now(), handed_over_from=user
            )
            outcome = "projects archived"
        membership.delete()
        _audit(
            AuditEntry.Action.MEMBER_REMOVED,
            team=team,
            actor=actor,
            subject=user.get_username(),
            old=_role_label(membership.role),
            new=f"{handed} {outcome}",
        )
        end_sessions(user)
    return handed


def _is_other_admin(team, heir, user) -> bool:
    return (
        heir != user
        and Membership.objects.filter(team=team, user=heir, role=Membership.Role.ADMIN).exists()
    )


def join(team: Team, user, role: str) -> Membership:
    """Make `user` a member (a former member gets their projects back)."""
    membership, created = Membership.objects.get_or_create(
        team=team, user=user, defaults={"role": role}
    )
    if created:
        returned = Project.objects.filter(team=team, handed_over_from=user)
        returned.filter(owner=user).update(archived_at=None, handed_over_from=None)
        returned.update(owner=user, handed_over_from=None)
    return membership


def accept(invitation: Invitation, user) -> Membership:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
        )
        if not invitation.is_pending:
            raise TeamAdminError("This invitation is not valid.")
        membership = join(invitation.team, user, invitation.role)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        _audit(
            AuditEntry.Action.MEMBER_JOINED,
            team=invitation.team,
            actor=user,
            subject=user.get_username(),
            new=_role_label(membership.role),
            reason=f"Invited as {invitation.email}",
        )
    return membership


@dataclass
class MemberRow:
    membership: Membership
    last_active: object
    spent: int
    budget: Budget | None


def member_rows(team: Team, at=None) -> list[MemberRow]:
    """Each member with when they last signed in or made a video, their budget and
    what they spent in its period (this month without one): four queries whatever
    the team's size."""
    at = at or timezone.now()
    last_video = (
        Generation.objects.filter(project__team=team, created_by=OuterRef("user"))
        .order_by()
        .values("created_by")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    memberships = list(
        Membership.objects.filter(team=team)
        .select_related("user")
        .annotate(last_video=Subquery(last_video))
        .order_by("user__username")
    )
    budgets = {
        budget.user_id: budget
        for budget in Budget.objects.for_team(team).filter(user__isnull=False)
    }
    in_budget_period = spent_by_budget(team, budgets.values(), at)
    start, end = period_bounds(Budget.Period.MONTH, at)
    this_month = {
        row["user"]: row["credits"]
        for row in LedgerEntry.objects.for_team(team).in_period(start, end).spend_by("user")
    }
    rows = []
    for membership in memberships:
        moments = [m for m in (membership.user.last_login, membership.last_video) if m]
        budget = budgets.get(membership.user_id)
        rows.append(
            MemberRow(
                membership=membership,
                last_active=max(moments) if moments else None,
                spent=in_budget_period[budget.pk]
                if budget
                else this_month.get(membership.user_id, 0),
                budget=budget,
            )
        )
    return rows
