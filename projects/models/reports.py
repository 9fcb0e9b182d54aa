"""Reports: sums over the ledger, selected the same way for pages and CSV.

Breakdowns by member, project or model, the series behind the charts, the most
expensive and the failed videos, and reconciliation. Built on the ledger
(projects/models/credits.py) and on Generation; neither imports this module.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Cast, Round, Trunc

from projects.kinovi import pricing
from projects.models.credits import LedgerEntry
from projects.models.generation import Generation

_c = pricing.format_credits

TOP_GROUPS = 10


# group name -> (the ledger column that identifies a group, the field naming its object)
GROUPINGS: dict[str, tuple[str, str | None]] = {
    "member": ("user", "username"),
    "project": ("project", "name"),
    "model": ("model", None),
}
IN_FLIGHT = "in_flight"


@dataclass(frozen=True)
class ReportScope:
    """Which ledger rows a report covers: [start, end) and optional filters.

    `team` None means every team (staff only). `status` is a generation status, or
    "in_flight" for any state before success/fail; a status leaves adjustments out.
    """

    team: object | None
    start: dt.datetime
    end: dt.datetime
    user: object | None = None
    project: object | None = None
    model: str = ""
    status: str = ""

    def entries(self):
        entries = LedgerEntry.objects.in_period(self.start, self.end)
        if self.team is not None:
            entries = entries.for_team(self.team)
        if self.user is not None:
            entries = entries.for_user(self.user)
        if self.project is not None:
            entries = entries.filter(project=self.project)
        if self.model:
            entries = entries.filter(model=self.model)
        if self.status == IN_FLIGHT:
            entries = entries.exclude(generation__status__in=Generation.FINISHED_STATES).exclude(
                generation__isnull=True
            )
        elif self.status:
            entries = entries.filter(generation__status=self.status)
        return entries


@dataclass(frozen=True)
class Group:
    key: object
    name: str
    credits: Decimal
    dollars: Decimal
    is_other: bool = False


def breakdown(scope: ReportScope, grouping: str, *, top: int = TOP_GROUPS):
    """(groups, totals): the `top` groups by credits, then one "other" row for the rest.

    The totals are summed from every group, so the page needs no query of its own for them.
    """
    key, _ = GROUPINGS[grouping]
    return _fold_groups(grouping, scope.entries().spend_by(key), top)


def breakdown_and_series(scope: ReportScope, grouping: str, interval: str, *, top=TOP_GROUPS):
    """(groups, totals, points): breakdown() and a series() from one pass over the ledger.

    Aggregating the scope's rows is the report's whole cost (a busy team's month is
    ~85,000 rows), so they are summed once, by group and bucket, and those few sums are
    folded both ways in Python. The sums join nothing: a join made PostgreSQL misjudge
    the number of groups and sort instead of hashing, twice as slow; the groups' names
    come from one small query afterwards.
    """
    key, _ = GROUPINGS[grouping]
    rows = scope.entries().annotate(bucket=_bucket(interval)).spend_by(key, "bucket")
    by_group, by_bucket = {}, {}
    for row in rows:
        group = by_group.setdefault(row[key], {key: row[key], **_ZERO})
        bucket = by_bucket.setdefault(_bucket_day(row["bucket"]), dict(_ZERO))
        for total in (group, bucket):
            total["credits"] += row["credits"]
            total["dollars"] += row["dollars"]
    groups, totals = _fold_groups(grouping, by_group.values(), top)
    return groups, totals, _fill_series(scope, interval, by_bucket)


_ZERO = {"credits": Decimal(0), "dollars": Decimal(0)}


def _fold_groups(grouping: str, rows, top: int):
    """Groups named and ranked by credits, the ones after `top` folded into "other"."""
    key, _ = GROUPINGS[grouping]
    rows = list(rows)
    names = _group_names(grouping, [row[key] for row in rows])
    groups = sorted(
        (Group(key=row[key], name=names[row[key]], **_money(row)) for row in rows),
        key=lambda group: (-group.credits, group.name),
    )
    totals = {
        "credits": sum((group.credits for group in groups), Decimal(0)),
        "dollars": sum((group.dollars for group in groups), Decimal(0)),
    }
    if len(groups) > top + 1:
        rest = groups[top:]
        groups = [
            *groups[:top],
            Group(
                key=None,
                name=f"Other ({len(rest)})",
                credits=sum((group.credits for group in rest), Decimal(0)),
                dollars=sum((group.dollars for group in rest), Decimal(0)),
                is_other=True,
            ),
        ]
    return groups, totals


def _group_names(grouping: str, keys: list) -> dict:
    """{key: name} for the groups found: members and projects in one small query."""
    key, name_field = GROUPINGS[grouping]
    names = {None: f"No {grouping} (adjustments)", "": f"No {grouping} (adjustments)"}
    found = [value for value in keys if value not in names]
    if name_field is None:
        names.update({value: pricing.MODEL_LABELS.get(value, value) for value in found})
    elif found:
        model = LedgerEntry._meta.get_field(key).related_model
        names.update(model.objects.filter(pk__in=found).values_list("pk", name_field))
    return names


def _money(row) -> dict:
    return {"credits": row["credits"], "dollars": row["dollars"]}


@dataclass(frozen=True)
class SeriesPoint:
    start: dt.date
    credits: Decimal
    dollars: Decimal


def _bucket(interval: str) -> Trunc:
    """The day, week or month of the site's calendar an entry accrued in."""
    return Trunc("accrued_at", interval, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _bucket_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _fill_series(scope: ReportScope, interval: str, found: dict) -> list[SeriesPoint]:
    """A point for every bucket of the scope's range, from {bucket's first day: sums}."""
    tz = ZoneInfo(settings.TIME_ZONE)
    points = []
    last = (scope.end - dt.timedelta(microseconds=1)).astimezone(tz).date()
    bucket = _bucket_start(scope.start.astimezone(tz).date(), interval)
    while bucket <= last:
        sums = found.get(bucket, _ZERO)
        points.append(SeriesPoint(start=bucket, credits=sums["credits"], dollars=sums["dollars"]))
        bucket = _next_bucket(bucket, interval)
    return points


def _bucket_start(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: dt.date, interval: str) -> dt.date:
    if interval == "week":
        return day + dt.timedelta(days=7)
    if interval == "month":
        return (day + dt.timedelta(days=32)).replace(day=1)
    return day + dt.timedelta(days=1)


def generation_costs(scope: ReportScope):
    """One row per generation of the scope: its net credits and dollars, with its facts."""
    return (
        scope.entries()
        .filter(generation__isnull=False)
        .spend_by(
            "generation",
            "generation__status",
            "generation__created_at",
            "user__username",
            "project__name",
            "model",
        )
    )


def _thousandths(column: str) -> Cast:
    """Credits as whole thousandths (exact: three places), a bigint to sum.

    For ranking a month's ~40,000 videos: PostgreSQL's hash of bigint sums stays in
    memory where numeric sums spilled to disk (work_mem), a third slower under load.
    Rounded before the cast, as SQLite holds 85.68 as 85.67999...
    """
    return Cast(Round(F(column) * Value(1000)), models.BigIntegerField())


def most_expensive(scope: ReportScope, limit: int = 10):
    """The `limit` generations of the scope that cost most, with their facts.

    Ranked in a subquery over the ledger alone, so that only the winners are joined to
    their generation, member and project (joining first made it ten times slower).
    """
    ranked = (
        scope.entries()
        .filter(generation__isnull=False)
        .order_by()
        .values("generation")
        .annotate(net=Sum(_thousandths("credits")))
        .order_by("-net", "-generation")
        .values("generation")[:limit]
    )
    return (
        generation_costs(scope)
        .filter(generation__in=models.Subquery(ranked))
        .order_by("-credits", "-generation")
    )


def failed_generations(scope: ReportScope, limit: int = 10):
    """The scope's latest failed generations; each nets 0 once refunded.

    Found by their refund rows (a generation fails and is refunded in one transaction),
    ranked before any join, like most_expensive().
    """
    ranked = (
        scope.entries()
        .filter(kind=LedgerEntry.Kind.REFUND)
        .order_by("-accrued_at", "-generation")
        .values("generation")[:limit]
    )
    return (
        scope.entries()
        .filter(generation__in=models.Subquery(ranked))
        .spend_by(
            "generation",
            "generation__created_at",
            "generation__error_message",
            "generation__error_code",
            "user__username",
            "project__name",
            "model",
            estimate=Sum("credits", filter=Q(kind=LedgerEntry.Kind.RESERVE)),
        )
        .order_by("-generation__created_at", "-generation")
    )


def reconciliation_rows(start, end):
    """One row per finished generation reserved in [start, end), with its three figures."""
    reserve, settle, refund, kind_adjust = (
        LedgerEntry.Kind.RESERVE,
        LedgerEntry.Kind.SETTLE,
        LedgerEntry.Kind.REFUND,
        LedgerEntry.Kind.ADJUST,
    )
    return (
        LedgerEntry.objects.in_period(start, end)
        .filter(generation__status__in=Generation.FINISHED_STATES)
        .order_by()
        .values(
            "generation",
            "generation__status",
            "generation__credits_used",
            "generation__error_code",
            "generation__estimate_worst_case",
            "generation__settle_pending_since",
            "team__name",
            "user__username",
            "model",
            "price_version",
        )
        .annotate(
            estimate=Sum("credits", filter=Q(kind=reserve)),
            settled=Sum("credits", filter=Q(kind__in=[reserve, settle, refund])),
            adjusted=Sum("credits", filter=Q(kind=kind_adjust)),
            net=Sum("credits"),
        )
        .order_by("-generation")
    )


def charged_above_reservation(row) -> bool:
    """Whether a reconciliation row's video was charged more than it reserved (Kinovi's
    creditsUsed over the estimate, the difference settled and counted)."""
    estimate = row["estimate"]
    return (
        row["generation__status"] == Generation.Status.SUCCESS
        and estimate is not None
        and row["settled"] > estimate
    )


def reconciliation_flag(row) -> str:
    """What does not add up for a finished generation, in words ("" when all agree)."""
    reported = row["generation__credits_used"]
    if row["generation__status"] == Generation.Status.FAIL:
        if row["settled"] != 0:
            return "A failed generation still costs credits."
        if row.get("generation__error_code") == Generation.NEVER_CONFIRMED:
            return "Never confirmed by Kinovi: failed and refunded by the worker."
        return ""
    if row.get("generation__settle_pending_since") is not None:
        return "Final cost pending: Kinovi updates its charge after the video is done."
    if reported is None:
        return "Kinovi reported no creditsUsed."
    if row["settled"] != reported:
        return f"Settled {_c(row['settled'])}, Kinovi says {_c(reported)}."
    if charged_above_reservation(row):
        off = reported - row["estimate"]
        return f"Charged {_c(off)} more than reserved ({_c(row['estimate'])})."
    if row["estimate"] != reported:
        off = reported - row["estimate"]
        if row.get("generation__estimate_worst_case") and off < 0:
            return f"Worst case reserved: Kinovi charged {_c(-off)} less."
        return f"Estimate off by {'+' if off > 0 else ''}{_c(off)}."
    return ""
