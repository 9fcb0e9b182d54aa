from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.validators import MaxValueValidator, MinValueValidator

from projects.kinovi import catalogue
from projects.models import Invitation, Membership, Team


class TeamSwitchForm(forms.Form):
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        error_messages={
            "required": "Choose a team.",
            "invalid_choice": "That team does not exist or you are not one of its members.",
        },
    )
    next = forms.CharField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.for_user(user)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={"required": "Enter the email address to invite."},
    )
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(team=self.team, user__email__iexact=email).exists():
            raise forms.ValidationError("Someone with this email address is already a member.")
        if Invitation.objects.for_team(self.team).pending().filter(email=email).exists():
            raise forms.ValidationError(
                "This address already has a pending invitation: revoke it to send a new one."
            )
        return email


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=Membership.Role.choices,
        error_messages={
            "required": "Choose a role: admin, member or viewer.",
            "invalid_choice": "Choose a role: admin, member or viewer.",
        },
    )


ARCHIVE = "archive"


class RemoveMemberForm(forms.Form):
    """Who gets the leaving member's projects: an admin of the team, or nobody (archived)."""

    projects_to = forms.ChoiceField(
        label="Their projects",
        error_messages={"invalid_choice": "Choose an admin of the team, or archive them."},
    )

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.admins = {
            str(m.user_id): m.user
            for m in Membership.objects.admins()
            .filter(team=membership.team_id)
            .exclude(pk=membership.pk)
            .select_related("user")
            .order_by("user__username")
        }
        self.fields["projects_to"].choices = [
            *[(pk, f"Hand them to {user.get_username()}") for pk, user in self.admins.items()],
            (ARCHIVE, "Archive them (they get them back if they join again)"),
        ]
        self.fields["projects_to"].initial = next(iter(self.admins), ARCHIVE)

    @property
    def heir(self):
        return self.admins.get(self.cleaned_data["projects_to"])


class NewAccountForm(forms.Form):
    """A new person accepting an invitation: their name and a password."""

    name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            candidate = get_user_model()(
                username=self.email, email=self.email, first_name=data.get("name", "")
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    def save(self):
        User = get_user_model()
        if User.objects.filter(username__iexact=self.email).exists():
            raise forms.ValidationError("An account with this email address exists: sign in.")
        return User.objects.create_user(
            username=self.email,
            email=self.email,
            password=self.cleaned_data["password1"],
            first_name=self.cleaned_data["name"].strip(),
        )


class TeamLimitsForm(forms.ModelForm):
    """What a team's admins set: per-member video and upload limits, the storage quota."""

    class Meta:
        model = Team
        fields = [
            "submits_per_window",
            "submit_window_minutes",
            "queued_per_member",
            "storage_quota_mb",
            "uploads_per_hour",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, most in (
            ("submits_per_window", 1000),
            ("submit_window_minutes", 24 * 60),
            ("queued_per_member", 1000),
            ("storage_quota_mb", 100 * 1024 * 1024),
            ("uploads_per_hour", 10000),
        ):
            field = self.fields[name]
            field.min_value, field.max_value = 1, most
            field.validators += [MinValueValidator(1), MaxValueValidator(most)]
            field.widget.attrs.update(min=1, max=most)

    def describe(self) -> str:
        team = self.instance
        return (
            f"{team.submits_per_window} videos per {team.submit_window_minutes} min, "
            f"{team.queued_per_member} in line, {team.uploads_per_hour} uploads an hour, "
            f"{team.storage_quota_mb:,} MB of storage"
        )


class ModelsForm(forms.Form):
    """The models switched off: hidden from a team's members, or (staff) for the site."""

    off = forms.MultipleChoiceField(
        label="Models not offered",
        required=False,
        choices=[(spec.id, spec.label) for spec in catalogue.CATALOGUE.values()],
        widget=forms.CheckboxSelectMultiple,
    )

    def describe(self, models_off) -> str:
        labels = [catalogue.CATALOGUE[m].label for m in catalogue.CATALOGUE if m in set(models_off)]
        return "Not offered: " + ", ".join(labels) if labels else "Every model offered"
