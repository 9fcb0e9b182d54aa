"""Credits pages: my spend, the spend report and its CSV, budgets, pricing, reconciliation.

Members see their own spend; team admins their team's; staff every team's. A page about
another team's data answers 404; a member asking for an admin page gets 403 saying why.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from projects.charts import (
    BREAKDOWN_ROW,
    BREAKDOWN_WIDTH,
    CHART_HEIGHT,
    CHART_PLOT_BOTTOM,
    CHART_WIDTH,
    column_chart,
    row_chart,
)
from projects.csv_export import ENTRY_COLUMNS, entry_rows, streamed_csv
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
    charged_above_reservation,
    failed_generations,
    generation_costs,
    most_expensive,
    reconciliation_flag,
    reconciliation_rows,
)

TEMPLATES = "projects/credits/"
AUDIT_ROWS = 50
RECONCILIATION_PER_PAGE = 100


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
    statuses = budget_statuses(request.team, request.user, held=True)
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
        rows = entry_rows(scope)
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    name = f"spend-{first:%Y-%m-%d}-to-{last:%Y-%m-%d}{'-by-' + form.grouping if by_group else ''}"
    return streamed_csv(name, header, rows)


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


RECONCILIATION_SHOWS = {
    "flagged": "Differences",
    "above": "Charged more than reserved",
    "all": "All finished videos",
}


@staff_required
@vary_on_htmx
def reconciliation(request):
    """Finished videos: our estimate, what we charged, what Kinovi charged.

    The differences are shown by default (?show=all lists every finished video); a row is
    adjusted in a dialog (?adjust=<video> is its form, a page of its own without JS).
    """
    template = TEMPLATES + "reconciliation.html"
    back_query = _without(request.GET, "adjust")
    # No range named (e.g. only ?show=all): this month, as the form defaults.
    dates = DateRangeForm(request.GET or {"preset": "this_month"})
    adjustment = AdjustmentForm(request.POST or None)
    if request.method == "POST":
        if adjustment.is_valid():
            generation = get_object_or_404(
                Generation.objects.select_related("project__team", "created_by"),
                pk=adjustment.cleaned_data["generation"],
            )
            refused = False
            if generation.created_by is None or not generation.ledger_entries.exists():
                messages.error(request, "That video has no reservation to adjust.")
            else:
                try:
                    adjust(
                        team=generation.project.team,
                        user=generation.created_by,
                        credits=adjustment.cleaned_data["credits"],
                        reason=adjustment.cleaned_data["reason"],
                        actor=request.user,
                        generation=generation,
                    )
                except AdjustmentRefused as refusal:
                    adjustment.add_error("credits", str(refusal))
                    refused = True
                else:
                    messages.success(request, f"Video {generation.pk} adjusted.")
            if not refused:
                back = f"{reverse('reconciliation')}?{back_query}"
                if partial_request(request):
                    return HttpResponseClientRedirect(back)
                return redirect(back)
        if partial_request(request):
            context = {
                "adjustment": adjustment,
                "adjusting": _adjusted(request.POST),
                "back_query": back_query,
            }
            return render(request, template + "#adjust-form", context, status=400)
    if not dates.is_valid():
        return render(request, template, {"dates": dates}, status=400)
    adjusting = _adjusted(request.GET) if "adjust" in request.GET else None
    if adjusting is not None and request.method == "GET":
        adjustment = AdjustmentForm(initial={"generation": adjusting.pk})
        if partial_request(request):
            return render(
                request,
                template + "#adjust-form",
                {"adjustment": adjustment, "adjusting": adjusting, "back_query": back_query},
            )
    show = request.GET.get("show") if request.GET.get("show") in RECONCILIATION_SHOWS else "flagged"
    start, end = dates.bounds()
    rows = reconciliation_rows(start, end)
    if show == "flagged":
        rows = [row for row in rows.iterator() if _flag(row)]
        flagged_count = len(rows)
    elif show == "above":
        rows = [row for row in rows.iterator() if charged_above_reservation(row)]
        flagged_count = len(rows)
    else:
        flagged_count = None
    page = Paginator(rows, RECONCILIATION_PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        _flag(row)
    by_version = (
        LedgerEntry.objects.in_period(start, end)
        .spend_by("price_version", "price_version__effective_from")
        .order_by("price_version__effective_from")
    )
    return render(
        request,
        template,
        {
            "nav": "reconciliation",
            "dates": dates,
            "presets": PRESETS,
            "page": page,
            "show": show,
            "shows": RECONCILIATION_SHOWS,
            "flagged_count": flagged_count,
            "show_query": _without(request.GET, "show", "page", "adjust"),
            "range_query": _without(request.GET, "preset", "start", "end", "page", "adjust"),
            "by_version": by_version,
            "adjustment": adjustment,
            "adjusting": adjusting,
            "back_query": back_query,
            "first_day": dates.cleaned_data["first_day"],
            "last_day": dates.cleaned_data["last_day"],
        },
        status=400 if adjustment.errors else 200,
    )


def _flag(row) -> str:
    row["flagged"] = reconciliation_flag(row)
    row["above_reservation"] = charged_above_reservation(row)
    return row["flagged"]


def _adjusted(query) -> Generation:
    """The video an adjustment is about (?adjust= or the form's field); 404 if none."""
    try:
        pk = int(query.get("adjust") or query.get("generation") or "")
    except ValueError:
        raise Http404("No such video.") from None
    if not 0 < pk < 2**63:
        raise Http404("No such video.")
    return get_object_or_404(
        Generation.objects.select_related("project__team", "created_by"), pk=pk
    )
