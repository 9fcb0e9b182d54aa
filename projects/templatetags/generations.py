"""Filters of the composer and the generation cards."""

import json
from datetime import datetime
from decimal import Decimal

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from projects.kinovi.catalogue import RESOLUTION_LABELS
from projects.kinovi.pricing import MODEL_LABELS
from projects.templatetags import formats

register = template.Library()


@register.filter
def ratio_class(aspect_ratio: str) -> str:
    """`16:9` as the class that gives an element that shape: `ratio-16x9` (app.css has one
    per aspect ratio; a style attribute would need 'unsafe-inline')."""
    return "ratio-" + (aspect_ratio or "16:9").replace(":", "x")


@register.filter
def ordinal_place(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@register.filter
def model_label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


@register.filter
def resolution_label(resolution: str) -> str:
    """`720p`, `4K (native)`: how the composer and the cards name a resolution."""
    return RESOLUTION_LABELS.get(resolution, resolution or "")


@register.filter
def dollars(credits, dollars_per_credit) -> str:
    """`$1.00` for 200 credits at $0.005 (see formats.dollars for the half cent)."""
    if credits in (None, "") or dollars_per_credit in (None, ""):
        return ""
    return formats.dollars(Decimal(credits) * Decimal(dollars_per_credit))


@register.filter
def money(amount) -> str:
    """`$1,234.56`, as formats.dollars writes every amount."""
    return formats.dollars(amount)


def _seconds_between(start: datetime | None, end: datetime | None) -> int:
    if start is None:
        return 0
    return max(0, int(((end or timezone.now()) - start).total_seconds()))


@register.filter
def elapsed(generation) -> str:
    """Time since submission (until completion once finished): `42 s`, `2 min 05 s`."""
    start = generation.submitted_at or generation.created_at
    seconds = _seconds_between(start, generation.completed_at)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


@register.filter
def as_json(value) -> str:
    """JSON for an HTML attribute; autoescaping then makes its quotes safe there."""
    return json.dumps(value, cls=DjangoJSONEncoder)
