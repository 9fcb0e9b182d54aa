from django.urls import include, path

from projects.views import projects, teams

urlpatterns = [
    path("", projects.project_list, name="project_list"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path("teams/switch/", teams.switch_team, name="switch_team"),
    path("library/", include("projects.urls_library")),
]
