"""The 400, 403, 404, 500 and 503 pages: pages of the app, with the reason and a way back."""

import re
import sys

from django.apps import apps
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, reverse

from projects.context_processors import section_list_url

# get_object_or_404 says "No ReferenceAsset matches the given query."
_NO_MATCH = re.compile(r"^No (\w+) matches the given query\.$")


def _not_found_reason(exception) -> str:
    if isinstance(exception, Resolver404) or not exception or not exception.args:
        return "There is no page at this address."
    message = str(exception.args[0])
    match = _NO_MATCH.match(message)
    if match:
        names = {m._meta.object_name: m._meta.verbose_name for m in apps.get_models()}
        thing = names.get(match.group(1), "page")
        return f"This {thing} does not exist, or it is not yours to see."
    return message


def _render(request, status: int, title: str, reason: str) -> HttpResponse:
    back_url = section_list_url(request)
    context = {
        "code": status,
        "title": title,
        "reason": reason,
        "back_url": back_url,
        "back_label": "Back to the list" if back_url != reverse("project_list") else None,
    }
    return render(request, "error.html", context, status=status)


def bad_request(request, exception):
    return _render(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request, exception):
    reason = str(exception) if exception and exception.args else ""
    return _render(request, 403, "Not allowed", reason or "You are not allowed to do this here.")


def page_not_found(request, exception):
    return _render(request, 404, "Not found", _not_found_reason(exception))


# What a lost or refused database connection raises (a restart, a failover).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 5


def _render_without_request(status: int, title: str, reason: str) -> HttpResponse:
    # No request in the context: no context processors, no query, nothing
    # that may be what just failed.
    html = loader.get_template("error.html").render(
        {"code": status, "title": title, "reason": reason}
    )
    return HttpResponse(html, status=status)


def database_unavailable(request) -> HttpResponse:
    """503 while the database can't be reached: it comes back by itself."""
    response = _render_without_request(
        503,
        "The database is restarting",
        "The database is restarting. Try again in a moment.",
    )
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return database_unavailable(request)
    return _render_without_request(
        500,
        "Something went wrong",
        "The server failed to answer. It has been logged; try again in a moment.",
    )
