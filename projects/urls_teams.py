"""URLs of the team's administration (team admins) and of accepting an invitation."""

from django.urls import path

from projects.views import teams as views

urlpatterns = [
    path("team/members/", views.members, name="members"),
    path("team/limits/", views.team_limits, name="team_limits"),
    path("team/models/", views.team_models, name="team_models"),
    path("team/members/<id:membership_id>/role/", views.member_role, name="member_role"),
    path("team/members/<id:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "team/invitations/<id:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
