"""One URL answers a page or, to an HTMX swap, a part of it (STYLE.md: every `hx-get`
URL also works as a full page). Views of every domain read both from here."""

from django.views.decorators.vary import vary_on_headers

# Caches must keep the page and the part apart.
vary_on_htmx = vary_on_headers("HX-Request")


def partial_request(request) -> bool:
    """An HTMX swap, as opposed to a page load (a history restore wants the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request
