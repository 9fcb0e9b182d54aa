"""Which Kinovi models the composer offers: staff switch a model off for the whole site,
a team's admins hide models from the team's members.

A row is a model switched off: `team` None for the whole site, a team for that team
only. No row: the model is offered. The catalogue (`kinovi.catalogue.CATALOGUE`) says
which models exist; this says which of them may be used.
"""

from django.conf import settings
from django.db import models

from projects.kinovi import catalogue


class ModelAvailabilityQuerySet(models.QuerySet):
    def site_disabled(self) -> set[str]:
        return set(self.filter(team__isnull=True).values_list("model", flat=True))

    def hidden_for(self, team) -> set[str]:
        return set(self.filter(team=team).values_list("model", flat=True))

    def available_to(self, team) -> list[str]:
        """The catalogue's models a member of `team` may use, in catalogue order."""
        off = set(
            self.filter(models.Q(team__isnull=True) | models.Q(team=team)).values_list(
                "model", flat=True
            )
        )
        return [model for model in catalogue.CATALOGUE if model not in off]

    def set_off(self, models_off, *, team=None, actor=None) -> None:
        """Exactly `models_off` switched off (for the site when `team` is None)."""
        models_off = set(models_off)
        self.filter(team=team).exclude(model__in=models_off).delete()
        have = set(self.filter(team=team).values_list("model", flat=True))
        self.bulk_create(
            self.model(model=model, team=team, created_by=actor)
            for model in catalogue.CATALOGUE
            if model in models_off - have
        )


class ModelAvailability(models.Model):
    """A model switched off: for the whole site (`team` None) or for one team."""

    model = models.CharField(max_length=40)
    team = models.ForeignKey(
        "projects.Team", models.CASCADE, null=True, blank=True, related_name="hidden_models"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModelAvailabilityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "model availability"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "model"],
                condition=models.Q(team__isnull=False),
                name="model_hidden_once_per_team",
            ),
            models.UniqueConstraint(
                fields=["model"],
                condition=models.Q(team__isnull=True),
                name="model_disabled_once_for_the_site",
            ),
        ]

    def __str__(self) -> str:
        label = (
            catalogue.CATALOGUE[self.model].label
            if self.model in catalogue.CATALOGUE
            else self.model
        )
        return f"{label} off for {self.team or 'the whole site'}"
