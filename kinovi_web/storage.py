"""Storage backends of the app, and how a stored file is served.

Every file the app stores is named with the extension of the format its bytes were
sniffed as (`refs/<random>.png`, `outputs/<random>.mp4`), so the name says what to
serve it as. Anything else (a file that reached storage some other way) is served as
an opaque download: never as a page of the app's origin whose script would run.
"""

from storages.backends.s3 import S3Storage as BaseS3Storage
from storages.utils import clean_name

from projects.kinovi.sniff import FORMATS

OPAQUE_TYPE = "application/octet-stream"
_TYPES_BY_EXTENSION = {f.extension: f.mime for f in FORMATS.values()}
# Kinds a browser shows inline without running anything from the file.
_INLINE_KINDS = ("image/", "video/", "audio/")


def served_type(name: str) -> tuple[str, str]:
    """The Content-Type and the Content-Disposition to serve `name` with."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    content_type = _TYPES_BY_EXTENSION.get(extension, OPAQUE_TYPE)
    if content_type.startswith(_INLINE_KINDS):
        return content_type, "inline"
    return content_type, "attachment"


class S3Storage(BaseS3Storage):
    """django-storages' S3 backend: objects typed by their name, sent from disk by path.

    The bucket serves each object with the metadata it was written with, so its
    Content-Type is the sniffed format's (never the browser's claim) and anything
    not an image, video or audio file is a download (ContentDisposition: attachment).

    The base class sends every file object with boto3's upload_fileobj, which
    copies each 8 MB part into memory, up to ten at once: ~100 MB for one large
    upload. An upload Django spooled to a temporary file goes with upload_file
    instead, which reads each part from disk as it sends it, in constant memory.
    ACL, object parameters and transfer settings are the same.
    """

    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        content_type, disposition = served_type(name)
        params["ContentType"] = content_type
        if disposition == "attachment":
            params["ContentDisposition"] = disposition
        return params

    def _save(self, name, content):
        temporary_file_path = getattr(content, "temporary_file_path", None)
        if temporary_file_path is None:
            return super()._save(name, content)
        cleaned_name = clean_name(name)
        key = self._normalize_name(cleaned_name)
        params = self._get_write_parameters(key, content)
        self.bucket.Object(key).upload_file(
            temporary_file_path(), ExtraArgs=params, Config=self.transfer_config
        )
        return cleaned_name
