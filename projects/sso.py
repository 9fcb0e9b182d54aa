"""Single sign-on (OpenID Connect): who an identity from the provider is here.

An identity is matched to an account by its verified email address only. An account
is made for a new address only when a pending invitation awaits it (the invitation
is then accepted like any other, through its link); anyone else gets no account,
since an account without a team could do nothing and would only pile up.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from projects.models import Invitation


def verified_email(claims) -> str:
    """The address the provider vouches for, lower-cased, or "" when it vouches for none."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        return ""
    return email.strip().lower()


class SingleSignOnBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        if not settings.OIDC_ENABLED:
            return None
        return super().authenticate(request, **kwargs)

    def verify_claims(self, claims):
        return bool(verified_email(claims))

    def filter_users_by_claims(self, claims):
        email = verified_email(claims)
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email)

    def create_user(self, claims):
        email = verified_email(claims)
        if not Invitation.objects.pending().filter(email__iexact=email).exists():
            return None
        users = get_user_model().objects
        if users.filter(username__iexact=email).exists():
            return None
        return users.create_user(
            username=email,
            email=email,
            first_name=str(claims.get("given_name") or claims.get("name") or "")[:150],
        )

    def update_user(self, user, claims):
        return user


def is_single_sign_on_attempt(request, credentials) -> bool:
    """Sign-in throttling counts password sign-ins only: a single sign-on attempt
    carries no username (the provider throttles its own sign-ins), and counting it
    under the address alone would let anyone there lock everyone's SSO out."""
    return credentials is not None and "username" not in credentials and "nonce" in credentials
