import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

INVITATION_DAYS = 7


class TeamQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(memberships__user=user)


# A new member's monthly budget unless the team chose otherwise: 250 s of standard
# 720p video ($50 at the seed's prices), enough to work, small enough to notice.
DEFAULT_MEMBER_MONTHLY_CREDITS = 10_000


class Team(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    # Each member who joins gets a monthly budget of this many credits (see
    # credits.give_new_member_a_budget); empty is a team admin's explicit "no limit".
    default_member_budget = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=DEFAULT_MEMBER_MONTHLY_CREDITS,
        help_text="Credits a month for each new member; empty means no limit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Anti-automation limits per member, set by the team's admins (projects/models/limits.py).
    submits_per_window = models.PositiveSmallIntegerField(
        "videos per member per window", default=30
    )
    submit_window_minutes = models.PositiveSmallIntegerField("window (minutes)", default=10)
    queued_per_member = models.PositiveSmallIntegerField("videos in line per member", default=10)
    # Reference files (projects/models/quotas.py).
    storage_quota_mb = models.PositiveIntegerField("storage (MB)", default=50 * 1024)
    uploads_per_hour = models.PositiveSmallIntegerField("uploads per member per hour", default=200)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def add_member(self, user, role: str = "member") -> "Membership":
        membership, _ = Membership.objects.update_or_create(
            team=self, user=user, defaults={"role": role}
        )
        return membership

    def admin_count(self) -> int:
        return self.memberships.filter(role=Membership.Role.ADMIN).count()


class MembershipQuerySet(models.QuerySet):
    def admins(self):
        return self.filter(role=Membership.Role.ADMIN)


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"
        # Sees the team library and shared characters; cannot upload, compose or spend.
        VIEWER = "viewer", "Viewer"

    team = models.ForeignKey(Team, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team"),
        ]
        ordering = ["team__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def can_contribute(self) -> bool:
        """Upload, compose and spend: everyone but a viewer."""
        return self.role != self.Role.VIEWER


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)

    def pending(self, at=None):
        at = at or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at)

    def by_token(self, token: str):
        """The pending invitation this link's token opens, or None."""
        if not token or len(token) > 100:
            return None
        return self.pending().select_related("team").filter(token_hash=hash_token(token)).first()


class Invitation(models.Model):
    """An admin's invitation of an email address into a team, by a single-use link.

    Only the token's hash is stored: the link is in the email alone.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"

    team = models.ForeignKey(Team, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(
        max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.team}"

    @classmethod
    def issue(cls, *, team, email: str, role: str, invited_by) -> tuple["Invitation", str]:
        """A new invitation and the token of its link (not stored)."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            team=team,
            email=email.strip().lower(),
            role=role,
            invited_by=invited_by,
            token_hash=hash_token(token),
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        return invitation, token

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def is_for(self, user) -> bool:
        return bool(user.email) and user.email.strip().lower() == self.email
