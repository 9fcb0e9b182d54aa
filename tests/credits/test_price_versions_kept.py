"""A web process keeps the price versions it read for a minute (for showing prices),
and a new version takes effect at least 5 minutes after it is added, so a kept list
never misses a version in effect. Reservations always ask the database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.kinovi.pricing import SEED_RATES, SHIPPED_RATES, Rates
from projects.models import PriceVersion
from projects.models.credits import (
    PRICE_VERSION_MIN_LEAD,
    PRICE_VERSIONS_KEPT,
    add_price_version,
    known_price_versions,
    price_version_problem,
    quote,
)

pytestmark = pytest.mark.django_db


def _dearer() -> Rates:
    return Rates(Decimal("0.009"), SHIPPED_RATES.models)


def _added_elsewhere(moment) -> None:
    """A version written by another process: this one's save() never ran."""
    PriceVersion.objects.bulk_create(
        [
            PriceVersion(
                effective_from=moment,
                dollars_per_credit=Decimal("0.009"),
                model_rates=SHIPPED_RATES.to_json()["models"],
            )
        ]
    )


def test_the_lead_is_longer_than_what_a_process_keeps():
    assert PRICE_VERSION_MIN_LEAD > PRICE_VERSIONS_KEPT


def test_a_version_starting_within_5_minutes_is_refused(alice):
    soon = timezone.now() + dt.timedelta(minutes=4)
    assert "at least 5 minutes from now" in price_version_problem(SEED_RATES, soon)
    with pytest.raises(ValueError, match="at least 5 minutes"):
        add_price_version(_dearer(), effective_from=soon, actor=alice)
    later = timezone.now() + dt.timedelta(minutes=6)
    assert price_version_problem(SEED_RATES, later) == ""


def test_the_versions_are_read_once_a_minute(clock):
    now = timezone.now()
    clock(now)
    known_price_versions()
    with CaptureQueriesContext(connection) as queries:
        known_price_versions()
    assert len(queries) == 0
    clock(now + PRICE_VERSIONS_KEPT)
    with CaptureQueriesContext(connection) as queries:
        known_price_versions()
    assert len(queries) == 1


def test_a_kept_list_knows_a_version_added_elsewhere_once_it_is_read_again(team, alice, clock):
    now = timezone.now()
    clock(now)
    before = quote(
        team=team, user=alice, model="seedance-20", duration=5, upscale_4k=False,
        has_video_reference=False,
    )  # fmt: skip
    # Another process adds a version, as early as it may take effect.
    takes_effect = now + PRICE_VERSION_MIN_LEAD
    _added_elsewhere(takes_effect)
    # Until then this process's list is read again (a minute at most), and the new
    # version is in it before it applies.
    clock(now + PRICE_VERSIONS_KEPT)
    assert takes_effect in [version.effective_from for version in known_price_versions()]
    clock(takes_effect)
    after = quote(
        team=team, user=alice, model="seedance-20", duration=5, upscale_4k=False,
        has_video_reference=False,
    )  # fmt: skip
    assert before.dollars != after.dollars
    assert after.price_version.effective_from == takes_effect
    assert after.dollars == after.credits * Decimal("0.009")


def test_a_version_added_in_this_process_is_known_at_once(alice, clock):
    now = timezone.now()
    clock(now)
    known_price_versions()
    moment = now + dt.timedelta(hours=1)
    add_price_version(_dearer(), effective_from=moment, actor=alice)
    assert moment in [version.effective_from for version in known_price_versions()]
