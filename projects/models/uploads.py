"""References sent to Kinovi through its uploads endpoint, and the URLs it gave them.

Kinovi keeps an upload 24 hours; one younger than REUSE_UPLOAD_FOR is sent again as it
is (a retry of the same video, another video with the same reference), an older one is
uploaded anew.
"""

import logging
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.utils import timezone

from projects.kinovi.client import KinoviClient
from projects.kinovi.uploads import REUSE_UPLOAD_FOR, kinovi_can_fetch, uses_uploads
from projects.kinovi.uploads import with_reference_urls as _with_reference_urls
from projects.models.library import ReferenceAsset, public_url

logger = logging.getLogger(__name__)

# A key that needn't exist: where storage would serve a reference from.
_SAMPLE_KEY = "refs/sample.png"


def reference_url_sample() -> str:
    """What a stored reference's URL looks like on this site (SITE_URL or the bucket)."""
    return public_url(_SAMPLE_KEY)


def references_through_uploads() -> bool:
    """Whether the worker uploads references to Kinovi before asking for a video."""
    return uses_uploads(
        settings.KINOVI_REFERENCE_UPLOADS, reference_url_sample(), settings.KINOVI_BASE_URL
    )


def kinovi_can_fetch_references() -> bool:
    return kinovi_can_fetch(reference_url_sample(), settings.KINOVI_BASE_URL)


class KinoviUploadQuerySet(models.QuerySet):
    def fresh(self, now=None):
        """Uploads Kinovi still keeps long enough to make a video from."""
        return self.filter(uploaded_at__gt=(now or timezone.now()) - REUSE_UPLOAD_FOR)


class KinoviUpload(models.Model):
    """A reference file uploaded to Kinovi, keyed by its asset and the bytes' SHA-256."""

    asset = models.ForeignKey(ReferenceAsset, models.CASCADE, related_name="kinovi_uploads")
    sha256 = models.CharField(max_length=64)
    url = models.URLField(max_length=2000, help_text="Where Kinovi serves the upload.")
    uploaded_at = models.DateTimeField()

    objects = KinoviUploadQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["asset", "sha256"], name="kinovi_upload_per_file"),
        ]

    def __str__(self) -> str:
        return self.url


def kinovi_url_for(asset: ReferenceAsset, client: KinoviClient) -> str:
    """A URL of `asset`'s file that Kinovi keeps for a while yet: reused, or uploaded now."""
    upload = KinoviUpload.objects.fresh().filter(asset=asset, sha256=asset.sha256).first()
    if upload is not None:
        return upload.url
    # The storage key, not the name the user gave the file: it tells Kinovi nothing.
    file_name = PurePosixPath(asset.file.name).name
    with asset.file.open("rb") as file:
        url = client.upload(file, file_name, content_type=asset.mime_type)
    KinoviUpload.objects.update_or_create(
        asset=asset, sha256=asset.sha256, defaults={"url": url, "uploaded_at": timezone.now()}
    )
    return url


def with_uploaded_references(generation, body: dict, client: KinoviClient) -> dict:
    """`body` (a createTask body of `generation`) with its references sent through uploads.

    A reference whose asset or file is gone keeps its URL: Kinovi's review then fails the task
    (refunded), as it fails any reference it can't fetch.
    """
    replacements: dict[str, str] = {}
    for reference in generation.references.select_related("asset"):
        if reference.asset is None or reference.url in replacements:
            continue
        try:
            replacements[reference.url] = kinovi_url_for(reference.asset, client)
        except OSError:
            logger.warning("Reference file of asset %s is missing from storage", reference.asset_id)
    return _with_reference_urls(body, replacements)
