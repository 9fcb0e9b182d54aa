"""One format per fact, used by every template: credits, dollars, a length, dates.

- credits: "1,234", "85.68", "-240" (thousands separator always, at most 3 decimals,
  trailing zeros trimmed).
- dollars: "$1,234.56", "-$2.50" (always two decimals; a half cent rounds half up,
  away from zero: $0.145 shows as $0.15).
- dollar_rate: a price per unit as exact as stored, "$0.005".
- seconds: a length, "5 s", "4.5 s" (at most one decimal).
- day: "2 Dec 2026"; moment: "2 Dec 2026, 14:05" (local time); ago: "just now",
  "5 minutes ago".
- For machines, not people: iso for a <time datetime>, input_date for an
  <input type="date"> (the browser shows it in the user's locale).
Templates use these, never Django's |date, |time or |timesince (a test checks).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince

register = template.Library()

DAY_FORMAT = "j M Y"
MOMENT_FORMAT = "j M Y, H:i"
CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
TENTH = Decimal("0.1")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _trimmed(amount: Decimal, places: Decimal) -> str:
    """`amount` rounded to `places`, grouped by thousands, without trailing zeros."""
    text = f"{amount.quantize(places, rounding=ROUND_HALF_UP):,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@register.filter
def credits(value) -> str:
    """A number of credits: 1,234 · 85.68 · -240 (at most 3 decimals, zeros trimmed)."""
    amount = _decimal(value)
    return "" if amount is None else _trimmed(amount, THOUSANDTH)


@register.filter
def dollars(value) -> str:
    """An amount of money: $1,234.56 · -$2.50; a half cent rounds up ($0.145 → $0.15)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


@register.filter
def dollar_rate(value) -> str:
    """A price per credit or per second, as exact as stored: $0.005, $0.0125."""
    amount = _decimal(value)
    if amount is None:
        return ""
    return f"${amount.normalize():,f}"


@register.filter
def seconds(value) -> str:
    """A length: 5 s, 4.5 s, 1,200 s."""
    amount = _decimal(value)
    return "" if amount is None else f"{_trimmed(amount, TENTH)} s"


@register.filter
def day(value) -> str:
    """A calendar day: 2 Dec 2026."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    elif not isinstance(value, date):
        return ""
    return date_format(value, DAY_FORMAT)


@register.filter
def moment(value) -> str:
    """A point in time, in local time: 2 Dec 2026, 14:05."""
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, MOMENT_FORMAT)


@register.filter
def iso(value) -> str:
    """A moment for a machine (a <time datetime> attribute): 2026-12-02T14:05:00+00:00."""
    if not isinstance(value, datetime):
        return ""
    return value.isoformat()


@register.filter
def input_date(value) -> str:
    """A day as an <input type="date"> takes it: 2026-12-02."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, date):
        return ""
    return value.isoformat()


@register.filter
def ago(value) -> str:
    """“just now” for the last minute, “5 minutes ago” after: never “0 minutes ago”."""
    if not isinstance(value, datetime):
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value, depth=1)} ago"
