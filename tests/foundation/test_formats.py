"""One format per fact: the filters of projects/templatetags/formats.py, and templates
that use them rather than formatting numbers and dates their own way."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import timezone

from projects.templatetags import credits as credits_filters
from projects.templatetags import formats, ui
from projects.templatetags import generations as generation_filters

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1234, "1,234"),
        (Decimal("85.68"), "85.68"),
        (-240, "-240"),
        (Decimal("1234567.500"), "1,234,567.5"),
        (Decimal("0.0005"), "0.001"),
        (Decimal("12.3456"), "12.346"),
        (Decimal("-0.0001"), "0"),
        (0, "0"),
        ("", ""),
        (None, ""),
    ],
)
def test_it_writes_credits_with_separators_and_at_most_three_decimals(value, shown):
    assert formats.credits(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.56"), "$1,234.56"),
        (Decimal("1"), "$1.00"),
        (Decimal("0.145"), "$0.15"),
        (Decimal("0.125"), "$0.13"),
        (Decimal("-2.5"), "-$2.50"),
        (Decimal("-0.145"), "-$0.15"),
        (Decimal("1000000"), "$1,000,000.00"),
        (None, ""),
    ],
)
def test_it_writes_dollars_with_two_decimals_and_rounds_a_half_cent_up(value, shown):
    assert formats.dollars(value) == shown


def test_it_writes_a_rate_as_exact_as_stored():
    assert formats.dollar_rate(Decimal("0.005000")) == "$0.005"
    assert formats.dollar_rate(Decimal("0.0125")) == "$0.0125"


@pytest.mark.parametrize(
    ("value", "shown"),
    [(5, "5 s"), (Decimal("4.50"), "4.5 s"), (1.04, "1 s"), (1200, "1,200 s"), (None, "")],
)
def test_it_writes_a_length_in_seconds(value, shown):
    assert formats.seconds(value) == shown


def test_it_writes_one_format_per_kind_of_date(settings):
    settings.TIME_ZONE = "Europe/Paris"
    moment = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    with timezone.override("Europe/Paris"):
        assert formats.day(date(2026, 12, 2)) == "2 Dec 2026"
        # A moment and its day are told in local time: past midnight in Paris.
        assert formats.moment(moment) == "2 Dec 2026, 00:30"
        assert formats.day(moment) == "2 Dec 2026"
    assert formats.ago(timezone.now() - timedelta(seconds=20)) == "just now"
    assert formats.ago(timezone.now() - timedelta(minutes=5, seconds=3)) == "5\xa0minutes ago"
    assert formats.moment(None) == formats.day(None) == formats.ago(None) == ""


def test_the_older_filters_write_what_formats_writes():
    assert credits_filters.credits(Decimal("85.680")) == "85.68"
    assert credits_filters.credits(12345) == "12,345"
    assert generation_filters.money(Decimal("1234.5")) == "$1,234.50"
    assert generation_filters.dollars(29, Decimal("0.005")) == "$0.15"
    assert ui.ago(timezone.now() - timedelta(hours=3)) == "3\xa0hours ago"
    assert credits_filters.plain_decimal(Decimal("0.005000")) == "0.005"


def test_a_template_loads_them_as_formats():
    html = Template(
        "{% load formats %}{{ c|credits }} {{ d|dollars }} {{ s|seconds }} {{ day|day }}"
    ).render(Context({"c": 1234, "d": Decimal("6.25"), "s": 5, "day": date(2026, 10, 1)}))
    assert html == "1,234 $6.25 5 s 1 Oct 2026"


# Templates of the library, credits pages and site frame write numbers and dates through
# the filters above only: no dollar sign before a value, no ad-hoc date or number format.
OWNED = [
    *sorted((ROOT / "projects/templates/projects/credits").glob("*.html")),
    *sorted((ROOT / "projects/templates/projects/library").glob("*.html")),
    ROOT / "projects/templates/projects/project_settings.html",
    ROOT / "projects/templates/projects/kinovi_alerts.html",
    *sorted((ROOT / "templates").rglob("*.html")),
]
AD_HOC = [
    (re.compile(r"\$\{\{"), "a dollar sign written before a value"),
    (re.compile(r"\|timesince"), "timesince instead of |ago"),
    (re.compile(r"\|date:(?!['\"]Y-m-d['\"])"), "a date format other than an input's value"),
    (re.compile(r"\|floatformat(?!:'2u')"), "floatformat on a number shown to people"),
    (re.compile(r"the seed's", re.IGNORECASE), "an internal word"),
]


@pytest.mark.parametrize("path", OWNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_templates_format_through_the_filters(path):
    text = path.read_text()
    found = [
        f"{why}: {match.group(0)!r}" for pattern, why in AD_HOC for match in pattern.finditer(text)
    ]
    assert found == []


# Every template writes a date through formats (day, moment, ago; iso and input_date for
# machines).
EVERY_TEMPLATE = sorted(
    path
    for folder in ("projects/templates", "templates")
    for pattern in ("*.html", "*.txt")
    for path in (ROOT / folder).rglob(pattern)
)
RAW_DATES = re.compile(r"\|\s*(date|time|timesince|timeuntil|naturaltime|naturalday)\b")


@pytest.mark.parametrize("path", EVERY_TEMPLATE, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_template_writes_dates_through_the_formats_filters(path):
    found = [match.group(0) for match in RAW_DATES.finditer(path.read_text())]
    assert found == [], f"{path.name}: use formats' day, moment, ago, iso or input_date"


def test_the_machine_formats_of_a_date():
    moment = datetime(2026, 12, 2, 14, 5, tzinfo=UTC)
    assert formats.iso(moment) == "2026-12-02T14:05:00+00:00"
    assert formats.input_date(date(2026, 12, 2)) == "2026-12-02"
    assert formats.input_date(None) == ""


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        # Look-alikes keep a whole-word end in view: where they differ.
        (
            "mira_reference_portrait_studio_lighting_take_01",
            ("mira_reference_portrait_studio_lighting", "_take_01"),
        ),
        ("storm_theme_strings_final_v12", ("storm_theme_strings", "_final_v12")),
        # No separator near the end: its last ten characters.
        ("abcdefghijklmnopqrstuvwxyz0123", ("abcdefghijklmnopqrst", "uvwxyz0123")),
        # Short names are never cut.
        ("harbour at dawn", ("harbour at dawn", "")),
    ],
)
def test_a_long_name_is_cut_before_its_last_words(name, parts):
    assert ui.name_parts(name) == parts
