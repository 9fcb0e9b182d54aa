import re

from django import forms
from django.db import transaction

from projects.models import Character, ReferenceAsset
from projects.models.library import MAX_CHARACTER_IMAGES

_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
MAX_TAGS = 10
# The largest primary key a BigAutoField holds.
_MAX_ID = 2**63 - 1


class AssetChoiceField(forms.ModelMultipleChoiceField):
    """Assets chosen by id; an id no row can have is an invalid choice.

    Django hands the raw ids to an `IN (...)` query, and SQLite cannot bind an
    integer beyond 64 bits (OverflowError): such ids are refused first.
    """

    def _check_values(self, value):
        for pk in value:
            try:
                in_range = 0 < int(str(pk)) <= _MAX_ID
            except ValueError:
                in_range = False
            if not in_range:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:20]},
                )
        return super()._check_values(value)


class AssetFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    kind = forms.ChoiceField(
        required=False, choices=[("", "All kinds"), *ReferenceAsset.Kind.choices]
    )
    tag = forms.CharField(required=False)

    def filter(self, assets):
        # A forged choice (?kind=anything) is dropped; the other filters still apply.
        self.is_valid()
        data = self.cleaned_data
        if data.get("q", "").strip():
            assets = assets.search(data["q"].strip())
        if data.get("kind"):
            assets = assets.filter(kind=data["kind"])
        if data.get("tag", "").strip():
            assets = assets.tagged(data["tag"].strip().lower().lstrip("#"))
        return assets


class AssetEditForm(forms.ModelForm):
    tags = forms.CharField(
        required=False, help_text="Separated by commas or spaces, e.g. portrait, mira."
    )

    class Meta:
        model = ReferenceAsset
        fields = ["name", "tags", "shared"]
        labels = {"shared": "Share with my team"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(t.name for t in self.instance.tags.all())

    def clean_tags(self) -> list[str]:
        names = []
        for raw in re.split(r"[,\s]+", self.cleaned_data["tags"]):
            name = raw.strip().lower().lstrip("#")
            if not name:
                continue
            if not _TAG_RE.match(name):
                raise forms.ValidationError(
                    f"“{raw}” is not a tag: use up to 30 letters, digits, _ or -."
                )
            if name not in names:
                names.append(name)
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags.")
        return names

    def clean_shared(self) -> bool:
        shared = self.cleaned_data["shared"]
        # A character outside the owner's own library (the team's, or a
        # teammate's) uses the file: taking it back would break that character.
        if (
            not shared
            and self.instance.shared
            and self.instance.character_images.exclude(
                character__owner=self.instance.owner_id
            ).exists()
        ):
            raise forms.ValidationError(
                "A team character or a teammate's character uses this file, "
                "so it stays shared with the team."
            )
        return shared

    def save(self, commit: bool = True) -> ReferenceAsset:
        with transaction.atomic():
            asset = super().save()
            asset.set_tags(self.cleaned_data["tags"])
        return asset


class CharacterFilterForm(forms.Form):
    LIBRARIES = [("", "All libraries"), ("mine", "My library"), ("team", "Team library")]
    q = forms.CharField(required=False, label="Search")
    library = forms.ChoiceField(required=False, choices=LIBRARIES)

    def filter(self, characters, user, team):
        # A forged choice (?library=anything) is dropped; the search still applies.
        self.is_valid()
        data = self.cleaned_data
        if data.get("q", "").strip():
            characters = characters.search(data["q"])
        if data.get("library") == "mine":
            characters = characters.filter(owner=user)
        elif data.get("library") == "team":
            characters = characters.filter(owner__isnull=True)
        return characters


class CharacterForm(forms.ModelForm):
    """Create or edit a character; the library is chosen once, at creation."""

    LIBRARIES = [("personal", "My library"), ("team", "Team library")]

    library = forms.ChoiceField(
        choices=LIBRARIES,
        initial="personal",
        widget=forms.RadioSelect,
        help_text="A team character's images are shared with the team.",
        error_messages={
            "required": "Choose a library: My library or Team library.",
            "invalid_choice": "Choose a library: My library or Team library.",
        },
    )
    images = AssetChoiceField(
        queryset=ReferenceAsset.objects.none(),
        help_text=f"1 to {MAX_CHARACTER_IMAGES} images, numbered in the order you check them.",
        error_messages={
            "required": f"Choose between 1 and {MAX_CHARACTER_IMAGES} images.",
            "invalid_choice": "File %(value)s is not an image in your library.",
        },
    )
    primary = forms.ModelChoiceField(
        queryset=ReferenceAsset.objects.none(),
        required=False,
        help_text="The image shown for the character; the first one if left empty.",
        error_messages={"invalid_choice": "The primary image must be one of your images."},
    )

    class Meta:
        model = Character
        fields = ["name", "handle", "description"]
        widgets = {
            "handle": forms.TextInput(attrs={"placeholder": "mira", "autocomplete": "off"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"handle": "Used in prompts as @handle. Lowercase letters, digits, _ or -."}
        error_messages = {
            "name": {"required": "Give the character a name."},
            "handle": {"required": "Choose a handle, e.g. mira: it is how a prompt names them."},
        }

    def __init__(self, *args, user, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.team = team
        current = []
        if self.instance.pk:
            del self.fields["library"]
            current = [image.asset for image in self.instance.ordered_images]
            primary = self.instance.primary_image
            self.initial.setdefault("images", [a.pk for a in current])
            self.initial.setdefault("primary", primary.asset_id if primary else None)
        # A character keeps images its editor may not own (a teammate's, shared
        # through a team character); everything else comes from what they see.
        choices = ReferenceAsset.objects.filter(
            pk__in=ReferenceAsset.objects.visible_to(user, team)
            .active()
            .filter(kind=ReferenceAsset.Kind.IMAGE)
            .values("pk")
        ) | ReferenceAsset.objects.filter(pk__in=[a.pk for a in current])
        self.fields["images"].queryset = choices
        self.fields["primary"].queryset = choices
        self.current_images = current

    @property
    def image_choices(self) -> list[ReferenceAsset]:
        """Chosen images first, in their order, then the rest of the library."""
        chosen = [str(pk) for pk in self._chosen_ids()]
        # The picker names each image's owner.
        assets = list(self.fields["images"].queryset.select_related("owner"))
        by_pk = {str(a.pk): a for a in assets}
        first = [by_pk[pk] for pk in chosen if pk in by_pk]
        return first + [a for a in assets if str(a.pk) not in chosen]

    def _chosen_ids(self) -> list:
        if self.is_bound:
            return self.data.getlist(self.add_prefix("images"))
        return list(self.initial.get("images") or [])

    @property
    def chosen_ids(self) -> set[str]:
        return {str(pk) for pk in self._chosen_ids()}

    @property
    def primary_id(self) -> str:
        value = self.data.get("primary") if self.is_bound else self.initial.get("primary")
        return str(value or "")

    def clean_handle(self) -> str:
        return self.cleaned_data["handle"].strip().lstrip("@").lower()

    def clean_images(self) -> list[ReferenceAsset]:
        chosen = self.cleaned_data["images"]
        by_pk = {str(a.pk): a for a in chosen}
        ordered = []
        for pk in self.data.getlist(self.add_prefix("images")):
            if pk in by_pk and by_pk[pk] not in ordered:
                ordered.append(by_pk[pk])
        if not 1 <= len(ordered) <= MAX_CHARACTER_IMAGES:
            raise forms.ValidationError(
                f"Choose between 1 and {MAX_CHARACTER_IMAGES} images ({len(ordered)} chosen)."
            )
        return ordered

    def _target_owner(self):
        if self.instance.pk:
            return self.instance.owner
        return None if self.cleaned_data.get("library") == "team" else self.user

    def clean(self):
        cleaned = super().clean()
        handle = cleaned.get("handle")
        if handle and (self.instance.pk or "library" in cleaned):
            taken = Character.objects.in_library(self.team, self._target_owner()).filter(
                handle=handle
            )
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("handle", f"@{handle} is already used in this library.")
        return cleaned

    def save(self, commit: bool = True) -> Character:
        character = super().save(commit=False)
        if not character.pk:
            character.team = self.team
            character.owner = self._target_owner()
            character.created_by = self.user
        with transaction.atomic():
            character.save()
            character.set_images(
                self.cleaned_data["images"], self.cleaned_data["primary"], by=self.user
            )
        return character
