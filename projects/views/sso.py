"""Single sign-on views: start, the provider's callback, and the page of an identity
that matched neither an account nor a pending invitation. Each is a 404 while
single sign-on is off."""

import functools

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView


def _sso_on(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is off.")
        return view(request, *args, **kwargs)

    return wrapper


class _StartView(OIDCAuthenticationRequestView):
    """Sends the person to the provider, with a fresh state and nonce in their session."""


class _CallbackView(OIDCAuthenticationCallbackView):
    @property
    def failure_url(self):
        return reverse("sso_not_invited")


sso_start = _sso_on(_StartView.as_view())
sso_callback = _sso_on(_CallbackView.as_view())


@_sso_on
def sso_not_invited(request):
    return render(
        request,
        "projects/teams/sso_not_invited.html",
        {"provider": settings.OIDC_PROVIDER_NAME},
        status=403,
    )
