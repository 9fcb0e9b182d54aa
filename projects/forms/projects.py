from django import forms

from projects.kinovi.pricing import FAST_MODEL, MODELS, STANDARD_MODEL
from projects.kinovi.request import ASPECT_RATIOS, DURATIONS
from projects.models import Project

MODEL_LABELS = {STANDARD_MODEL: "Standard", FAST_MODEL: "Fast"}


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProjectSettingsForm(forms.ModelForm):
    """Rename, describe, and set the defaults a new shot starts from."""

    default_model = forms.ChoiceField(
        label="Model", choices=[(model, MODEL_LABELS.get(model, model)) for model in MODELS]
    )
    default_duration = forms.TypedChoiceField(
        label="Duration",
        coerce=int,
        choices=[(seconds, f"{seconds} s") for seconds in DURATIONS],
    )
    default_aspect_ratio = forms.ChoiceField(
        label="Aspect ratio", choices=[(ratio, ratio) for ratio in ASPECT_RATIOS]
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "default_model",
            "default_duration",
            "default_aspect_ratio",
            "default_upscale_4k",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
