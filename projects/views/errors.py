"""The 400, 403, 404 and 500 pages: pages of the app, with the reason and a way back."""

import re

from django.apps import apps
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


def server_error(request):
    # No request in the context: no context processors, no query, nothing
    # that may be what just failed.
    html = loader.get_template("error.html").render(
        {
            "code": 500,
            "title": "Something went wrong",
            "reason": "The server failed to answer. It has been logged; try again in a moment.",
        }
    )
    return HttpResponse(html, status=500)
