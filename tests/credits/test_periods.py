"""Budget periods come from dates in the site's time zone; nothing resets them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from projects.models.credits import BudgetExceeded, period_bounds, reserve, set_budget

UTC = dt.UTC


def _local(tz, *args):
    return dt.datetime(*args, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize(
    ("tz", "at", "start", "end"),
    [
        ("UTC", dt.datetime(2026, 1, 31, 23, 59, tzinfo=UTC), (2026, 1, 1), (2026, 2, 1)),
        ("UTC", dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC), (2026, 12, 1), (2027, 1, 1)),
        # 16:00 UTC on 31 January is already 1 February in Tokyo.
        ("Asia/Tokyo", dt.datetime(2026, 1, 31, 16, 0, tzinfo=UTC), (2026, 2, 1), (2026, 3, 1)),
        # 05:00 UTC on 1 March 2028 is still 29 February (a leap year) in Los Angeles.
        (
            "America/Los_Angeles",
            dt.datetime(2028, 3, 1, 5, 0, tzinfo=UTC),
            (2028, 2, 1),
            (2028, 3, 1),
        ),
        (
            "Europe/Berlin",
            dt.datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
            (2026, 11, 1),
            (2026, 12, 1),
        ),
    ],
)
def test_a_month_is_the_calendar_month_of_the_site(settings, tz, at, start, end):
    settings.TIME_ZONE = tz
    assert period_bounds("month", at) == (_local(tz, *start), _local(tz, *end))


def test_a_week_starts_on_monday(settings):
    settings.TIME_ZONE = "UTC"
    sunday = dt.datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert period_bounds("week", sunday) == (
        dt.datetime(2026, 11, 23, tzinfo=ZoneInfo("UTC")),
        dt.datetime(2026, 11, 30, tzinfo=ZoneInfo("UTC")),
    )


def test_a_day_across_a_clock_change_is_23_hours(settings):
    settings.TIME_ZONE = "America/New_York"
    start, end = period_bounds("day", dt.datetime(2026, 3, 8, 12, 0, tzinfo=UTC))
    assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=23)
    assert start == _local("America/New_York", 2026, 3, 8)


def test_no_period_is_all_time():
    assert period_bounds("none", dt.datetime(2026, 1, 1, tzinfo=UTC)) == (None, None)


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_a_monthly_budget_starts_again_at_local_midnight_on_the_first(
    settings, clock, make_generation, team, alice, bob, tz
):
    settings.TIME_ZONE = tz
    set_budget(team=team, user=bob, period="month", hard_limit=200, actor=alice)
    last_minute = _local(tz, 2026, 1, 31, 23, 59)
    clock(last_minute)
    reserve(make_generation(), has_video_reference=False)
    with pytest.raises(BudgetExceeded, match="It starts again on 1 February"):
        reserve(make_generation(), has_video_reference=False)
    clock(_local(tz, 2026, 2, 1, 0, 0))
    reserve(make_generation(), has_video_reference=False)


def test_a_settlement_after_the_month_counts_for_the_month_of_submission(
    settings, clock, make_generation, team, alice, bob
):
    from projects.models import Budget
    from projects.models.credits import settle

    settings.TIME_ZONE = "UTC"
    set_budget(team=team, user=bob, period="month", hard_limit=1000, actor=alice)
    clock(dt.datetime(2026, 3, 31, 23, 58, tzinfo=UTC))
    generation = make_generation()
    reserve(generation, has_video_reference=False)
    clock(dt.datetime(2026, 4, 1, 0, 5, tzinfo=UTC))
    settle(generation, 260)
    budget = Budget.objects.get()
    assert budget.spent(dt.datetime(2026, 3, 15, tzinfo=UTC)) == 260
    assert budget.spent(dt.datetime(2026, 4, 15, tzinfo=UTC)) == 0
