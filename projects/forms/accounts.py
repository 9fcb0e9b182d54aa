from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm

from projects.models.accounts import Profile, time_zone_choices


class LoginForm(AuthenticationForm):
    """The login form; after a wrong password the cursor waits in the password field."""

    def add_error(self, field, error):
        super().add_error(field, error)
        if field is None:
            self.fields["username"].widget.attrs.pop("autofocus", None)
            self.fields["password"].widget.attrs["autofocus"] = True


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Name")
    email = forms.EmailField(label="Email address", max_length=254)
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Dates and times are shown to you in it.",
        error_messages={"invalid_choice": "Choose a time zone from the list."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["time_zone"].choices = [
            ("", f"The site's ({settings.TIME_ZONE})"),
            *time_zone_choices(),
        ]
        if not self.is_bound:
            self.initial = {
                "name": user.first_name,
                "email": user.email,
                "time_zone": Profile.time_zone_of(user),
            }

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        others = get_user_model().objects.exclude(pk=self.user.pk)
        if others.filter(email__iexact=email).exists():
            raise forms.ValidationError("Another account uses this email address.")
        return email

    def save(self) -> None:
        self.user.first_name = self.cleaned_data["name"].strip()
        self.user.email = self.cleaned_data["email"]
        self.user.save(update_fields=["first_name", "email"])
        Profile.objects.update_or_create(
            user=self.user, defaults={"time_zone": self.cleaned_data["time_zone"]}
        )
