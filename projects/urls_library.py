"""URLs of the reference library and characters."""

from django.urls import path

from projects.views import library as views

urlpatterns = [
    path("", views.library, name="library"),
    path("upload/", views.asset_upload, name="asset_upload"),
    path("assets/<id:asset_id>/", views.asset_detail, name="asset_detail"),
    path("assets/<id:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("assets/<id:asset_id>/delete/", views.asset_delete, name="asset_delete"),
    path("characters/", views.character_list, name="character_list"),
    path("characters/new/", views.character_create, name="character_create"),
    path("characters/<id:character_id>/", views.character_detail, name="character_detail"),
    path("characters/<id:character_id>/edit/", views.character_edit, name="character_edit"),
    path("characters/<id:character_id>/delete/", views.character_delete, name="character_delete"),
    path("characters/<id:character_id>/copy/", views.character_copy, name="character_copy"),
]
