"""Forms of the credits pages: report filters, budgets, price versions, adjustments."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from projects.kinovi import catalogue, pricing
from projects.models import Budget, Generation, PriceVersion, Project, Team
from projects.models.credits import (
    ADJUSTMENT_LIMIT,
    MAX_CREDITS_PER_SECOND,
    MAX_DOLLARS_PER_CREDIT,
    price_version_problem,
)
from projects.models.reports import GROUPINGS, IN_FLIGHT, ReportScope

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "last_30_days": "Last 30 days",
}
# A day-by-day chart of more than this many days stops being readable, and the report
# stops being fast: longer ranges are asked for by month.
MAX_RANGE_DAYS = 731
INTERVALS = {"day": "Day", "week": "Week", "month": "Month"}
STATUS_CHOICES = [
    ("", "Any status"),
    (Generation.Status.SUCCESS, "Done"),
    (Generation.Status.FAIL, "Failed"),
    (IN_FLIGHT, "In flight"),
]


def local_today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day (inclusive) of a preset, in the site's calendar."""
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last_30_days":
        return today - dt.timedelta(days=29), today
    first = today.replace(day=1)
    return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


class DateRangeForm(forms.Form):
    """A date range kept in the URL: a preset, or a first and last day."""

    preset = forms.ChoiceField(
        choices=[("", "Custom"), *PRESETS.items()], required=False, label="Range"
    )
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if data.get("preset") or not (start or end):
            start, end = preset_range(data.get("preset") or "this_month", local_today())
        elif not (start and end):
            raise forms.ValidationError("Give both the first and the last day, or a preset.")
        if end < start:
            raise forms.ValidationError("The last day comes before the first.")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise forms.ValidationError(f"Choose at most {MAX_RANGE_DAYS} days.")
        data["first_day"], data["last_day"] = start, end
        return data

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes: midnight before the first day to after the last."""
        tz = ZoneInfo(settings.TIME_ZONE)
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        return (
            dt.datetime.combine(first, dt.time(), tzinfo=tz),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz),
        )


class ReportForm(DateRangeForm):
    """The spend report's filters and grouping; the CSV export reads the same form."""

    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    member = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="Everyone"
    )
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="Every project"
    )
    model = forms.ChoiceField(
        choices=[("", "Every model"), *pricing.MODEL_LABELS.items()], required=False
    )
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    group = forms.ChoiceField(
        choices=[(name, name.capitalize()) for name in GROUPINGS],
        required=False,
        label="Group by",
    )
    interval = forms.ChoiceField(choices=INTERVALS.items(), required=False, label="Chart by")

    def __init__(self, data=None, *, team, staff: bool):
        super().__init__(data)
        self.default_team = team
        if staff:
            self.fields["team"].queryset = Team.objects.all()
            self.fields["team"].initial = team
        else:
            del self.fields["team"]
        self.fields["member"].queryset = (
            get_user_model().objects.filter(memberships__team=team).order_by("username")
            if team is not None
            else get_user_model().objects.filter(memberships__isnull=False).distinct()
        )
        projects = Project.objects.select_related("owner").order_by("name")
        self.fields["project"].queryset = (
            projects.filter(team=team) if team is not None else projects
        )
        self.fields["project"].label_from_instance = lambda p: f"{p.name} ({p.owner})"

    def scope(self) -> ReportScope:
        start, end = self.bounds()
        data = self.cleaned_data
        return ReportScope(
            team=data["team"] if "team" in self.fields else self.default_team,
            start=start,
            end=end,
            user=data.get("member"),
            project=data.get("project"),
            model=data.get("model") or "",
            status=data.get("status") or "",
        )

    @property
    def grouping(self) -> str:
        return self.cleaned_data.get("group") or "member"

    @property
    def chart_interval(self) -> str:
        return self.cleaned_data.get("interval") or "day"


class BudgetForm(forms.Form):
    """Set the team's budget (no member) or one member's."""

    member = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="The whole team",
        label="Budget of",
    )
    period = forms.ChoiceField(choices=Budget.Period.choices, initial=Budget.Period.MONTH)
    hard_limit = forms.DecimalField(
        min_value=0,
        max_value=2_000_000_000,
        max_digits=14,
        decimal_places=3,
        label="Hard limit (credits)",
        help_text="Submissions that would go past it are refused.",
    )
    soft_limit_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=80,
        label="Warn at (% of the hard limit)",
    )
    reason = forms.CharField(max_length=500, required=False, label="Why (for the audit log)")

    def __init__(self, data=None, *, team, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["member"].queryset = (
            get_user_model().objects.filter(memberships__team=team).order_by("username")
        )


class DefaultBudgetForm(forms.Form):
    """The monthly budget each new member of the team gets, or an explicit no limit."""

    default_member_budget = forms.IntegerField(
        min_value=0,
        max_value=2_000_000_000,
        required=False,
        label="New members' monthly budget (credits)",
    )
    no_limit = forms.BooleanField(required=False, label="No limit for new members")
    default_reason = forms.CharField(
        max_length=500, required=False, label="Why (for the audit log)"
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("no_limit"):
            data["default_member_budget"] = None
        elif data.get("default_member_budget") is None:
            raise forms.ValidationError(
                "Give the credits a new member may spend each month, or choose no limit."
            )
        return data


@dataclass(frozen=True)
class PriceCell:
    """One line of the price form: a model at one resolution, its fields (bound)."""

    label: str
    model: str
    resolution: str
    per_second: forms.BoundField
    with_reference_video: forms.BoundField
    upscale_4k: forms.BoundField | None
    charges_reference_seconds: bool

    @property
    def resolution_label(self) -> str:
        return catalogue.RESOLUTION_LABELS[self.resolution]

    @property
    def columns(self) -> list[tuple[str, forms.BoundField | None]]:
        """(column heading, field or None) in the table's order."""
        return [
            ("Plain", self.per_second),
            ("With a reference video", self.with_reference_video),
            ("Upscale to 4K adds", self.upscale_4k),
        ]


def _rate_field(label: str, initial) -> forms.DecimalField:
    # The initial value as people write it (85.68, not 85.680).
    initial = None if initial is None else pricing.plain_credits(initial)
    return forms.DecimalField(
        min_value=0,
        max_value=MAX_CREDITS_PER_SECOND,
        max_digits=9,
        decimal_places=pricing.CREDIT_PLACES,
        initial=initial,
        label=label,
    )


class PriceVersionForm(forms.Form):
    """New rates and the moment they take effect (in the future).

    One field per priced cell of the catalogue: every model at every resolution it
    offers, without and with a reference video, the 4K upscale where the model has one,
    and the dollars of a credit. They start at the version in effect (the shipped
    rates where it prices a cell no longer or not yet).
    """

    effective_from = forms.DateTimeField(
        label="Takes effect at",
        widget=forms.DateTimeInput({"type": "datetime-local"}),
        help_text=(
            "In the site's time zone, at least 5 minutes from now. Reservations made "
            "before it keep their price."
        ),
    )
    dollars_per_credit = forms.DecimalField(
        min_value=Decimal("0.000001"),
        max_value=MAX_DOLLARS_PER_CREDIT,
        max_digits=12,
        decimal_places=6,
        initial=Decimal("0.005"),
        label="Dollars per credit",
    )
    note = forms.CharField(max_length=300, required=False, label="Why (for the audit log)")

    @staticmethod
    def rate_name(model: str, resolution: str) -> str:
        return f"{model}__{resolution}"

    @staticmethod
    def video_rate_name(model: str, resolution: str) -> str:
        return f"{model}__{resolution}__with_reference_video"

    @staticmethod
    def upscale_name(model: str) -> str:
        return f"{model}__upscale_4k"

    def __init__(self, data=None, *, current: pricing.Rates, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["dollars_per_credit"].initial = format(
            current.dollars_per_credit.normalize(), "f"
        )
        self._cells: list[tuple[catalogue.ModelSpec, str]] = []
        for spec in catalogue.CATALOGUE.values():
            rate = current.models.get(spec.id)
            shipped = pricing.SHIPPED_RATES.models.get(spec.id)
            for resolution in spec.resolutions:
                where = f"{spec.label} at {catalogue.RESOLUTION_LABELS[resolution]}"
                plain = _initial(rate, shipped, resolution, has_video_reference=False)
                video = _initial(rate, shipped, resolution, has_video_reference=True)
                self.fields[self.rate_name(spec.id, resolution)] = _rate_field(
                    f"{where}: credits/s", plain
                )
                self.fields[self.video_rate_name(spec.id, resolution)] = _rate_field(
                    f"{where}: credits/s with a reference video", video
                )
                self._cells.append((spec, resolution))
            if spec.upscale_4k:
                upscale = next(
                    (
                        candidate.upscale_4k_credits_per_second
                        for candidate in (rate, shipped)
                        if candidate is not None
                        and candidate.upscale_4k_credits_per_second is not None
                    ),
                    None,
                )
                self.fields[self.upscale_name(spec.id)] = _rate_field(
                    f"{spec.label}: upscale to 4K adds credits/s (from {pricing.SEED_RESOLUTION})",
                    upscale,
                )

    @property
    def cells(self) -> list[PriceCell]:
        """The form's rate fields as a table: a line per model and resolution."""
        return [
            PriceCell(
                label=spec.label,
                model=spec.id,
                resolution=resolution,
                per_second=self[self.rate_name(spec.id, resolution)],
                with_reference_video=self[self.video_rate_name(spec.id, resolution)],
                upscale_4k=self[self.upscale_name(spec.id)]
                if spec.upscale_4k and resolution == pricing.SEED_RESOLUTION
                else None,
                charges_reference_seconds=spec.settles_after_success,
            )
            for spec, resolution in self._cells
        ]

    def clean_effective_from(self):
        moment = self.cleaned_data["effective_from"]
        # Checked in UTC first: a far date in a negative offset is a later year there.
        problem = price_version_problem(pricing.SEED_RATES, moment)
        if problem:
            raise forms.ValidationError(problem)
        if PriceVersion.objects.filter(effective_from=moment).exists():
            raise forms.ValidationError("A version already takes effect at that moment.")
        return moment

    def clean(self):
        data = super().clean()
        if not self.errors:
            # The moment was checked above; this checks the numbers as the ledger will.
            problem = price_version_problem(self.rates(), data["effective_from"])
            if problem:
                raise forms.ValidationError(problem)
        return data

    def rates(self) -> pricing.Rates:
        data = self.cleaned_data
        models: dict[str, pricing.ModelRate] = {}
        for spec in catalogue.CATALOGUE.values():
            models[spec.id] = pricing.ModelRate(
                per_second={
                    resolution: data[self.rate_name(spec.id, resolution)]
                    for resolution in spec.resolutions
                },
                with_reference_video={
                    resolution: data[self.video_rate_name(spec.id, resolution)]
                    for resolution in spec.resolutions
                },
                upscale_4k_credits_per_second=data[self.upscale_name(spec.id)]
                if spec.upscale_4k
                else None,
            )
        return pricing.Rates(dollars_per_credit=data["dollars_per_credit"], models=models)


def _initial(rate, shipped, resolution: str, *, has_video_reference: bool):
    for candidate in (rate, shipped):
        if candidate is not None:
            value = candidate.rate(resolution, has_video_reference=has_video_reference)
            if value is not None:
                return value
    return None


class AdjustmentForm(forms.Form):
    """A staff correction of one generation's spend, with its reason."""

    generation = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    credits = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=-ADJUSTMENT_LIMIT,
        max_value=ADJUSTMENT_LIMIT,
        help_text=(
            "Positive adds spend, negative gives credits back: at most what the video "
            f"cost, and at most {ADJUSTMENT_LIMIT:,} credits either way."
        ),
    )
    reason = forms.CharField(max_length=500)

    def clean_credits(self):
        if self.cleaned_data["credits"] == 0:
            raise forms.ValidationError("An adjustment of 0 credits changes nothing.")
        return self.cleaned_data["credits"]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why, for the audit log.")
        return reason
