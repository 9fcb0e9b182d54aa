"""Small display filters shared by the templates."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from projects.templatetags import formats

register = template.Library()


@register.filter
def ago(value) -> str:
    """“just now” for the last minute, “5 minutes ago” after (see formats.ago)."""
    return formats.ago(value)


# A cut name keeps its end in view: that is where look-alike file names
# (mira_portrait_take_01 … _09) differ. The end starts at a separator, so it is whole
# words ("_take_01"), at least TAIL_MIN characters and at most TAIL_MAX; without a
# separator there, the last NAME_TAIL characters.
NAME_TAIL = 10
TAIL_MIN, TAIL_MAX = 6, 18
SEPARATORS = re.compile(r"[_\-. ]")


@register.filter
def name_parts(name) -> tuple[str, str]:
    """("mira_reference_portrait_studio_lighting", "_take_01"): the part that may be
    cut and the end that stays in view; a short name is all head."""
    name = str(name or "")
    if len(name) <= NAME_TAIL * 2:
        return name, ""
    for match in reversed(list(SEPARATORS.finditer(name, len(name) - TAIL_MAX))):
        if len(name) - match.start() >= TAIL_MIN:
            return name[: match.start()], name[match.start() :]
    return name[:-NAME_TAIL], name[-NAME_TAIL:]


@register.filter
def soft_breaks(name) -> str:
    """The name, escaped, with a line-break opportunity after each _ - . and /: a long file
    name wraps between its parts instead of in the middle of a word."""
    text = conditional_escape(str(name or ""))
    return mark_safe(re.sub(r"([_\-./])(?=\S)", r"\1<wbr>", text))
