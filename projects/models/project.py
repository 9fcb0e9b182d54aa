from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.kinovi.catalogue import DEFAULT_RESOLUTION
from projects.kinovi.pricing import STANDARD_MODEL
from projects.kinovi.request import DEFAULT_ASPECT_RATIO, DEFAULT_DURATION
from projects.models.teams import Team


class ProjectQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)

    def for_user(self, user, team):
        """The user's own projects in `team`: projects are never shared, not even in a team."""
        return self.filter(team=team, owner=user)

    def active(self):
        return self.filter(archived_at__isnull=True)

    def archived(self):
        return self.filter(archived_at__isnull=False)


def default_project_resolution() -> str:
    return settings.KINOVI_OUTPUT_RESOLUTION or DEFAULT_RESOLUTION


class Project(models.Model):
    """One user's body of work in a team: the shots (generations) made for one piece."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="projects")
    # PROTECT: a project's generations carry ledger history; deactivate a user instead.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Defaults for new shots; the settings form offers Kinovi's choices (kinovi.request).
    default_model = models.CharField("model", max_length=40, default=STANDARD_MODEL)
    default_duration = models.PositiveSmallIntegerField("duration", default=DEFAULT_DURATION)
    default_aspect_ratio = models.CharField(
        "aspect ratio", max_length=5, default=DEFAULT_ASPECT_RATIO
    )
    default_upscale_4k = models.BooleanField("4K upscale", default=False)
    # KINOVI_OUTPUT_RESOLUTION is the default of new projects.
    default_resolution = models.CharField(
        "resolution", max_length=8, default=default_project_resolution
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    # Set when its owner left the team and it was handed to an admin or archived:
    # the owner gets it back if they join again.
    handed_over_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["team", "owner", "archived_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def archive(self) -> None:
        """Hide the project from the active list; its generations and ledger rows stay."""
        if self.archived_at is None:
            self.archived_at = timezone.now()
            self.save(update_fields=["archived_at", "updated_at"])

    def unarchive(self) -> None:
        if self.archived_at is not None:
            self.archived_at = None
            self.save(update_fields=["archived_at", "updated_at"])
