from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.decorators import VIEWERS_CANNOT, team_required
from projects.forms.projects import ProjectForm, ProjectSettingsForm
from projects.models import Budget, Generation, LedgerEntry, Project
from projects.models.credits import HELD, CreditsTotal, DollarsTotal, period_bounds


def _get_project_for_user(request, project_id: int) -> Project:
    """The user's own project in their current team; 404 for anyone else, admins too."""
    _check_id(project_id)
    return get_object_or_404(Project.objects.for_user(request.user, request.team), pk=project_id)


def _check_id(pk: int) -> None:
    # No row has an id past 64 bits, and SQLite can't even compare one: 404, not 500.
    if not 0 < pk < 2**63:
        raise Http404("No such id.")


@team_required
def project_list(request):
    if request.method == "POST" and not request.membership.can_contribute:
        raise PermissionDenied(VIEWERS_CANNOT)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.team = request.team
        project.owner = request.user
        project.save()
        messages.success(request, f"Project “{project.name}” created.")
        return redirect("project_detail", project.pk)
    projects = list(
        Project.objects.for_user(request.user, request.team).annotate(
            num_generations=Count("generations")
        )
    )
    _add_posters_and_spend(projects)
    return render(
        request,
        "projects/project_list.html",
        {
            "projects": [project for project in projects if not project.is_archived],
            "archived_projects": [project for project in projects if project.is_archived],
            "form": form,
        },
    )


def _add_posters_and_spend(projects: list[Project]) -> None:
    """Each project's newest posters (`posters`) and this month's spend (`month_spend`,
    credits and dollars): one query each, however many projects there are."""
    ids = [project.pk for project in projects]
    if not ids:
        return
    posters = Generation.objects.filter(project_id__in=ids).latest_posters()
    start, end = period_bounds(Budget.Period.MONTH, timezone.now())
    # What unfinished videos hold is counted apart: reserved, not used (yet).
    spend = {
        row["project"]: {
            "credits": row["credits"] - row["held"],
            "dollars": row["dollars"] - row["held_dollars"],
            "held": row["held"],
        }
        for row in LedgerEntry.objects.filter(project_id__in=ids)
        .in_period(start, end)
        .spend_by("project", held=CreditsTotal(filter=HELD), held_dollars=DollarsTotal(filter=HELD))
    }
    for project in projects:
        project.posters = posters.get(project.pk, [])
        project.month_spend = spend.get(project.pk, {"credits": 0, "dollars": 0, "held": 0})


@team_required
def project_settings(request, project_id: int):
    project = _get_project_for_user(request, project_id)
    form = ProjectSettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Settings of “{project.name}” saved.")
        return redirect("project_detail", project.pk)
    return render(request, "projects/project_settings.html", {"project": project, "form": form})


@require_POST
@team_required
def project_archive(request, project_id: int):
    project = _get_project_for_user(request, project_id)
    project.archive()
    messages.success(
        request, f"“{project.name}” archived. Its videos and spend are kept; restore it any time."
    )
    return redirect("project_list")


@require_POST
@team_required
def project_unarchive(request, project_id: int):
    project = _get_project_for_user(request, project_id)
    project.unarchive()
    messages.success(request, f"“{project.name}” restored.")
    return redirect("project_detail", project.pk)
