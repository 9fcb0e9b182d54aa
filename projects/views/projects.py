from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render

from projects.decorators import team_required
from projects.forms.projects import ProjectForm
from projects.models import Project


def _get_project_for_user(request, project_id: int) -> Project:
    """The project if it belongs to the user's current team; 404 otherwise."""
    return get_object_or_404(Project.objects.for_team(request.team), pk=project_id)


@team_required
def project_list(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        project = form.save(commit=False)
        project.team = request.team
        project.created_by = request.user
        project.save()
        messages.success(request, f"Project “{project.name}” created.")
        return redirect("project_detail", project.pk)
    projects = (
        Project.objects.for_team(request.team)
        .select_related("created_by")
        .annotate(num_generations=Count("generations"))
    )
    return render(request, "projects/project_list.html", {"projects": projects, "form": form})


@team_required
def project_detail(request, project_id: int):
    project = _get_project_for_user(request, project_id)
    generations = project.generations.select_related("created_by")
    return render(
        request,
        "projects/project_detail.html",
        {"project": project, "generations": generations},
    )
