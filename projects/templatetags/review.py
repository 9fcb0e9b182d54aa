from django import template

from projects.models.review import State

register = template.Library()


@register.filter
def state_label(value: str) -> str:
    """A verdict's words: "selected" -> "Selected"."""
    return State(value).label if value in State.values else ""


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
