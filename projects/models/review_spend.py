"""Spend meets review: what a usable second of footage costs.

For the spend report's scope, by project and by member: the credits spent, the seconds
of selected videos, credits (and dollars) per selected second, the share of spend on
rejected videos, and videos made per selected one. Four queries whatever the scope.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Case, CharField, Count, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce

from projects.models.credits import DollarsTotal
from projects.models.generation import Generation
from projects.models.project import Project
from projects.models.review import State

CENT = Decimal("0.01")


def verdict_of_entry():
    """A ledger entry's video's verdict: "pending" without one; blank for adjustments
    and for videos that did not succeed (nothing to review)."""
    return Case(
        When(
            generation__status=Generation.Status.SUCCESS,
            then=Coalesce(F("generation__verdict__state"), Value(State.PENDING)),
        ),
        default=Value(""),
        output_field=CharField(),
    )


@dataclass
class ReviewFigure:
    name: str
    credits: int = 0
    dollars: Decimal = Decimal(0)
    rejected_credits: int = 0
    takes: int = 0
    selected: int = 0
    selected_seconds: int = 0

    @property
    def credits_per_selected_second(self) -> Decimal | None:
        if not self.selected_seconds:
            return None
        return (Decimal(self.credits) / self.selected_seconds).quantize(CENT, ROUND_HALF_UP)

    @property
    def dollars_per_selected_second(self) -> Decimal | None:
        if not self.selected_seconds:
            return None
        return (self.dollars / self.selected_seconds).quantize(CENT, ROUND_HALF_UP)

    @property
    def rejected_percent(self) -> Decimal | None:
        if self.credits <= 0:
            return None
        return (Decimal(100 * self.rejected_credits) / self.credits).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )

    @property
    def takes_per_selected(self) -> Decimal | None:
        if not self.selected:
            return None
        return (Decimal(self.takes) / self.selected).quantize(Decimal("0.1"), ROUND_HALF_UP)


def review_figures(scope) -> dict[str, list[ReviewFigure]]:
    """{"project": [...], "member": [...]}: the figures of the scope, most spent first."""
    entries = scope.entries().exclude(generation__isnull=True)
    spend = (
        entries.order_by()
        .values("project_id", "user_id")
        .annotate(
            spent=Coalesce(Sum("credits"), Value(Decimal(0))),
            spent_dollars=DollarsTotal(),
            rejected=Coalesce(
                Sum("credits", filter=Q(generation__verdict__state=State.REJECTED)),
                Value(Decimal(0)),
            ),
        )
    )
    selected = Q(verdict__state=State.SELECTED)
    takes = (
        Generation.objects.filter(
            pk__in=entries.values("generation_id"), status=Generation.Status.SUCCESS
        )
        .order_by()
        .values("project_id", "project__owner_id")
        .annotate(
            takes=Count("pk"),
            selected=Count("pk", filter=selected),
            seconds=Coalesce(Sum("duration", filter=selected), 0),
        )
    )
    by_project: dict[int, ReviewFigure] = {}
    by_member: dict[int, ReviewFigure] = {}
    for row in spend:
        for figures, key in ((by_project, row["project_id"]), (by_member, row["user_id"])):
            figure = figures.setdefault(key, ReviewFigure(name=""))
            figure.credits += row["spent"]
            figure.dollars += row["spent_dollars"]
            figure.rejected_credits += row["rejected"]
    for row in takes:
        for figures, key in (
            (by_project, row["project_id"]),
            (by_member, row["project__owner_id"]),
        ):
            figure = figures.setdefault(key, ReviewFigure(name=""))
            figure.takes += row["takes"]
            figure.selected += row["selected"]
            figure.selected_seconds += row["seconds"]
    _name(by_project, Project.objects.filter(pk__in=list(by_project)).values_list("pk", "name"))
    users = get_user_model().objects.filter(pk__in=list(by_member))
    _name(by_member, users.values_list("pk", "username"))
    return {
        "project": sorted(by_project.values(), key=lambda f: (-f.credits, f.name)),
        "member": sorted(by_member.values(), key=lambda f: (-f.credits, f.name)),
    }


def _name(figures: dict, names) -> None:
    for pk, name in names:
        figures[pk].name = name
