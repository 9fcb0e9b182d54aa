from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve

from kinovi_web.storage import served_type
from projects.forms.accounts import LoginForm
from projects.views import accounts, health, sso, teams


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them the app's icon."""
    return redirect(static("img/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("status/", health.staff_status, name="staff_status"),
    path("status/models/", teams.site_models, name="site_models"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", accounts.log_out, name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/logout/everywhere/", accounts.log_out_everywhere, name="logout_everywhere"),
    path("accounts/profile/", accounts.profile, name="profile"),
    path(
        "accounts/password/reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/sso/start/", sso.sso_start, name="sso_start"),
    path("accounts/sso/callback/", sso.sso_callback, name="sso_callback"),
    path("accounts/sso/not-invited/", sso.sso_not_invited, name="sso_not_invited"),
    path("", include("projects.urls")),
]

if not settings.STORAGE_BUCKET:
    # Local storage is served by the app itself, so Kinovi can fetch references
    # from SITE_URL + MEDIA_URL without another server. On the app's own origin a
    # stored file must never act as one of its pages: typed by its name (never
    # sniffed), sandboxed, and a download unless it is an image, video or audio.
    def serve_media(request, path):
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
        content_type, disposition = served_type(path)
        if response.status_code == 200:
            response["Content-Type"] = content_type
        response["Content-Disposition"] = disposition
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve_media)]

# Error pages of the app: the reason and a way back (templates/error.html).
handler400 = "projects.views.errors.bad_request"
handler403 = "projects.views.errors.permission_denied"
handler404 = "projects.views.errors.page_not_found"
handler500 = "projects.views.errors.server_error"
