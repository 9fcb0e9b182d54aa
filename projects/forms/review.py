from decimal import Decimal

from django import forms

from projects.forms.library import AssetChoiceField
from projects.models.outbox import MailPreference
from projects.models.review import (
    COMMENT_MAX_CHARACTERS,
    ClientDecision,
    Role,
    State,
    reviewable,
    shareable_members,
)

LINK_MAX_DAYS = 30


class VerdictForm(forms.Form):
    state = forms.ChoiceField(
        choices=State.choices, error_messages={"invalid_choice": "Choose a verdict."}
    )


def _at_seconds_field() -> forms.DecimalField:
    return forms.DecimalField(
        label="At (seconds)",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("3600"),
        max_digits=5,
        decimal_places=1,
        help_text="Optional: a time in the video, in 0.1 s steps.",
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_CHARACTERS,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a comment first."},
    )
    at_seconds = _at_seconds_field()

    def clean_body(self):
        body = self.cleaned_data["body"].replace("\x00", "").strip()
        if not body:
            raise forms.ValidationError("Write a comment first.")
        return body


class ClientCommentForm(CommentForm):
    name = forms.CharField(
        label="Your name", max_length=100, error_messages={"required": "Say who you are."}
    )

    field_order = ["name", "body", "at_seconds"]


class ClientDecisionForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=100, error_messages={"required": "Say who you are."}
    )
    decision = forms.ChoiceField(
        choices=ClientDecision.choices,
        error_messages={"invalid_choice": "Approve the video or ask for changes."},
    )


class ShareForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=None,
        label="Teammate",
        error_messages={"invalid_choice": "Choose a teammate of this project's team."},
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        initial=Role.VIEWER,
        error_messages={"invalid_choice": "Choose viewer or reviewer."},
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = shareable_members(project)


class ReviewLinkForm(forms.Form):
    title = forms.CharField(label="Title the client sees", max_length=200, required=False)
    whole_project = forms.BooleanField(label="The whole project", required=False)
    # Ids past 64 bits are refused before the query, as for assets.
    generation = AssetChoiceField(
        queryset=None,
        label="Videos",
        required=False,
        error_messages={"invalid_choice": "Choose finished videos of this project."},
    )
    days = forms.IntegerField(
        label="Expires after (days)", min_value=1, max_value=LINK_MAX_DAYS, initial=7
    )
    password = forms.CharField(
        label="Password (optional)",
        max_length=128,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["generation"].queryset = reviewable(project.generations.all()).order_by("-id")
        self.fields["generation"].label_from_instance = lambda g: f"Video {g.pk}"

    def clean(self):
        data = super().clean()
        if not data.get("whole_project") and not data.get("generation") and not self.errors:
            raise forms.ValidationError("Choose the videos to show, or the whole project.")
        return data


class LinkPasswordForm(forms.Form):
    password = forms.CharField(label="Password", max_length=128, widget=forms.PasswordInput)


class MailPreferenceForm(forms.ModelForm):
    class Meta:
        model = MailPreference
        fields = ["video_done", "review_activity"]
