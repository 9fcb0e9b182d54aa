from django.apps import AppConfig
from django.urls import register_converter


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Kinovi Web"

    def ready(self):
        from projects.converters import RowIdConverter

        # Before any URLconf module is imported, whichever imports first.
        register_converter(RowIdConverter, "id")
