from django.urls import include, path

from projects.views import generations, projects, teams, webhooks

urlpatterns = [
    path("", projects.project_list, name="project_list"),
    path("projects/<id:project_id>/", generations.project_detail, name="project_detail"),
    path(
        "projects/<id:project_id>/compose/check/",
        generations.composer_check,
        name="composer_check",
    ),
    path(
        "projects/<id:project_id>/compose/",
        generations.generation_submit,
        name="generation_submit",
    ),
    path(
        "projects/<id:project_id>/compose/references/",
        generations.composer_picker,
        name="composer_picker",
    ),
    path("videos/<id:generation_id>/", generations.generation_detail, name="generation_detail"),
    path("videos/<id:generation_id>/rerun/", generations.generation_rerun, name="generation_rerun"),
    path(
        "videos/<id:generation_id>/continue/",
        generations.generation_continue,
        name="generation_continue",
    ),
    path(
        "videos/<id:generation_id>/archive/",
        generations.generation_archive,
        name="generation_archive",
    ),
    path(
        "videos/<id:generation_id>/restore/",
        generations.generation_unarchive,
        name="generation_unarchive",
    ),
    path(
        "videos/<id:generation_id>/download/",
        generations.generation_download,
        name="generation_download",
    ),
    path("projects/<id:project_id>/settings/", projects.project_settings, name="project_settings"),
    path("projects/<id:project_id>/archive/", projects.project_archive, name="project_archive"),
    path(
        "projects/<id:project_id>/unarchive/",
        projects.project_unarchive,
        name="project_unarchive",
    ),
    path("hooks/kinovi/<str:token>/", webhooks.kinovi_webhook, name="kinovi_webhook"),
    path("teams/switch/", teams.switch_team, name="switch_team"),
    path("", include("projects.urls_teams")),
    path("library/", include("projects.urls_library")),
    path("spend/", include("projects.urls_credits")),
    path("", include("projects.urls_review")),
]
