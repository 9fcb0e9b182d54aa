from django.conf import settings
from django.urls import reverse

from projects.models import Generation, KinoviAlert, WorkerHeartbeat

# Which main-navigation section a view belongs to, by the module it lives in,
# so that a new page is highlighted without its view saying so.
NAV_BY_VIEW_MODULE = {
    "projects.views.projects": "projects",
    "projects.views.generations": "projects",
    "projects.views.library": "library",
    "projects.views.credits": "spend",
    "projects.views.review": "projects",
}
# The list a page of each section falls back to when the user switches team:
# the object it shows belongs to the other team.
LIST_BY_URL_NAME_PREFIX = {
    "character": "character_list",
    "asset": "library",
    "project": "project_list",
    "generation": "project_list",
}


def current_team(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_team": getattr(request, "team", None),
        "current_membership": getattr(request, "membership", None),
        # CurrentTeamMiddleware's list; a request it did not see asks the database.
        "user_memberships": request.memberships
        if hasattr(request, "memberships")
        else list(user.memberships.select_related("team")),
    }


def navigation(request):
    """`nav`: the section of the main navigation the page belongs to, and
    `team_switch_next`: where switching team leads from this page."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return {}
    return {
        "nav": NAV_BY_VIEW_MODULE.get(getattr(match.func, "__module__", ""), ""),
        "team_switch_next": request.get_full_path()
        if not match.kwargs
        else section_list_url(request),
    }


def section_list_url(request) -> str:
    """The list of the page's section (the object it shows may be another
    team's, or gone); the projects for a page outside every section."""
    match = getattr(request, "resolver_match", None)
    prefix = (match.url_name or "").split("_", 1)[0] if match else ""
    return reverse(LIST_BY_URL_NAME_PREFIX.get(prefix, "project_list"))


def kinovi_alerts(request):
    """For staff: `kinovi_alerts`, the open Kinovi account problems (401/402/403), and
    `unknown_generations`, how many videos wait for someone to decide their fate, and
    `workers_missing`: videos are queued and no worker beat for a minute.

    The site's admins (who hold the Kinovi key) see them on every page until they are
    resolved in the admin (an alert also ends when Kinovi next accepts a task). Nobody
    else pays the queries.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    return {
        "kinovi_alerts": KinoviAlert.objects.open(),
        "unknown_generations": Generation.objects.filter(status=Generation.Status.UNKNOWN).count,
        # Called by the template only: one query, on staff pages alone.
        "workers_missing": WorkerHeartbeat.objects.missing_while_queued,
    }


def single_sign_on(request):
    """`sso_provider`: the provider's name on the "Sign in with" button, when it is on."""
    return {"sso_provider": settings.OIDC_PROVIDER_NAME if settings.OIDC_ENABLED else ""}
