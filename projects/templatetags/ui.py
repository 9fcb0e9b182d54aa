"""Small display filters shared by the templates."""

from django import template

from projects.templatetags import formats

register = template.Library()


@register.filter
def ago(value) -> str:
    """“just now” for the last minute, “5 minutes ago” after (see formats.ago)."""
    return formats.ago(value)
