"""Display filters of the credits pages: numbers of credits, model and status names."""

from django import template
from django.utils.html import format_html

from projects.kinovi import pricing
from projects.models import Generation
from projects.models.credits import EPOCH
from projects.models.generation import failure_sentence
from projects.templatetags import formats

register = template.Library()
STATUS_LABELS = dict(Generation.Status.choices)


@register.filter
def credits(value) -> str:
    """Credits with thousands separators: 12,345, 85.68 and -50 (see formats.credits)."""
    return formats.credits(value)


@register.filter
def plain_credits(value) -> str:
    """Credits for a data attribute: 1250 · 85.68, no separators."""
    return pricing.plain_credits(value)


@register.filter
def model_label(value) -> str:
    """Standard, Fast: the name a model has on the pricing page."""
    return pricing.MODEL_LABELS.get(value, value or "")


@register.filter
def status_label(value) -> str:
    """Done, Failed, Generating: a generation status as the rest of the app names it."""
    return STATUS_LABELS.get(value, value or "")


@register.filter
def failure_words(message, code) -> str:
    """A failed video's reason as its author reads it (Generation.failure_sentence)."""
    return failure_sentence(code, message)


@register.filter
def status_badge(value) -> str:
    """A generation status as the badge every page shows it in: Done, Failed, Unknown."""
    return format_html('<span class="status status-{}">{}</span>', value or "", status_label(value))


@register.filter
def prices_from(moment) -> str:
    """When a price version takes effect; the seed's, dated the epoch, is "From the start"."""
    if moment == EPOCH:
        return "From the start"
    return formats.moment(moment)


@register.filter
def plain_decimal(value) -> str:
    """0.005 rather than 0.005000: a price as exact as stored, without trailing zeros."""
    return formats.dollar_rate(value).removeprefix("$")
