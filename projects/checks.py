"""Start-up checks of how this site reaches Kinovi."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from projects.kinovi.uploads import NEVER


@checks.register("kinovi")
def reference_delivery_works(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A warning, at every start, when references have no way to reach Kinovi."""
    return [m for m in reference_delivery() if m.level >= checks.WARNING]


# Which way references go is said by `check --deploy` (and read on the status page's
# operator): an Info at every command's start would be printed by every command.
@checks.register("kinovi", deploy=True)
def reference_delivery_path(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Which way references reach Kinovi."""
    return [m for m in reference_delivery() if m.level < checks.WARNING]


def reference_delivery() -> list[checks.CheckMessage]:
    """Which way references reach Kinovi, and a warning when no way does."""
    from projects.models.uploads import kinovi_can_fetch_references, references_through_uploads

    mode = settings.KINOVI_REFERENCE_UPLOADS
    where = urlsplit(_sample()).netloc or "a relative URL"
    kinovi = urlsplit(settings.KINOVI_BASE_URL).netloc
    if references_through_uploads():
        return [
            checks.Info(
                f"References reach Kinovi through its uploads (KINOVI_REFERENCE_UPLOADS="
                f"{mode}; served from {where}, Kinovi at {kinovi}): each is uploaded before "
                "its video is asked for, and again after 23 h.",
                id="kinovi.I002",
            )
        ]
    if not kinovi_can_fetch_references():
        return [
            checks.Warning(
                f"References are served from {where}, which Kinovi at {kinovi} can't reach, "
                f"and KINOVI_REFERENCE_UPLOADS={NEVER}: every video with references will fail.",
                hint="Set SITE_URL (or the storage bucket) to a public address, or set "
                "KINOVI_REFERENCE_UPLOADS=auto.",
                id="kinovi.W001",
            )
        ]
    return [
        checks.Info(
            f"References reach Kinovi by their storage URLs (on {where}; "
            f"KINOVI_REFERENCE_UPLOADS={mode}).",
            id="kinovi.I001",
        )
    ]


def _sample() -> str:
    from projects.models.uploads import reference_url_sample

    return reference_url_sample()
