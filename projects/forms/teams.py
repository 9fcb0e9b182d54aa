from django import forms

from projects.models import Team


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
