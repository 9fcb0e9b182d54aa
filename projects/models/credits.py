"""Credits: versioned prices, the append-only ledger, budgets and their audit log.

Spend is never stored as a counter: every figure (a member's spend this month, a team's
report, what is left of a budget) is a sum over `LedgerEntry` rows, so nothing can
drift. Budget periods are computed from dates, so nothing resets them either.

Foreign keys name their models as strings: generation.py imports this module
(Generation.submit() reserves credits), and this one imports nothing built on it. The
reports over the ledger are in reports.py.
"""

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import ExpressionWrapper, Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import cached_property

from projects.kinovi import pricing
from projects.models.outbox import queue_mail

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CREDITS_ZERO = Decimal(0)
_c = pricing.format_credits


def _signed(credits) -> str:
    """+60 or -50: an adjustment's credits with their sign."""
    return ("+" if credits > 0 else "") + _c(credits)


def credits_field(**kwargs) -> models.DecimalField:
    """A column of credits: exact decimals at pricing.CREDIT_PLACES (see the README)."""
    return models.DecimalField(max_digits=14, decimal_places=pricing.CREDIT_PLACES, **kwargs)


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a ledger or audit row."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are never updated.")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are never deleted.")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are never deleted.")


class PriceVersionQuerySet(AppendOnlyQuerySet):
    def in_effect_known(self, at: dt.datetime | None = None) -> "PriceVersion":
        """What in_effect(at) answers, from the versions this process read less than
        PRICE_VERSIONS_KEPT ago (known_price_versions()): for showing a price, where
        most requests would otherwise ask the database the same question. A reservation
        asks the database (in_effect), inside its transaction."""
        at = at or timezone.now()
        versions = known_price_versions(self.db)
        index = bisect_right([version.effective_from for version in versions], at)
        return versions[index - 1] if index else self.in_effect(at)

    def in_effect(self, at: dt.datetime | None = None) -> "PriceVersion":
        """The version whose effective_from is the latest one not after `at` (now).

        Migration 0003 writes the seed's version and 0013 the shipped one (every model
        and resolution); should the table have been emptied since (a test database
        flushed between tests), the shipped one is written again.
        """
        at = at or timezone.now()
        version = self.filter(effective_from__lte=at).order_by("-effective_from").first()
        if version is None:
            version, _ = self.get_or_create(
                effective_from=EPOCH,
                defaults={
                    "dollars_per_credit": pricing.SHIPPED_RATES.dollars_per_credit,
                    "model_rates": pricing.SHIPPED_RATES.to_json()["models"],
                    "note": "Kinovi's prices as shipped.",
                },
            )
        return version


# A new price version takes effect at least PRICE_VERSION_MIN_LEAD after it is added,
# and a web process keeps the versions it read for PRICE_VERSIONS_KEPT, which is
# shorter: so a kept list always knows every version in effect while it is kept (a
# version added since then cannot take effect before the list is read again).
PRICE_VERSION_MIN_LEAD = dt.timedelta(minutes=5)
PRICE_VERSIONS_KEPT = dt.timedelta(minutes=1)
_known_versions: dict[str, tuple[dt.datetime, list]] = {}  # alias: (read at, versions)


def known_price_versions(alias: str = "default") -> list["PriceVersion"]:
    """Every price version, oldest first, as read at most PRICE_VERSIONS_KEPT ago."""
    now = timezone.now()
    kept = _known_versions.get(alias)
    if kept is not None and kept[0] <= now < kept[0] + PRICE_VERSIONS_KEPT:
        return kept[1]
    versions = list(PriceVersion.objects.using(alias).order_by("effective_from"))
    _known_versions[alias] = (now, versions)
    return versions


def forget_price_versions(**kwargs) -> None:
    """Read the versions again next time (a version was added in this process)."""
    _known_versions.clear()


class PriceVersion(AppendOnlyModel):
    """Kinovi's rates from `effective_from` on, until the next version takes effect.

    Versions are only added, never edited, and never take effect in the past: a
    reservation keeps the version it was priced with.
    """

    effective_from = models.DateTimeField(unique=True)
    dollars_per_credit = models.DecimalField(max_digits=12, decimal_places=6)
    # Per model: credits_per_second, upscale_4k_credits_per_second,
    # video_reference_credits_per_second (the shape of pricing.Rates.to_json()).
    model_rates = models.JSONField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PriceVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Prices from {self.effective_from:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        forget_price_versions()

    @cached_property
    def rates(self) -> pricing.Rates:
        return pricing.Rates.from_json(
            {"dollars_per_credit": str(self.dollars_per_credit), "models": self.model_rates}
        )

    @property
    def is_first(self) -> bool:
        """The seed's version, in effect from the start (written as the epoch)."""
        return self.effective_from == EPOCH

    @property
    def rate_rows(self) -> list[pricing.RateRow]:
        return pricing.rate_rows(self.rates)

    @classmethod
    def from_rates(cls, rates: pricing.Rates, **fields) -> "PriceVersion":
        return cls(
            dollars_per_credit=rates.dollars_per_credit,
            model_rates=rates.to_json()["models"],
            **fields,
        )


DOLLARS_SCALE = Decimal("0.000001")


class DollarsTotal(Coalesce):
    """Sum of `dollars` (0 when there are no rows), exact to the column's six decimals.

    SQLite adds decimals as floats; rounding the sum back to the column's scale gives
    the exact figure again (PostgreSQL's numeric sum already is).
    """

    output_field = models.DecimalField(max_digits=20, decimal_places=6)

    def __init__(self, **extra):
        super().__init__(Sum("dollars", **extra), Value(Decimal(0)))

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), self._exact]

    @staticmethod
    def _exact(value, expression, connection):
        return None if value is None else Decimal(value).quantize(DOLLARS_SCALE)


class CreditsTotal(Coalesce):
    """Sum of `expression` (credits; 0 without rows), exact to the column's 3 decimals.

    As DollarsTotal: SQLite adds decimals as floats, and the sum rounded back to the
    column's scale is the exact figure again; PostgreSQL's numeric sum already is.
    """

    output_field = credits_field()

    def __init__(self, expression="credits", **extra):
        super().__init__(Sum(expression, **extra), Value(CREDITS_ZERO))

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), self._exact]

    @staticmethod
    def _exact(value, expression, connection):
        return None if value is None else Decimal(value).quantize(pricing.CREDIT_SCALE)


class LedgerEntryQuerySet(AppendOnlyQuerySet):
    def for_team(self, team):
        return self.filter(team=team)

    def for_user(self, user):
        return self.filter(user=user)

    def in_period(self, start: dt.datetime | None, end: dt.datetime | None):
        """Entries accrued in [start, end); None leaves that side open."""
        entries = self
        if start is not None:
            entries = entries.filter(accrued_at__gte=start)
        if end is not None:
            entries = entries.filter(accrued_at__lt=end)
        return entries

    def total_credits(self) -> Decimal:
        return self.aggregate(total=CreditsTotal())["total"]

    def totals(self) -> dict:
        """{"credits": Decimal, "dollars": Decimal} over these entries."""
        return self.aggregate(
            credits=CreditsTotal(),
            dollars=DollarsTotal(),
        )

    def spend_by(self, *fields: str, **sums):
        """One row per distinct value of `fields`, with its credits and dollars (and
        `sums`, aggregates of the rows' own columns)."""
        return (
            self.order_by()
            .values(*fields)
            .annotate(
                **sums,
                credits=CreditsTotal(),
                dollars=DollarsTotal(),
            )
        )


class LedgerEntry(AppendOnlyModel):
    """One movement of credits; the ledger is only ever appended to.

    Sign convention: `credits` is what the row adds to the team's spend.
      reserve  +estimate, at submit.
      settle   Kinovi's creditsUsed minus the estimate (0 when they agree), on success:
               reserve + settle = what Kinovi charged. `credits_used` keeps the reported
               figure itself.
      refund   -estimate (the whole reservation), on fail, whatever creditsUsed says.
      adjust   an admin's correction, either sign, with a reason.
    So a generation still in flight counts at its estimate, a finished one at its real
    cost, a failed one at 0, and spend is Sum(credits) over any selection of rows.
    `dollars` is credits x the price version's dollars per credit, signed alike.

    `accrued_at` is the moment a row counts for in budget periods and reports: its own
    time for reserve and adjust, its reservation's for settle and refund, so a video
    submitted on 31 March and settled on 1 April is March's spend.
    """

    class Kind(models.TextChoices):
        RESERVE = "reserve", "Reserved"
        SETTLE = "settle", "Settled"
        REFUND = "refund", "Refunded"
        ADJUST = "adjust", "Adjustment"

    FINAL_KINDS = (Kind.SETTLE, Kind.REFUND)

    kind = models.CharField(max_length=10, choices=Kind.choices)
    team = models.ForeignKey("projects.Team", models.PROTECT, related_name="ledger_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "projects.Project", models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    generation = models.ForeignKey(
        "projects.Generation", models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    price_version = models.ForeignKey(PriceVersion, models.PROTECT, related_name="+")
    model = models.CharField(max_length=40, blank=True)
    credits = credits_field()
    dollars = models.DecimalField(max_digits=14, decimal_places=6)
    # Settle only: the creditsUsed Kinovi reported.
    credits_used = credits_field(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # Adjust only: the admin who made it.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accrued_at = models.DateTimeField(default=timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["generation"],
                condition=Q(kind="reserve"),
                name="ledger_one_reserve_per_generation",
            ),
            # One final row per generation: a second settle, a second refund, or a
            # settle and a refund together all collide here.
            models.UniqueConstraint(
                fields=["generation"],
                condition=Q(kind__in=["settle", "refund"]),
                name="ledger_settled_or_refunded_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="adjust") | Q(generation__isnull=False),
                name="ledger_generation_unless_adjust",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjust") | ~Q(reason=""),
                name="ledger_adjust_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="reserve") | Q(credits__gte=0),
                name="ledger_reserve_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind="refund") | Q(credits__lte=0),
                name="ledger_refund_not_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["reserve", "settle", "refund", "adjust"]),
                name="ledger_kind_known",
            ),
        ]
        indexes = [
            # Every column a report sums or groups by is in the key, so PostgreSQL and
            # SQLite answer a team's month from the index alone (an index-only scan,
            # ~25 % faster than visiting the rows). Key columns, not INCLUDE: SQLite
            # has no INCLUDE, and Django's check would warn about it there.
            models.Index(
                fields=[
                    "team",
                    "accrued_at",
                    "user",
                    "project",
                    "model",
                    "generation",
                    "credits",
                    "dollars",
                ],
                name="ledger_team_accrued",
            ),
            models.Index(fields=["user", "team", "accrued_at"], name="ledger_user_accrued"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {_signed(self.credits)} credits"


PERIOD_ADJECTIVES = {"month": "monthly", "week": "weekly", "day": "daily", "none": "overall"}


class BudgetQuerySet(models.QuerySet):
    def for_team(self, team):
        return self.filter(team=team)

    def applying_to(self, team, user):
        """The team's budget and the member's own, whichever exist."""
        return self.filter(team=team).filter(Q(user__isnull=True) | Q(user=user))


class Budget(models.Model):
    """A hard limit (blocks submissions) and a soft one (warns) on a period's spend.

    `user` set: one member's spend in the team; empty: the whole team's. No budget
    means no limit.
    """

    class Period(models.TextChoices):
        MONTH = "month", "Monthly"
        WEEK = "week", "Weekly"
        DAY = "day", "Daily"
        NONE = "none", "No period (all time)"

    team = models.ForeignKey("projects.Team", models.CASCADE, related_name="budgets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="budgets"
    )
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.MONTH)
    hard_limit = credits_field(help_text="Credits per period.")
    soft_limit_percent = models.PositiveSmallIntegerField(default=80)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BudgetQuerySet.as_manager()

    class Meta:
        ordering = ["team", "user"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                condition=Q(user__isnull=False),
                name="budget_one_per_member",
            ),
            models.UniqueConstraint(
                fields=["team"], condition=Q(user__isnull=True), name="budget_one_per_team"
            ),
            models.CheckConstraint(
                condition=Q(soft_limit_percent__gte=1, soft_limit_percent__lte=100),
                name="budget_soft_limit_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({_c(self.hard_limit)} credits)"

    @property
    def is_team_budget(self) -> bool:
        return self.user_id is None

    @property
    def label(self) -> str:
        period = PERIOD_ADJECTIVES[self.period]
        return f"Team {period} budget" if self.is_team_budget else f"{period.capitalize()} budget"

    @property
    def soft_limit(self) -> Decimal:
        return (Decimal(self.hard_limit) * self.soft_limit_percent / 100).quantize(
            pricing.CREDIT_SCALE
        )

    def period_bounds(self, at: dt.datetime | None = None):
        return period_bounds(self.period, at or timezone.now())

    def entries(self):
        """The ledger rows this budget counts (any period)."""
        entries = LedgerEntry.objects.for_team(self.team_id)
        return entries if self.is_team_budget else entries.for_user(self.user_id)

    def spent(self, at: dt.datetime | None = None) -> Decimal:
        """Credits this budget counts in the period containing `at` (see budget_spend())."""
        entries = self.entries().in_period(*self.period_bounds(at))
        return entries.aggregate(spent=budget_spend())["spent"]


def budget_spend(condition: Q | None = None):
    """What a budget counts of the ledger rows matching `condition`: never less than 0.

    Every video counts its net cost: reserve, settle, refund and the adjustments tied
    to it, all accrued in the period of its reservation, and adjust() never takes a
    video's net below 0, so no video is negative spend. Adjustments not tied to a video
    count by their sum in the period when it is a debit; a net credit counts as 0: it
    lowers the bill (reports show it) but never makes room for more videos than the
    limit. So a budget counts max(adjustments' net, 0) + the videos' net costs.
    """
    condition = condition or Q()
    videos = CreditsTotal(filter=condition & Q(generation__isnull=False))
    other = CreditsTotal(filter=condition & Q(generation__isnull=True))
    return ExactCredits(videos + Greatest(other, Value(CREDITS_ZERO)))


class ExactCredits(ExpressionWrapper):
    """Credits computed from sums, exact to the column's 3 decimals.

    As CreditsTotal, for an expression over several: SQLite hands back the float it
    computed with 15 significant digits (0.00100000000000122 for 0.001), so the figure
    is rounded back to the credits' scale; PostgreSQL's numeric already is exact.
    """

    def __init__(self, expression):
        super().__init__(expression, output_field=credits_field())

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), CreditsTotal._exact]


def period_bounds(period: str, at: dt.datetime, tz: dt.tzinfo | None = None):
    """[start, end) of the calendar day/week/month containing `at`, in the site's time zone.

    Computed from dates, so a new period begins by itself: no job resets anything.
    Weeks start on Monday. "none" is all time: (None, None).
    """
    if period == Budget.Period.NONE:
        return None, None
    tz = tz or ZoneInfo(settings.TIME_ZONE)
    day = at.astimezone(tz).date()
    if period == Budget.Period.DAY:
        start, end = day, day + dt.timedelta(days=1)
    elif period == Budget.Period.WEEK:
        start = day - dt.timedelta(days=day.weekday())
        end = start + dt.timedelta(days=7)
    elif period == Budget.Period.MONTH:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"Unknown budget period {period!r}")
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=tz),
        dt.datetime.combine(end, dt.time(), tzinfo=tz),
    )


class SoftLimitWarning(models.Model):
    """That a budget's soft limit was crossed in the period starting `period_start`.

    Its unique constraint is what makes the email go out once per period, even when
    two submissions cross the limit at the same moment.
    """

    budget = models.ForeignKey(Budget, models.CASCADE, related_name="warnings")
    period_start = models.DateTimeField(default=EPOCH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "period_start"], name="soft_limit_warned_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget} warned for the period from {self.period_start:%Y-%m-%d}"


class AuditEntryQuerySet(AppendOnlyQuerySet):
    def for_team(self, team):
        return self.filter(team=team)


class AuditEntry(AppendOnlyModel):
    """Who changed a budget or a price, adjusted the ledger, or invited, changed or removed
    a member: when, from what, to what, why."""

    class Action(models.TextChoices):
        BUDGET_SET = "budget_set", "Budget set"
        BUDGET_REMOVED = "budget_removed", "Budget removed"
        PRICE_VERSION_ADDED = "price_version_added", "Price version added"
        ADJUSTMENT = "adjustment", "Adjustment"
        DEFAULT_BUDGET_SET = "default_budget_set", "New members' budget set"
        MEMBER_INVITED = "member_invited", "Member invited"
        INVITATION_REVOKED = "invitation_revoked", "Invitation revoked"
        MEMBER_JOINED = "member_joined", "Member joined"
        ROLE_CHANGED = "role_changed", "Role changed"
        MEMBER_REMOVED = "member_removed", "Member removed"
        LIMITS_CHANGED = "limits_changed", "Limits changed"
        # Kinovi's creditsUsed above what was reserved: recorded, counted, and said.
        CHARGED_ABOVE_RESERVATION = "charged_above_reservation", "Charged above the reservation"

    action = models.CharField(max_length=30, choices=Action.choices)
    # Empty for price versions, which apply to every team.
    team = models.ForeignKey(
        "projects.Team", models.CASCADE, null=True, blank=True, related_name="audit_entries"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300)
    old_value = models.CharField(max_length=500, blank=True)
    new_value = models.CharField(max_length=500, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.subject}"


# ---------------------------------------------------------------------------------------
# The API the composer and the worker call. Nothing else writes ledger rows.


class SubmissionRefused(Exception):
    """A submission refused before anything was reserved; str(exc) is the message to show
    (as a form error: the composer answers it with its checks, nothing stored)."""


class BudgetExceeded(SubmissionRefused):
    """A submission would overrun a hard limit; str(exc) is the message to show."""


class PriceRefused(SubmissionRefused, ValueError):
    """A shot the prices in effect cannot price: no price for its (model, resolution)
    (pricing.PriceMissing), a resolution or length its model does not offer, an unknown
    model. str(exc) says which; nothing is reserved."""


class LedgerError(Exception):
    """A ledger write that the ledger's rules forbid (a second settle, a refund after one)."""


@dataclass(frozen=True)
class BudgetStatus:
    """One budget seen from a submission of `credits` (0 when just looking)."""

    budget: Budget
    label: str
    spent: Decimal  # this period, generations in flight included, before the submission
    credits: Decimal
    period_start: dt.datetime | None
    period_end: dt.datetime | None
    # Of `spent`, what videos not finished yet hold: reserved, neither charged nor
    # refunded until they end (an Unknown one until an admin settles it).
    held: Decimal = CREDITS_ZERO

    @property
    def used(self) -> Decimal:
        """What finished videos (and adjustments) used of the budget: spent less held."""
        return self.spent - self.held

    @property
    def in_a_sentence(self) -> str:
        """The label inside a sentence: "your monthly budget", "the team's monthly budget"."""
        if self.budget.is_team_budget:
            return "the team's " + self.label.removeprefix("Team ")
        return self.label[0].lower() + self.label[1:]

    @property
    def hard_limit(self) -> int:
        return self.budget.hard_limit

    @property
    def soft_limit(self) -> int:
        return self.budget.soft_limit

    @property
    def spent_after(self) -> int:
        return self.spent + self.credits

    @property
    def left(self) -> int:
        return max(self.hard_limit - self.spent, 0)

    @property
    def left_after(self) -> int:
        return self.hard_limit - self.spent_after

    @property
    def over_after(self) -> int:
        """Credits past the hard limit after the submission (0 while within it)."""
        return max(self.spent_after - self.hard_limit, 0)

    @property
    def soft_crossed(self) -> bool:
        return self.spent >= self.soft_limit

    @property
    def soft_crossed_after(self) -> bool:
        return self.spent_after >= self.soft_limit

    @property
    def hard_exceeded_after(self) -> bool:
        return self.spent_after > self.hard_limit

    @property
    def hard_reached(self) -> bool:
        return self.spent >= self.hard_limit

    @property
    def resets_on(self) -> dt.date | None:
        """The first day of the next period, in the site's time zone."""
        if self.period_end is None:
            return None
        return self.period_end.date()

    @property
    def last_day(self) -> dt.date | None:
        """The last day of the period, in the site's time zone."""
        if self.period_end is None:
            return None
        return self.period_end.date() - dt.timedelta(days=1)

    def percent(self, credits) -> float:
        """`credits` as a share of the hard limit, for bars (capped at 100): geometry,
        not money, so a float."""
        if self.hard_limit <= 0:
            return 100.0
        return min(100.0, 100.0 * float(max(credits, 0)) / float(self.hard_limit))

    @property
    def spent_percent(self) -> float:
        return self.percent(self.spent)

    @property
    def used_percent(self) -> float:
        return self.percent(self.used)

    @property
    def held_percent(self) -> float:
        return self.spent_percent - self.used_percent

    @property
    def soft_percent(self) -> float:
        return self.percent(self.soft_limit)


@dataclass(frozen=True)
class Quote:
    """What a submission would cost and what it would leave of each budget."""

    credits: Decimal
    dollars: Decimal
    upscale_4k_credits: Decimal
    video_reference_credits: Decimal
    price_version: PriceVersion
    budgets: list[BudgetStatus] = field(default_factory=list)
    blocking_message: str = ""
    # The price in full (resolution, rate, charged seconds): `worst_case` says a
    # reference video's length was unknown, so its cap of charged seconds is counted.
    price: pricing.Price | None = None

    @property
    def worst_case(self) -> bool:
        return bool(self.price and self.price.worst_case)

    @property
    def allowed(self) -> bool:
        return not self.blocking_message


def _budget_label(budget: Budget, viewer) -> str:
    period = PERIOD_ADJECTIVES[budget.period]
    if budget.is_team_budget:
        return f"Team {period} budget"
    if viewer is not None and budget.user_id == viewer.pk:
        return f"Your {period} budget"
    return f"{budget.user.get_username()}'s {period} budget"


# A video not finished yet (Generation.FINISHED_STATES are success and fail; the
# generation module builds on this one): its reservation is held, not spent for good.
FINISHED_STATES = ("success", "fail")
HELD = Q(generation__isnull=False) & ~Q(generation__status__in=FINISHED_STATES)


def spent_by_budget(team, budgets, at) -> dict[int, Decimal]:
    """{budget pk: credits spent in its period containing `at`}, in one query."""
    return {pk: spent for pk, (spent, _) in _budget_sums(team, budgets, at).items()}


def _budget_sums(team, budgets, at, *, held=False) -> dict[int, tuple[Decimal, Decimal]]:
    """{budget pk: (credits spent, of which held by unfinished videos)} in its period
    containing `at`, in one query; held is 0 unless asked for (it joins the videos)."""
    budgets = list(budgets)
    if not budgets:
        return {}
    sums, starts = {}, []
    for budget in budgets:
        start, end = budget.period_bounds(at)
        starts.append(start)
        condition = Q()
        if start is not None:
            condition &= Q(accrued_at__gte=start, accrued_at__lt=end)
        if budget.user_id is not None:
            condition &= Q(user_id=budget.user_id)
        sums[f"budget_{budget.pk}"] = budget_spend(condition)
        if held:
            sums[f"held_{budget.pk}"] = CreditsTotal(filter=condition & HELD)
    entries = LedgerEntry.objects.for_team(team)
    if None not in starts:
        # Only the rows of the longest period can count: let the index skip the rest.
        entries = entries.filter(accrued_at__gte=min(starts))
    if all(budget.user_id is not None for budget in budgets):
        entries = entries.filter(user_id__in=[budget.user_id for budget in budgets])
    totals = entries.aggregate(**sums)
    return {
        budget.pk: (totals[f"budget_{budget.pk}"], totals.get(f"held_{budget.pk}", CREDITS_ZERO))
        for budget in budgets
    }


def budget_statuses(
    team, user, *, credits=CREDITS_ZERO, at=None, budgets=None, held=False
) -> list[BudgetStatus]:
    """Every budget applying to `user` in `team` (member's first), as of `at`: 2 queries.
    With `held`, each also says how much of its spend unfinished videos hold."""
    at = at or timezone.now()
    if budgets is None:
        # Sorted below: no join to order by the team's name.
        budgets = list(Budget.objects.applying_to(team, user).order_by("pk"))
        for budget in budgets:  # the team's (no user) or this member's own
            if budget.user_id is not None:
                Budget.user.field.set_cached_value(budget, user)
    budgets = list(budgets)
    sums = _budget_sums(team, budgets, at, held=held)
    statuses = []
    for budget in budgets:
        start, end = budget.period_bounds(at)
        statuses.append(
            BudgetStatus(
                budget=budget,
                label=_budget_label(budget, user),
                spent=sums[budget.pk][0],
                credits=credits,
                period_start=start,
                period_end=end,
                held=sums[budget.pk][1],
            )
        )
    statuses.sort(key=lambda status: status.budget.is_team_budget)
    return statuses


def _blocking_message(statuses: list[BudgetStatus], credits: Decimal) -> str:
    for status in statuses:
        if not status.hard_exceeded_after:
            continue
        whose = status.in_a_sentence
        resets = f" It starts again on {status.resets_on:%-d %B}." if status.resets_on else ""
        if not status.left:
            # Nothing left: no shorter video would fit either.
            return (
                f"{whose[0].upper()}{whose[1:]} of {_c(status.hard_limit)} credits is used up."
                f"{resets} Ask a team admin to raise it."
            )
        return (
            f"This video costs {_c(credits)} credits, but {whose} has {_c(status.left)} of "
            f"{_c(status.hard_limit)} credits left.{resets} Choose a shorter or faster video, "
            "or ask a team admin to raise the budget."
        )
    return ""


def quote(
    *,
    team,
    user,
    model,
    duration,
    upscale_4k,
    has_video_reference,
    resolution=pricing.catalogue.DEFAULT_RESOLUTION,
    reference_video_seconds=None,
    at=None,
) -> Quote:
    """Price a submission with the version in effect `at` (now) and check its budgets.

    For showing before submitting: it takes no lock, so `reserve()` checks again.
    Raises PriceRefused (a ValueError) when the shot cannot be priced.
    """
    at = at or timezone.now()
    version = PriceVersion.objects.in_effect_known(at)
    cost = _price(
        version,
        model,
        duration,
        upscale_4k,
        resolution=resolution,
        has_video_reference=has_video_reference,
        reference_video_seconds=reference_video_seconds,
    )
    statuses = budget_statuses(team, user, credits=cost.credits, at=at)
    return Quote(
        credits=cost.credits,
        dollars=cost.dollars,
        upscale_4k_credits=cost.upscale_4k_credits,
        video_reference_credits=cost.video_reference_credits,
        price_version=version,
        budgets=statuses,
        blocking_message=_blocking_message(statuses, cost.credits),
        price=cost,
    )


def reference_video_seconds(lengths) -> Decimal | None:
    """The total of reference videos' lengths (seconds, as stored: floats or None), exact:
    summed as the decimals they print as, so 2.1 + 3.2 is 5.3, never 5.300000000000001
    (which a model charging whole reference seconds would round up to 6). None when any
    length is unknown: the price then counts the worst case. What quote() and reserve()
    take as `reference_video_seconds`."""
    lengths = list(lengths)
    if any(length is None for length in lengths):
        return None
    return sum((Decimal(str(length)) for length in lengths), CREDITS_ZERO)


def _price(version: PriceVersion, model, duration, upscale_4k, **shot) -> pricing.Price:
    """pricing.price() with `version`'s rates; PriceRefused for what it cannot price."""
    try:
        return pricing.price(model, duration, upscale_4k, rates=version.rates, **shot)
    except ValueError as problem:
        raise PriceRefused(str(problem)) from problem


def reserve(generation, *, has_video_reference: bool, reference_video_seconds=None) -> LedgerEntry:
    """Reserve a new generation's estimate against its member's and team's budgets.

    Prices with the version in effect now, at the generation's resolution, and writes
    the reserve row, whose `credits` is the estimate (Generation.submit() stores it on
    the generation, with `entry.price.worst_case`: the Price is kept on the returned
    entry, unsaved). `reference_video_seconds` is the reference videos' total length
    (None: unknown, so a model that charges them reserves its worst case). Raises
    PriceRefused when the shot cannot be priced and BudgetExceeded when a hard limit
    would be overrun; either way nothing is written. Call it inside the transaction
    that queues the generation.

    Why concurrent submissions cannot overrun a budget: the budget rows that apply are
    locked (`SELECT ... FOR UPDATE`) before the spend is summed, always in primary-key
    order so two submitters never wait on each other crosswise (no deadlock). A second
    submitter against the same budget blocks on the lock until the first commits or rolls
    back; under PostgreSQL's READ COMMITTED its sum, a new statement run after the lock
    was granted, then sees the first one's reserve row. So each check-and-insert runs
    alone per budget and the limit holds exactly. SQLite ignores FOR UPDATE, but the
    app's transactions there are IMMEDIATE: the first write lock is taken at BEGIN, so
    writers are serialised whole. Without any budget nothing is locked: no limit.
    """
    user = generation.created_by
    if generation.pk is None or user is None:
        raise ValueError("Only a saved generation with its author can reserve credits.")
    project = generation.project
    team = project.team
    with transaction.atomic():
        now = timezone.now()
        version = PriceVersion.objects.in_effect(now)
        cost = _price(
            version,
            generation.model,
            generation.duration,
            generation.upscale_4k,
            resolution=generation.resolution,
            has_video_reference=has_video_reference,
            reference_video_seconds=reference_video_seconds,
        )
        locked = list(
            Budget.objects.applying_to(team, user)
            .select_for_update(of=("self",))
            .select_related("user")
            .order_by("pk")
        )
        statuses = budget_statuses(team, user, credits=cost.credits, at=now, budgets=locked)
        message = _blocking_message(statuses, cost.credits)
        if message:
            raise BudgetExceeded(message)
        entry = LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.RESERVE,
            team=team,
            user=user,
            project=project,
            generation=generation,
            price_version=version,
            model=generation.model,
            credits=cost.credits,
            dollars=cost.dollars,
            created_at=now,
            accrued_at=now,
        )
        _warn_of_soft_limits(statuses, team, user)
    entry.price = cost
    return entry


def _reservation_of(generation) -> LedgerEntry:
    try:
        return LedgerEntry.objects.select_related("price_version").get(
            generation=generation, kind=LedgerEntry.Kind.RESERVE
        )
    except LedgerEntry.DoesNotExist:
        raise LedgerError(f"Generation {generation.pk} has no reservation.") from None


def _close(generation, kind: str, credits: Decimal, **fields) -> LedgerEntry:
    """Write the one final row (settle or refund) of a reserved generation."""
    with transaction.atomic():
        reservation = _reservation_of(generation)
        final = LedgerEntry.objects.filter(generation=generation, kind__in=LedgerEntry.FINAL_KINDS)
        done = final.values_list("kind", flat=True).first()
        if done:
            state = "settled" if done == LedgerEntry.Kind.SETTLE else "refunded"
            raise LedgerError(f"Generation {generation.pk} is already {state}.")
        credits = credits if kind == LedgerEntry.Kind.SETTLE else -reservation.credits
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    kind=kind,
                    team_id=reservation.team_id,
                    user_id=reservation.user_id,
                    project_id=reservation.project_id,
                    generation=generation,
                    price_version=reservation.price_version,
                    model=reservation.model,
                    credits=credits,
                    dollars=pricing.dollars_for(credits, reservation.price_version.rates),
                    created_at=timezone.now(),
                    accrued_at=reservation.accrued_at,
                    **fields,
                )
        except IntegrityError:
            # Another transaction closed it between our check and our insert.
            raise LedgerError(f"Generation {generation.pk} was closed meanwhile.") from None


def settle(generation, credits_used) -> LedgerEntry:
    """Settle a successful generation to Kinovi's creditsUsed.

    The row carries the difference from the estimate (the reservation is never edited)
    and Kinovi's figure in `credits_used`. Raises LedgerError when the generation has no
    reservation or was already settled or refunded.

    Above the reservation (Seedance 2.5 with a reference video charges its reference
    seconds too, after success) the positive difference is spend like any other: the
    budgets count it, though it may take one past its hard limit, since Kinovi has
    charged it already. It is never silent: an audit entry says so, and
    reconciliation lists the video as charged more than reserved.
    """
    credits_used = pricing.to_credits(credits_used)
    if credits_used < 0:
        raise ValueError(f"creditsUsed is never negative, not {credits_used}.")
    with transaction.atomic():
        reservation = _reservation_of(generation)
        entry = _close(
            generation,
            LedgerEntry.Kind.SETTLE,
            credits_used - reservation.credits,
            credits_used=credits_used,
        )
        if entry.credits > 0:
            label = pricing.MODEL_LABELS.get(entry.model, entry.model)
            AuditEntry.objects.create(
                action=AuditEntry.Action.CHARGED_ABOVE_RESERVATION,
                team_id=entry.team_id,
                subject=f"Video {generation.pk} ({label})",
                old_value=f"{_c(reservation.credits)} credits reserved",
                new_value=f"{_c(credits_used)} credits charged, {_signed(entry.credits)} over",
                reason="Kinovi charged more than was reserved; the difference counts against "
                "the budgets.",
            )
    return entry


def refund(generation) -> LedgerEntry:
    """Refund a failed generation's whole reservation, whatever Kinovi's creditsUsed says
    (a failed task still shows the reserved amount). Raises LedgerError like settle()."""
    return _close(generation, LedgerEntry.Kind.REFUND, CREDITS_ZERO)


class AdjustmentRefused(ValueError):
    """An adjustment outside its bounds; str(exc) says which, for the admin."""


# The most one adjustment may add or give back, in credits.
ADJUSTMENT_LIMIT = 100_000


def adjust(*, team, user, credits, reason: str, actor, generation=None) -> LedgerEntry:
    """An admin's correction of `user`'s spend in `team` (positive adds spend), audited.

    Tied to a video (`generation`, finished): it corrects that video's cost, counts in the period
    of its reservation, and may not bring the video's net below 0 (Kinovi never pays us
    for a video). Not tied to one: a debit or credit of the member's spend. Either way
    at most ADJUSTMENT_LIMIT credits. Raises AdjustmentRefused (nothing written) past
    those bounds. Priced with the video's version when it concerns one, else the one
    in effect.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("An adjustment needs a reason.")
    try:
        credits = pricing.to_credits(credits)
    except ValueError:
        raise ValueError("An adjustment is a non-zero number of credits.") from None
    if credits == 0:
        raise ValueError("An adjustment is a non-zero number of credits.")
    if abs(credits) > ADJUSTMENT_LIMIT:
        raise AdjustmentRefused(
            f"An adjustment adds or gives back at most {_c(ADJUSTMENT_LIMIT)} credits."
        )
    now = timezone.now()
    with transaction.atomic():
        accrued_at = now
        if generation is not None:
            # Locked, so two adjustments of one video cannot both pass the check below.
            reservation = (
                LedgerEntry.objects.select_for_update()
                .select_related("price_version")
                .filter(generation=generation, kind=LedgerEntry.Kind.RESERVE)
                .first()
            )
            if reservation is None:
                raise LedgerError(f"Generation {generation.pk} has no reservation.")
            if (reservation.team_id, reservation.user_id) != (team.pk, user.pk):
                raise AdjustmentRefused("A video's adjustment is its own member's, in its team.")
            closed = LedgerEntry.objects.filter(
                generation=generation, kind__in=LedgerEntry.FINAL_KINDS
            ).exists()
            if not closed:
                # Its settle or refund is computed from the reservation alone: an earlier
                # adjustment would be added to it (a credit could take it below 0).
                raise AdjustmentRefused(
                    "A video is adjusted once it has finished: it is still in flight."
                )
            net = LedgerEntry.objects.filter(generation=generation).total_credits()
            if net + credits < 0:
                raise AdjustmentRefused(
                    f"This video costs {_c(net)} credits: an adjustment can give back at most "
                    f"{_c(net)}, never more than the video cost."
                )
            version = reservation.price_version
            project_id = generation.project_id
            accrued_at = reservation.accrued_at
        else:
            version = PriceVersion.objects.in_effect(now)
            project_id = None
        entry = LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.ADJUST,
            team=team,
            user=user,
            project_id=project_id,
            generation=generation,
            price_version=version,
            model=generation.model if generation is not None else "",
            credits=credits,
            dollars=pricing.dollars_for(credits, version.rates),
            reason=reason,
            recorded_by=actor,
            created_at=now,
            accrued_at=accrued_at,
        )
        about = f" (generation {generation.pk})" if generation is not None else ""
        AuditEntry.objects.create(
            action=AuditEntry.Action.ADJUSTMENT,
            team=team,
            actor=actor,
            subject=f"{user.get_username()}'s spend{about}",
            new_value=f"{_signed(credits)} credits",
            reason=reason,
        )
    return entry


def soft_limit_warnings(team, user, statuses: list[BudgetStatus] | None = None) -> list[str]:
    """Banner lines for `user`: every budget of theirs past its soft (or hard) limit.

    Pass `statuses` when the page has them already (budget_statuses(team, user)).
    """
    warnings = []
    if statuses is None:
        statuses = budget_statuses(team, user)
    for status in statuses:
        if not status.soft_crossed:
            continue
        whose = status.in_a_sentence
        resets = f" until {status.resets_on:%-d %B}" if status.resets_on else ""
        if status.hard_reached:
            warnings.append(
                f"{_c(status.spent)} of {_c(status.hard_limit)} credits of {whose} are used: "
                f"new videos are blocked{resets}."
            )
        else:
            warnings.append(
                f"{_c(status.spent)} of {_c(status.hard_limit)} credits of {whose} are used, "
                f"past its {_c(status.soft_limit)}-credit warning mark."
            )
    return warnings


def _warn_of_soft_limits(statuses: list[BudgetStatus], team, user) -> None:
    """Mail the member and the team's admins when this submission crosses a soft limit.

    Once per budget and period: the SoftLimitWarning row is written in the reserving
    transaction, under the budget's lock, and the mail goes only after it commits.
    """
    for status in statuses:
        if not status.soft_crossed_after:
            continue
        _, created = SoftLimitWarning.objects.get_or_create(
            budget=status.budget, period_start=status.period_start or EPOCH
        )
        if created:
            transaction.on_commit(lambda status=status: _mail_soft_limit(status, team, user))


def _mail_soft_limit(status: BudgetStatus, team, user) -> None:
    admins = team.memberships.filter(role="admin").select_related("user")
    recipients = {user.email} | {membership.user.email for membership in admins}
    recipients.discard("")
    # Named for every reader alike: "bob's monthly budget", "the team's monthly budget".
    budget_name = _budget_label(status.budget, None)
    if status.budget.is_team_budget:
        budget_name = "the team's " + budget_name.removeprefix("Team ")
    subject = f"{team.name}: {budget_name} passed its warning mark"
    resets = f"It starts again on {status.resets_on:%-d %B %Y}." if status.resets_on else ""
    body = (
        f"{user.get_username()}'s latest video brings {budget_name} in {team.name} to "
        f"{_c(status.spent_after)} of {_c(status.hard_limit)} credits (warning mark: "
        f"{_c(status.soft_limit)}). Submissions past {_c(status.hard_limit)} credits will be "
        f"refused. {resets}"
    ).strip()
    # Queued for the worker: the submitting request never waits on a mail server.
    queue_mail(subject, body, recipients)


# ---------------------------------------------------------------------------------------
# Changes admins make: each one audited.


def _describe_budget(budget: Budget | None) -> str:
    if budget is None:
        return "none"
    return (
        f"{_c(budget.hard_limit)} credits {budget.get_period_display().lower()}, "
        f"warn at {budget.soft_limit_percent} %"
    )


def set_budget(
    *, team, user, period: str, hard_limit: int, soft_limit_percent: int = 80, actor, reason=""
) -> Budget:
    """Create or change the budget of `user` in `team` (user None: the team's), audited."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().filter(team=team, user=user).first()
        old = _describe_budget(budget)
        if budget is None:
            budget = Budget(team=team, user=user)
        budget.period = period
        budget.hard_limit = hard_limit
        budget.soft_limit_percent = soft_limit_percent
        budget.save()
        AuditEntry.objects.create(
            action=AuditEntry.Action.BUDGET_SET,
            team=team,
            actor=actor,
            subject=_budget_subject(user),
            old_value=old,
            new_value=_describe_budget(budget),
            reason=(reason or "").strip(),
        )
    return budget


def remove_budget(budget: Budget, *, actor, reason="") -> None:
    with transaction.atomic():
        AuditEntry.objects.create(
            action=AuditEntry.Action.BUDGET_REMOVED,
            team=budget.team,
            actor=actor,
            subject=_budget_subject(budget.user),
            old_value=_describe_budget(budget),
            new_value="none",
            reason=(reason or "").strip(),
        )
        budget.delete()


def _describe_default(credits: int | None) -> str:
    return "no limit" if credits is None else f"{_c(credits)} credits monthly"


def set_default_member_budget(team, credits: int | None, *, actor, reason="") -> None:
    """The monthly budget each new member of `team` gets (None: no limit), audited.

    Members already in the team keep the budget they have (or their lack of one).
    """
    with transaction.atomic():
        old = type(team).objects.select_for_update().get(pk=team.pk).default_member_budget
        type(team).objects.filter(pk=team.pk).update(default_member_budget=credits)
        team.default_member_budget = credits
        AuditEntry.objects.create(
            action=AuditEntry.Action.DEFAULT_BUDGET_SET,
            team=team,
            actor=actor,
            subject="Budget of new members",
            old_value=_describe_default(old),
            new_value=_describe_default(credits),
            reason=(reason or "").strip(),
        )


@receiver(post_save, sender="projects.Membership")
def give_new_member_a_budget(sender, instance, created, raw=False, **kwargs):
    """A member joining a team gets its default monthly budget, so that no budget at all
    is a team admin's decision (Team.default_member_budget empty), never an accident."""
    if not created or raw:
        return
    credits = instance.team.default_member_budget
    if credits is None or Budget.objects.filter(team=instance.team, user=instance.user).exists():
        return
    Budget.objects.create(
        team=instance.team, user=instance.user, period=Budget.Period.MONTH, hard_limit=credits
    )
    AuditEntry.objects.create(
        action=AuditEntry.Action.BUDGET_SET,
        team=instance.team,
        subject=_budget_subject(instance.user),
        old_value="none",
        new_value=f"{_c(credits)} credits monthly, warn at 80 %",
        reason="The team's budget for new members",
    )


def _budget_subject(user) -> str:
    return "Team budget" if user is None else f"{user.get_username()}'s budget"


# How far ahead a price version may be scheduled: far enough for any contract, near
# enough that every moment is a date both databases store and read back.
PRICE_VERSION_MAX_AHEAD = dt.timedelta(days=3653)
# Bounds of a price version's numbers, so that the dearest video any catalogue model can
# make (every per-second rate together, at MAX_BILLED_SECONDS) fits LedgerEntry's
# `credits` and `dollars` columns (tests/credits/test_price_bounds.py checks it).
MAX_CREDITS_PER_SECOND = 10_000
MAX_DOLLARS_PER_CREDIT = Decimal(10)
MAX_BILLED_SECONDS = 60


def price_version_problem(rates: pricing.Rates, effective_from: dt.datetime) -> str:
    """Why a version cannot be added ("" when it can): its moment, then its numbers."""
    try:
        moment = effective_from.astimezone(dt.UTC)
        latest = timezone.now() + PRICE_VERSION_MAX_AHEAD
    except (OverflowError, ValueError):
        moment = latest = None
    if moment is None or moment > latest:
        return (
            "Choose a moment within the next 10 years (until "
            f"{timezone.now() + PRICE_VERSION_MAX_AHEAD:%-d %B %Y})."
        )
    if moment <= timezone.now():
        return "Choose a moment in the future: prices never change retroactively."
    if moment < timezone.now() + PRICE_VERSION_MIN_LEAD:
        return (
            "Choose a moment at least 5 minutes from now, so that every server knows the "
            "new prices before they apply."
        )
    if not Decimal(0) < rates.dollars_per_credit <= MAX_DOLLARS_PER_CREDIT:
        return f"A credit costs more than $0 and at most ${MAX_DOLLARS_PER_CREDIT}."
    for model, rate in rates.models.items():
        numbers = [*rate.per_second.values(), *rate.with_reference_video.values()]
        if rate.upscale_4k_credits_per_second is not None:
            numbers.append(rate.upscale_4k_credits_per_second)
        if not all(0 <= number <= MAX_CREDITS_PER_SECOND for number in numbers):
            label = pricing.MODEL_LABELS.get(model, model)
            return f"{label}: each rate is 0 to {_c(MAX_CREDITS_PER_SECOND)} credits a second."
    return ""


def add_price_version(
    rates: pricing.Rates, *, effective_from: dt.datetime, actor, note=""
) -> PriceVersion:
    """Add rates taking effect at `effective_from`, in the future (at most 10 years on).

    Raises ValueError with the reason when price_version_problem() finds one.
    """
    problem = price_version_problem(rates, effective_from)
    if problem:
        raise ValueError(problem)
    with transaction.atomic():
        previous = PriceVersion.objects.in_effect(effective_from)
        version = PriceVersion.from_rates(
            rates, effective_from=effective_from, note=(note or "").strip(), created_by=actor
        )
        version.save()
        old_value, new_value = _describe_change(previous.rates, rates)
        AuditEntry.objects.create(
            action=AuditEntry.Action.PRICE_VERSION_ADDED,
            actor=actor,
            subject=f"Prices from {effective_from:%Y-%m-%d %H:%M %Z}",
            old_value=old_value,
            new_value=new_value,
            reason=version.note,
        )
    return version


def _price_cells(rates: pricing.Rates) -> dict[str, str]:
    """Every number of a version by name: "Seedance 2.0 1080p with a reference video": "108"."""
    cells = {}
    for model, rate in rates.models.items():
        label = pricing.MODEL_LABELS.get(model, model)
        for resolution, per_second in rate.per_second.items():
            name = f"{label} {pricing.catalogue.RESOLUTION_LABELS.get(resolution, resolution)}"
            cells[name] = f"{_c(per_second)}/s"
            cells[f"{name} with a reference video"] = (
                f"{_c(rate.with_reference_video[resolution])}/s"
            )
        if rate.upscale_4k_credits_per_second is not None:
            cells[f"{label} upscale to 4K"] = f"+{_c(rate.upscale_4k_credits_per_second)}/s"
    # normalize(): the same price reads the same from a form (0.005) and the database
    # (0.005000); format "f" keeps 100 from becoming 1E+2.
    cells["A credit"] = f"${format(rates.dollars_per_credit.normalize(), 'f')}"
    return cells


AUDIT_VALUE_MAX = 500


def _describe_change(old: pricing.Rates, new: pricing.Rates) -> tuple[str, str]:
    """(old_value, new_value) for the audit log: only the numbers that change, each named
    ("Seedance 2.5 1080p 143.4/s" → "150/s"); "unchanged" when none does."""
    before, after = _price_cells(old), _price_cells(new)
    names = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    if not names:
        return "unchanged", "unchanged"

    def describe(cells: dict[str, str]) -> str:
        text = "; ".join(f"{name} {cells.get(name, 'no price')}" for name in names)
        return text if len(text) <= AUDIT_VALUE_MAX else text[: AUDIT_VALUE_MAX - 1] + "…"

    return describe(before), describe(after)
