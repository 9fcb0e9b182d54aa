"""Credits pages: my spend, the spend report and its CSV, budgets, pricing, reconciliation.

Members see their own spend; team admins their team's; staff every team's. A page about
another team's data answers 404; a member asking for an admin page gets 403 saying why.
"""

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.decorators import team_required
from projects.forms.credits import (
    INTERVALS,
    PRESETS,
    AdjustmentForm,
    BudgetForm,
    DateRangeForm,
    DefaultBudgetForm,
    PriceVersionForm,
    ReportForm,
)
from projects.htmx import partial_request, vary_on_htmx
from projects.kinovi import pricing
from projects.models import (
    AuditEntry,
    Budget,
    Generation,
    LedgerEntry,
    Membership,
    PriceVersion,
    Team,
)
from projects.models.credits import (
    AdjustmentRefused,
    add_price_version,
    adjust,
    budget_statuses,
    remove_budget,
    set_budget,
    set_default_member_budget,
    soft_limit_warnings,
    spent_by_budget,
)
from projects.models.reports import (
    ReportScope,
    breakdown,
    breakdown_and_series,
    failed_generations,
    generation_costs,
    most_expensive,
    reconciliation_flag,
    reconciliation_rows,
)

TEMPLATES = "projects/credits/"
AUDIT_ROWS = 50
RECONCILIATION_PER_PAGE = 100
# CSV cells that a spreadsheet would run as a formula start with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


ADMINS_ONLY = "Only team admins and staff see this page."


def admin_required(view):
    """Team admins of their current team, and staff; others get 403 with the reason.

    A request naming a team (?team=) is answered about that team first: 404 for a team
    the user is not in, whatever their role, so that nobody learns what exists elsewhere.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            if named := request.POST.get("team") or request.GET.get("team"):
                _get_team_for_admin(request, named)
            if request.team is None:
                return render(request, "projects/no_team.html", status=403)
            if not request.membership.is_admin:
                raise PermissionDenied(ADMINS_ONLY)
        return view(request, *args, **kwargs)

    return wrapper


def _get_team_for_admin(request, team_id) -> Team:
    """A team whose spend the user may manage: any for staff, else one they administer.

    Another team's id answers 404, whether it exists or not; a member of the team who
    is not its admin gets 403.
    """
    if team_id in (None, ""):
        if request.team is not None:
            return request.team
        if request.user.is_staff and (first := Team.objects.first()) is not None:
            return first
        raise Http404("Choose a team.")
    try:
        team_id = int(team_id)
    except (TypeError, ValueError):
        raise Http404("No such team.") from None
    if not 0 < team_id < 2**63:  # SQLite cannot even compare a larger integer
        raise Http404("No such team.")
    if request.user.is_staff:
        return get_object_or_404(Team, pk=team_id)
    membership = get_object_or_404(
        Membership.objects.select_related("team"), team_id=team_id, user=request.user
    )
    if not membership.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    return membership.team


# ---------------------------------------------------------------------------------------
# Charts: geometry for SVG the templates draw.

CHART_WIDTH = 640
CHART_HEIGHT = 220
CHART_PLOT_TOP = 20
CHART_PLOT_BOTTOM = 190
BREAKDOWN_ROW = 24
BREAKDOWN_WIDTH = 400
BREAKDOWN_LABEL_WIDTH = 120
BREAKDOWN_BAR_WIDTH = 210


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    credits: int
    dollars: Decimal
    is_other: bool = False

    @property
    def text_x(self) -> float:
        """Where a row's value is written: after its bar."""
        return self.x + self.width + 5


def column_chart(points) -> list[Bar]:
    """Columns for a time series (negative net spend drawn as 0 high)."""
    if not points:
        return []
    top = max((point.credits for point in points), default=0) or 1
    slot = CHART_WIDTH / len(points)
    plot = CHART_PLOT_BOTTOM - CHART_PLOT_TOP
    bars = []
    for index, point in enumerate(points):
        height = plot * max(point.credits, 0) / top
        bars.append(
            Bar(
                x=round(index * slot + slot * 0.1, 2),
                y=round(CHART_PLOT_BOTTOM - height, 2),
                width=round(max(slot * 0.8, 0.5), 2),
                height=round(height, 2),
                label=point.start.isoformat(),
                credits=point.credits,
                dollars=point.dollars,
            )
        )
    return bars


def row_chart(groups) -> list[Bar]:
    """Horizontal bars for a breakdown: one 24-unit row each, widths against the largest."""
    top = max((group.credits for group in groups), default=0) or 1
    return [
        Bar(
            x=BREAKDOWN_LABEL_WIDTH,
            y=index * BREAKDOWN_ROW,
            width=round(BREAKDOWN_BAR_WIDTH * max(group.credits, 0) / top, 2),
            height=18,
            label=group.name,
            credits=group.credits,
            dollars=group.dollars,
            is_other=group.is_other,
        )
        for index, group in enumerate(groups)
    ]


# ---------------------------------------------------------------------------------------
# My spend


@team_required
def my_spend(request):
    """This period's spend against each budget, my generations in a range, my refunds."""
    dates = DateRangeForm(request.GET or None)
    if request.GET and not dates.is_valid():
        return render(request, TEMPLATES + "my_spend.html", {"dates": dates}, status=400)
    if not request.GET:
        dates = DateRangeForm({"preset": "this_month"})
        dates.is_valid()
    start, end = dates.bounds()
    scope = ReportScope(team=request.team, user=request.user, start=start, end=end)
    generations = Paginator(
        generation_costs(scope).order_by("-generation__created_at", "-generation"), 50
    ).get_page(request.GET.get("page"))
    refunds = (
        scope.entries()
        .filter(kind=LedgerEntry.Kind.REFUND)
        .select_related("project", "generation")
        .order_by("-created_at")[:50]
    )
    totals = scope.entries().totals()
    statuses = budget_statuses(request.team, request.user)
    return render(
        request,
        TEMPLATES + "my_spend.html",
        {
            "nav": "spend",
            "dates": dates,
            "presets": PRESETS,
            "budgets": statuses,
            "warnings": soft_limit_warnings(request.team, request.user, statuses),
            "generations": generations,
            "refunds": refunds,
            "totals": totals,
            "first_day": dates.cleaned_data["first_day"],
            "last_day": dates.cleaned_data["last_day"],
        },
    )


# ---------------------------------------------------------------------------------------
# Spend report and its CSV


def _report_form(request) -> ReportForm:
    if request.user.is_staff:
        team = None
        if request.GET.get("team"):
            team = _get_team_for_admin(request, request.GET["team"])
        elif "team" not in request.GET:
            team = request.team
    else:
        team = _get_team_for_admin(request, request.GET.get("team"))
    data = request.GET.copy()
    if request.user.is_staff and "team" not in data and team is not None:
        data["team"] = str(team.pk)
    return ReportForm(data, team=team, staff=request.user.is_staff)


@admin_required
@vary_on_htmx
def spend_report(request):
    form = _report_form(request)
    template = TEMPLATES + "report.html"
    if partial_request(request):
        template += "#results"
    if not form.is_valid():
        return render(request, template, {"form": form, "nav": "report"}, status=400)
    scope = form.scope()
    groups, totals, points = breakdown_and_series(scope, form.grouping, form.chart_interval)
    context = {
        "nav": "report",
        "form": form,
        "presets": PRESETS,
        "scope": scope,
        "first_day": form.cleaned_data["first_day"],
        "last_day": form.cleaned_data["last_day"],
        "grouping": form.grouping,
        "grouping_label": form.grouping.capitalize(),
        "interval": form.chart_interval,
        "interval_label": INTERVALS[form.chart_interval].lower(),
        "groups": groups,
        "group_bars": row_chart(groups),
        "breakdown_height": max(len(groups), 1) * BREAKDOWN_ROW,
        "totals": totals,
        "points": points,
        "columns": column_chart(points),
        "peak": max((point.credits for point in points), default=0),
        "chart": {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bottom": CHART_PLOT_BOTTOM},
        "breakdown_width": BREAKDOWN_WIDTH,
        "expensive": most_expensive(scope),
        "failed": failed_generations(scope),
        "query": request.GET.urlencode(),
        "range_query": _without(request.GET, "preset", "start", "end"),
    }
    return render(request, template, context)


def _without(query, *names) -> str:
    """The query string less `names`: what a preset link keeps of the filters on show."""
    kept = query.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def csv_safe(value) -> str | int | Decimal:
    """Text a spreadsheet shows as text: a leading formula character gets a quote.

    Numbers pass unformatted (a negative number is a number, not a formula), and so do
    credits, which the caller wrote as plain numbers (-50, 85.68).
    """
    if isinstance(value, int | Decimal) or _PLAIN_NUMBER.fullmatch(str(value)):
        return value
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for csv.writer to stream."""

    def write(self, value):
        return value


ENTRY_COLUMNS = [
    "accrued_at",
    "created_at",
    "kind",
    "team",
    "member",
    "project",
    "generation",
    "model",
    "status",
    "credits",
    "dollars",
    "credits_used",
    "price_version",
    "reason",
]


def _entry_rows(scope: ReportScope):
    tz = ZoneInfo(settings.TIME_ZONE)
    rows = (
        scope.entries()
        .order_by("accrued_at", "id")
        .values_list(
            "accrued_at",
            "created_at",
            "kind",
            "team__name",
            "user__username",
            "project__name",
            "generation_id",
            "model",
            "generation__status",
            "credits",
            "dollars",
            "credits_used",
            "price_version_id",
            "reason",
        )
    )
    plain = pricing.plain_credits
    for row in rows.iterator(chunk_size=2000):
        accrued, created, *facts, credits, dollars, used, version, reason = row
        yield [
            accrued.astimezone(tz).isoformat(),
            created.astimezone(tz).isoformat(),
            *facts,
            plain(credits),
            dollars,
            plain(used),
            version,
            reason,
        ]


@admin_required
def spend_csv(request):
    """The report's rows as CSV, streamed: one per ledger entry, or per group (?rows=groups)."""
    form = _report_form(request)
    if not form.is_valid():
        return render(
            request, TEMPLATES + "report.html", {"form": form, "nav": "report"}, status=400
        )
    scope = form.scope()
    by_group = request.GET.get("rows") == "groups"
    if by_group:
        groups, _ = breakdown(scope, form.grouping)
        header = [form.grouping, "credits", "dollars"]
        rows = (
            [group.name, pricing.plain_credits(group.credits), group.dollars] for group in groups
        )
    else:
        header = ENTRY_COLUMNS
        rows = _entry_rows(scope)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(cell) if cell is not None else "" for cell in row])

    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    name = f"spend-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}{'-by-' + form.grouping if by_group else ''}"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# ---------------------------------------------------------------------------------------
# Budgets


@admin_required
def budgets(request):
    team = _get_team_for_admin(request, request.POST.get("team") or request.GET.get("team"))
    setting_default = "set_default" in request.POST
    form = BudgetForm(None if setting_default else request.POST or None, team=team)
    default_form = DefaultBudgetForm(
        request.POST if setting_default else None,
        initial={
            "default_member_budget": team.default_member_budget,
            "no_limit": team.default_member_budget is None,
        },
    )
    if setting_default and default_form.is_valid():
        credits = default_form.cleaned_data["default_member_budget"]
        set_default_member_budget(
            team, credits, actor=request.user, reason=default_form.cleaned_data["default_reason"]
        )
        words = (
            "no limit" if credits is None else f"{pricing.format_credits(credits)} credits a month"
        )
        messages.success(request, f"New members of {team.name} get {words}.")
        return redirect(f"{reverse('budgets')}?team={team.pk}")
    if request.method == "POST" and not setting_default and form.is_valid():
        data = form.cleaned_data
        set_budget(
            team=team,
            user=data["member"],
            period=data["period"],
            hard_limit=data["hard_limit"],
            soft_limit_percent=data["soft_limit_percent"],
            actor=request.user,
            reason=data["reason"],
        )
        whose = data["member"].get_username() if data["member"] else team.name
        messages.success(
            request,
            f"Budget of {whose} set to {pricing.format_credits(data['hard_limit'])} credits.",
        )
        return redirect(f"{reverse('budgets')}?team={team.pk}")
    members = list(
        Membership.objects.filter(team=team).select_related("user").order_by("user__username")
    )
    team_budgets = {budget.user_id: budget for budget in Budget.objects.for_team(team)}
    by_pk = spent_by_budget(team, team_budgets.values(), timezone.now())
    spent = {user_id: by_pk[budget.pk] for user_id, budget in team_budgets.items()}
    rows = [
        {
            "membership": membership,
            "budget": team_budgets.get(membership.user_id),
            "spent": spent.get(membership.user_id),
        }
        for membership in members
    ]
    context = {
        "nav": "budgets",
        "team": team,
        "form": form,
        "team_budget": team_budgets.get(None),
        "team_spent": spent.get(None),
        "rows": rows,
        "without_budget": [row["membership"].user for row in rows if row["budget"] is None],
        "default_form": default_form,
        "audit": AuditEntry.objects.filter(Q(team=team) | Q(team__isnull=True))
        .select_related("actor")
        .order_by("-created_at", "-id")[:AUDIT_ROWS],
        "teams": Team.objects.order_by("name") if request.user.is_staff else None,
    }
    invalid = form.errors or default_form.errors
    return render(request, TEMPLATES + "budgets.html", context, status=400 if invalid else 200)


@login_required
@require_POST
def budget_remove(request, budget_id: int):
    """404 for another team's budget, 403 for a member of its team, as _get_team_for_admin."""
    budget = get_object_or_404(Budget.objects.select_related("team", "user"), pk=budget_id)
    team = _get_team_for_admin(request, budget.team_id)
    remove_budget(budget, actor=request.user, reason=request.POST.get("reason", ""))
    whose = budget.user.get_username() if budget.user else team.name
    messages.success(request, f"Budget of {whose} removed: no limit now.")
    return redirect(f"{reverse('budgets')}?team={team.pk}")


# ---------------------------------------------------------------------------------------
# Pricing


@admin_required
def pricing_page(request):
    current = PriceVersion.objects.in_effect()
    form = PriceVersionForm(request.POST or None, current=current.rates)
    if request.method == "POST":
        if not request.user.is_staff:
            raise PermissionDenied("Prices apply to every team: only staff add a version.")
        if form.is_valid():
            version = add_price_version(
                form.rates(),
                effective_from=form.cleaned_data["effective_from"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
            messages.success(request, f"{version} added.")
            return redirect("pricing")
    context = {
        "nav": "pricing",
        "current": current,
        "rate_rows": pricing.rate_rows(current.rates),
        "table": pricing.duration_table(current.rates),
        "versions": PriceVersion.objects.select_related("created_by").order_by("-effective_from"),
        "now": timezone.now(),
        "form": form if request.user.is_staff else None,
        "audit": AuditEntry.objects.filter(action=AuditEntry.Action.PRICE_VERSION_ADDED)
        .select_related("actor")
        .order_by("-created_at")[:AUDIT_ROWS],
    }
    return render(request, TEMPLATES + "pricing.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------------------------------
# Reconciliation (staff)


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper


@staff_required
def reconciliation(request):
    """Finished generations: our estimate, what we settled, Kinovi's creditsUsed."""
    dates = DateRangeForm(request.GET or {"preset": "this_month"})
    adjustment = AdjustmentForm(request.POST or None)
    if request.method == "POST" and adjustment.is_valid():
        generation = get_object_or_404(
            Generation.objects.select_related("project__team", "created_by"),
            pk=adjustment.cleaned_data["generation"],
        )
        if generation.created_by is None or not generation.ledger_entries.exists():
            messages.error(request, "That generation has no reservation to adjust.")
            return redirect(f"{reverse('reconciliation')}?{request.GET.urlencode()}")
        try:
            adjust(
                team=generation.project.team,
                user=generation.created_by,
                credits=adjustment.cleaned_data["credits"],
                reason=adjustment.cleaned_data["reason"],
                actor=request.user,
                generation=generation,
            )
        except AdjustmentRefused as refused:
            adjustment.add_error("credits", str(refused))
        else:
            messages.success(request, f"Generation {generation.pk} adjusted.")
            return redirect(f"{reverse('reconciliation')}?{request.GET.urlencode()}")
    if not dates.is_valid():
        return render(request, TEMPLATES + "reconciliation.html", {"dates": dates}, status=400)
    start, end = dates.bounds()
    rows = reconciliation_rows(start, end)
    page = Paginator(rows, RECONCILIATION_PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        row["flagged"] = reconciliation_flag(row)
    by_version = (
        LedgerEntry.objects.in_period(start, end)
        .spend_by("price_version", "price_version__effective_from")
        .order_by("price_version__effective_from")
    )
    return render(
        request,
        TEMPLATES + "reconciliation.html",
        {
            "nav": "reconciliation",
            "dates": dates,
            "presets": PRESETS,
            "page": page,
            "by_version": by_version,
            "adjustment": adjustment,
            "first_day": dates.cleaned_data["first_day"],
            "last_day": dates.cleaned_data["last_day"],
        },
        status=400 if adjustment.errors else 200,
    )
