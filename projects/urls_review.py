from django.urls import path

from projects.views import review

urlpatterns = [
    path("projects/<id:project_id>/review/", review.review_board, name="review_board"),
    path("projects/<id:project_id>/compare/", review.review_compare, name="review_compare"),
    path("projects/<id:project_id>/sharing/", review.project_sharing, name="project_sharing"),
    path("projects/<id:project_id>/links/", review.link_create, name="link_create"),
    path("videos/<id:generation_id>/review/", review.review_video, name="review_video"),
    path("videos/<id:generation_id>/review/file/", review.review_file, name="review_file"),
    path("videos/<id:generation_id>/verdict/", review.review_verdict, name="review_verdict"),
    path("videos/<id:generation_id>/comments/", review.comment_add, name="comment_add"),
    path("comments/<id:comment_id>/resolve/", review.comment_resolve, name="comment_resolve"),
    path("shares/<id:share_id>/remove/", review.share_remove, name="share_remove"),
    path("links/<id:link_id>/revoke/", review.link_revoke, name="link_revoke"),
    path("shared/", review.shared_with_me, name="shared_with_me"),
    path("accounts/mail/", review.mail_preferences, name="mail_preferences"),
    path("spend/review/", review.spend_review, name="spend_review"),
    path("r/<str:token>/", review.client_review, name="client_review"),
    path(
        "r/<str:token>/videos/<id:take_id>/comment/",
        review.client_comment,
        name="client_comment",
    ),
    path(
        "r/<str:token>/videos/<id:take_id>/decision/",
        review.client_decision,
        name="client_decision",
    ),
    path(
        "r/<str:token>/files/<id:take_id>/<str:what>/<str:signature>/",
        review.client_media,
        name="client_media",
    ),
]
