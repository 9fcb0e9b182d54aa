from django.apps import AppConfig
from django.urls import register_converter


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Kinovi Web"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from projects import checks  # noqa: F401 (registers the start-up checks)
        from projects.converters import RowIdConverter
        from projects.models.accounts import remember_time_zone

        user_logged_in.connect(remember_time_zone, dispatch_uid="remember_time_zone")

        # Before any URLconf module is imported, whichever imports first.
        register_converter(RowIdConverter, "id")
