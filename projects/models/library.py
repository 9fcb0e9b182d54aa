"""Reference assets and characters (personal and team libraries).

An asset belongs to the user who uploaded it, in the team they were working in:
it is personal unless its owner shares it with that team. A character lives in
exactly one library: a user's personal one (`owner` set) or the team's (`owner`
empty), always inside one team.
"""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from projects import media
from projects.kinovi.references import HANDLE_MAX_LENGTH
from projects.kinovi.references import validate_handle as kinovi_validate_handle
from projects.kinovi.request import MAX_IMAGES
from projects.models.teams import Team

__all__ = [
    "AssetTag",
    "Character",
    "CharacterImage",
    "MediaError",
    "ReferenceAsset",
    "validate_handle",
]

logger = logging.getLogger(__name__)
MediaError = media.MediaError

# A character's images all go into a request: Kinovi's limit of images per video.
MAX_CHARACTER_IMAGES = MAX_IMAGES
FORMAT_NAMES = {f.mime: f.label for f in media.FORMATS.values()}


def validate_handle(value: str) -> None:
    error = kinovi_validate_handle(value)
    if error:
        raise ValidationError(error, code="invalid_handle")


def upload_limits() -> media.Limits:
    mb = 2**20
    return media.Limits(
        max_bytes={
            media.Kind.IMAGE: settings.UPLOAD_MAX_IMAGE_MB * mb,
            media.Kind.VIDEO: settings.UPLOAD_MAX_VIDEO_MB * mb,
            media.Kind.AUDIO: settings.UPLOAD_MAX_AUDIO_MB * mb,
        }
    )


def public_url(name: str) -> str:
    """The absolute URL Kinovi fetches `name` from."""
    url = default_storage.url(name)
    if url.startswith("/"):
        url = settings.SITE_URL + url
    return url


def _random_key(folder: str, extension: str) -> str:
    return f"{folder}/{secrets.token_urlsafe(24)}.{extension}"


class Kind(models.TextChoices):
    IMAGE = media.Kind.IMAGE, "Image"
    VIDEO = media.Kind.VIDEO, "Video"
    AUDIO = media.Kind.AUDIO, "Audio"


class ReferenceAssetQuerySet(models.QuerySet):
    def visible_to(self, user, team):
        """The user's own assets in `team` and those shared with the team."""
        return self.filter(team=team).filter(Q(owner=user) | Q(shared=True))

    def active(self):
        return self.filter(archived_at__isnull=True)

    def search(self, text: str):
        # No name holds a NUL, and PostgreSQL refuses one in a query.
        text = text.replace("\x00", "")
        return self.filter(Q(name__icontains=text) | Q(original_filename__icontains=text))

    def tagged(self, tag: str):
        return self.filter(tags__name=tag)

    def create_from_upload(self, upload, *, owner, team) -> tuple["ReferenceAsset", bool]:
        """Check, clean and store an uploaded file; (asset, created).

        The upload is read in chunks and streamed to storage (S3Storage sends it
        as a multipart upload); only images, capped at a few MB, are re-encoded
        in memory to strip their metadata. The same bytes from the same owner
        in the same team give back the asset already stored.
        """
        upload.seek(0)
        head = upload.read(media.HEAD_SIZE)
        media.accepted_format(head, upload.size)
        upload.seek(0)
        digest = media.sha256_of(upload.chunks(HASH_CHUNK_SIZE))
        existing = self.filter(owner=owner, team=team, sha256=digest).first()
        if existing is not None:
            if existing.archived_at is not None:
                existing.archived_at = None
                existing.save(update_fields=["archived_at"])
            return existing, False

        source = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload
        limits = upload_limits()
        info = media.inspect(source, head, upload.size, limits)
        asset = self.model(
            owner=owner,
            team=team,
            kind=info.kind.value,
            name=_name_from_filename(upload.name),
            original_filename=(upload.name or "")[:255],
            mime_type=info.format.mime,
            sha256=digest,
            width=info.width,
            height=info.height,
            duration=info.duration,
        )
        if info.kind == media.Kind.IMAGE:
            clean = media.clean_image(source, info, limits)
            content = ContentFile(clean.data)
            asset.width, asset.height = clean.width, clean.height
            asset.size_bytes = len(clean.data)
            thumbnail = clean.thumbnail
        else:
            thumbnail = media.poster_frame(source) if info.kind == media.Kind.VIDEO else None
            # Storage would otherwise trust the browser's claimed content type.
            upload.content_type = info.format.mime
            upload.seek(0)
            content = upload
            asset.size_bytes = upload.size

        stored: list[str] = []
        try:
            asset.file.name = default_storage.save(
                _random_key("refs", info.format.extension), content
            )
            stored.append(asset.file.name)
            asset.url = public_url(asset.file.name)
            if thumbnail is not None:
                asset.thumbnail.name = default_storage.save(
                    _random_key("thumbs", "webp"), ContentFile(thumbnail)
                )
                stored.append(asset.thumbnail.name)
                # Shown by the app's own pages only: the storage's own URL (a path on
                # local storage), so it keeps working whatever address serves the site.
                asset.thumbnail_url = default_storage.url(asset.thumbnail.name)
            with transaction.atomic():
                asset.save()
        except IntegrityError:
            # The same bytes arrived twice at once: keep the first.
            _delete_files(stored)
            return self.get(owner=owner, team=team, sha256=digest), False
        except BaseException:
            _delete_files(stored)
            raise
        return asset, True


# 1 MB reads: sha256 runs on the bytes without the interpreter in between (Django's
# default chunks are 64 KB: 1,600 rounds through Python for 100 MB).
HASH_CHUNK_SIZE = 2**20


def _name_from_filename(filename: str | None) -> str:
    stem = (filename or "").rsplit("/", 1)[-1].rsplit(".", 1)[0].strip()
    return stem[:200] or "Untitled"


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.exception("could not delete stored file %s", name)


class ReferenceAsset(models.Model):
    Kind = Kind

    team = models.ForeignKey(Team, models.CASCADE, related_name="reference_assets")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="reference_assets"
    )
    shared = models.BooleanField(
        default=False, help_text="Shared assets are seen and used by the whole team."
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    name = models.CharField(max_length=200)
    original_filename = models.CharField(max_length=255, blank=True)
    file = models.FileField(max_length=300)
    url = models.URLField(max_length=2000, help_text="The public URL Kinovi fetches.")
    thumbnail = models.FileField(max_length=300, blank=True)
    thumbnail_url = models.CharField(
        max_length=2000, blank=True, help_text="Where the app's pages show the thumbnail from."
    )
    mime_type = models.CharField(max_length=50)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReferenceAssetQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "team", "sha256"], name="asset_bytes_stored_once_per_owner"
            ),
        ]
        indexes = [models.Index(fields=["team", "owner", "archived_at", "kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def format_name(self) -> str:
        """What tells portrait.jpg from portrait.png on a card: JPEG, PNG, MP4..."""
        return FORMAT_NAMES.get(self.mime_type, self.mime_type)

    @property
    def src(self) -> str:
        """Where the app's pages load the file from: the storage's own URL (a path on
        local storage), not `url`, which is the absolute address Kinovi fetches."""
        return self.file.url if self.file else ""

    def can_edit(self, user, membership) -> bool:
        if self.owner_id == user.pk:
            return True
        return self.shared and membership is not None and membership.is_admin

    @property
    def is_in_use(self) -> bool:
        return self.generation_references.exists() or self.character_images.exists()

    def uses_seen_by(self, user, team):
        """The videos using this file that `user` may see, and how many others use it.

        Projects are their owner's alone, so only the viewer's own videos (in the
        team they work in) are named; the rest are a count.
        """
        uses = self.generation_references.filter(
            generation__project__owner=user, generation__project__team=team
        )
        others = (
            self.generation_references.exclude(generation__in=uses.values("generation"))
            .values("generation")
            .distinct()
            .count()
        )
        return uses, others

    def delete_or_archive(self) -> bool:
        """Delete the asset and its files, or archive it when something uses it.

        Returns True when archived: a generation's history and its characters
        keep showing (and Kinovi keeps fetching) the file.
        """
        if self.is_in_use:
            self.archived_at = timezone.now()
            self.save(update_fields=["archived_at"])
            return True
        names = [n for n in (self.file.name, self.thumbnail.name) if n]
        self.delete()
        transaction.on_commit(lambda: _delete_files(names))
        return False

    def set_tags(self, names: list[str]) -> None:
        self.tags.exclude(name__in=names).delete()
        have = set(self.tags.values_list("name", flat=True))
        AssetTag.objects.bulk_create([AssetTag(asset=self, name=n) for n in names if n not in have])


class AssetTag(models.Model):
    asset = models.ForeignKey(ReferenceAsset, models.CASCADE, related_name="tags")
    name = models.CharField(max_length=30)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="one_tag_per_asset"),
        ]

    def __str__(self) -> str:
        return self.name


class CharacterQuerySet(models.QuerySet):
    def for_team(self, team):
        """The team's shared library."""
        return self.filter(team=team, owner__isnull=True)

    def personal(self, user, team):
        return self.filter(team=team, owner=user)

    def visible_to(self, user, team):
        return self.filter(team=team).filter(Q(owner=user) | Q(owner__isnull=True))

    def in_library(self, team, owner):
        return self.personal(owner, team) if owner is not None else self.for_team(team)

    def search(self, text: str):
        text = text.replace("\x00", "").strip().lstrip("@")
        return self.filter(Q(name__icontains=text) | Q(handle__icontains=text))

    def with_images(self):
        return self.prefetch_related(
            Prefetch("images", CharacterImage.objects.select_related("asset"))
        )


class Character(models.Model):
    team = models.ForeignKey(Team, models.CASCADE, related_name="characters")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="personal_characters",
        help_text="Set for a personal character; empty for the team's library.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="created_characters"
    )
    name = models.CharField(max_length=100)
    handle = models.CharField(max_length=HANDLE_MAX_LENGTH, validators=[validate_handle])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CharacterQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "owner", "handle"],
                condition=Q(owner__isnull=False),
                name="character_handle_unique_in_personal_library",
            ),
            models.UniqueConstraint(
                fields=["team", "handle"],
                condition=Q(owner__isnull=True),
                name="character_handle_unique_in_team_library",
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    @property
    def is_team(self) -> bool:
        return self.owner_id is None

    @property
    def library_name(self) -> str:
        return "Team library" if self.is_team else "My library"

    def can_edit(self, user, membership) -> bool:
        if self.created_by_id == user.pk:
            return True
        return self.is_team and membership is not None and membership.is_admin

    def can_copy_to_team(self, user) -> bool:
        return self.owner_id == user.pk

    @property
    def ordered_images(self) -> list["CharacterImage"]:
        return sorted(self.images.all(), key=lambda image: image.position)

    @property
    def primary_image(self) -> "CharacterImage | None":
        images = self.ordered_images
        return next((i for i in images if i.is_primary), images[0] if images else None)

    def set_images(
        self, assets: list[ReferenceAsset], primary: ReferenceAsset | None, *, by
    ) -> None:
        """Replace the images by `assets`, in that order; `by` is the user doing it.

        A team character's images are shared with the team: teammates see and
        use the character, so its images cannot stay someone's personal files.
        Only `by`'s own files are shared here; anyone else's must be shared
        already (the form offers nothing else, and a file stays shared while
        another library's character uses it: see AssetEditForm.clean_shared).
        """
        primary = primary if primary in assets else (assets[0] if assets else None)
        if self.is_team:
            ReferenceAsset.objects.filter(
                pk__in=[a.pk for a in assets], owner=by, shared=False
            ).update(shared=True)
        self.images.all().delete()
        CharacterImage.objects.bulk_create(
            [
                CharacterImage(character=self, asset=asset, position=i, is_primary=asset == primary)
                for i, asset in enumerate(assets, start=1)
            ]
        )

    def copy_to(self, *, owner, user) -> "Character":
        """A copy in `owner`'s personal library (owner=None: the team's)."""
        with transaction.atomic():
            copy = Character.objects.create(
                team=self.team,
                owner=owner,
                created_by=user,
                name=self.name,
                handle=self.handle,
                description=self.description,
            )
            images = self.ordered_images
            primary = self.primary_image
            copy.set_images([i.asset for i in images], primary.asset if primary else None, by=user)
        return copy


class CharacterImage(models.Model):
    character = models.ForeignKey(Character, models.CASCADE, related_name="images")
    asset = models.ForeignKey(ReferenceAsset, models.PROTECT, related_name="character_images")
    position = models.PositiveSmallIntegerField()
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["character", "position"], name="character_image_position_unique"
            ),
            models.UniqueConstraint(
                fields=["character", "asset"], name="character_image_asset_unique"
            ),
            models.UniqueConstraint(
                fields=["character"],
                condition=Q(is_primary=True),
                name="character_has_one_primary_image",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.character} #{self.position}"
