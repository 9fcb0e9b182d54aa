from django import forms

from projects.forms.generations import ALL_DURATIONS, RESOLUTION_CHOICES
from projects.kinovi import catalogue
from projects.kinovi.request import ASPECT_RATIOS
from projects.models import Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProjectSettingsForm(forms.ModelForm):
    """Rename, describe, and set the defaults a new shot starts from.

    The resolution, length and upscale are those the default model offers."""

    default_model = forms.ChoiceField(
        label="Model", choices=[(spec.id, spec.label) for spec in catalogue.CATALOGUE.values()]
    )
    # Blank (a form that predates it): the project's own where the model offers it.
    default_resolution = forms.ChoiceField(
        label="Resolution", required=False, choices=list(RESOLUTION_CHOICES.items())
    )
    default_duration = forms.TypedChoiceField(
        label="Duration",
        coerce=int,
        choices=[(seconds, f"{seconds} s") for seconds in ALL_DURATIONS],
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
            "default_resolution",
            "default_duration",
            "default_aspect_ratio",
            "default_upscale_4k",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = self.data.get("default_model") if self.is_bound else self.instance.default_model
        spec = catalogue.CATALOGUE.get(model or "")
        if spec is not None:
            self.fields["default_resolution"].choices = [
                (res, RESOLUTION_CHOICES[res]) for res in spec.resolutions
            ]
            self.fields["default_resolution"].help_text = (
                f"{spec.label} is made at "
                + ", ".join(RESOLUTION_CHOICES[res].split(" ·")[0] for res in spec.resolutions)
                + "."
            )
            self.fields["default_duration"].choices = [
                (seconds, f"{seconds} s") for seconds in spec.durations
            ]

    def clean(self):
        data = super().clean()
        spec = catalogue.CATALOGUE.get(data.get("default_model", ""))
        if spec is not None and not data.get("default_resolution"):
            current = self.instance.default_resolution
            data["default_resolution"] = (
                current if current in spec.resolutions else spec.default_resolution
            )
        if (
            spec is not None
            and data.get("default_upscale_4k")
            and not (spec.upscale_4k and data.get("default_resolution") == "720p")
        ):
            self.add_error(
                "default_upscale_4k",
                "Upscale to 4K is offered at 720p on Seedance 2.0 and 2.0 Fast only.",
            )
        return data
