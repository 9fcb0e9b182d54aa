"""Accounts: signing out (here or everywhere) and the profile."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from projects.forms.accounts import LoginForm, ProfileForm
from projects.models.accounts import TIME_ZONE_SESSION_KEY, end_sessions


@require_POST
def log_out(request):
    """Log out and say so on the page that follows."""
    logout(request)
    messages.success(request, "You are logged out.")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_POST
def log_out_everywhere(request):
    """End every session of the user's, on every device, this one included."""
    count = end_sessions(request.user)
    logout(request)
    messages.success(request, f"You are signed out everywhere ({count} sessions ended).")
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            request.session[TIME_ZONE_SESSION_KEY] = form.cleaned_data["time_zone"]
            messages.success(request, "Profile saved.")
            return redirect("profile")
        return render(request, "registration/profile.html", {"form": form}, status=400)
    return render(request, "registration/profile.html", {"form": form})


def client_ip(request) -> str:
    """The address a sign-in comes from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT
    proxies the address the outermost of them saw (the rest of X-Forwarded-For is the
    client's to forge)."""
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "")


def locked_out(request, original_response=None, credentials=None):
    """The answer to a sign-in refused after too many failures (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request)
    form.fields["username"].initial = (credentials or {}).get("username", "")
    return render(
        request,
        "registration/login.html",
        {"form": form, "locked_out_minutes": minutes, "next": request.GET.get("next", "")},
        status=429,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with links to SITE_URL (the address people use, not the request's Host)."""

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)
