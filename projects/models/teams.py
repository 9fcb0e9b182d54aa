from django.conf import settings
from django.db import models


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


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

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
