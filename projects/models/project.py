from django.conf import settings
from django.db import models

from projects.models.teams import Team


class ProjectQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)


class Project(models.Model):
    """A team's body of work: the shots (generations) made for one piece."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.name
