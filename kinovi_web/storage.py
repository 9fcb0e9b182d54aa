"""Storage backends of the app."""

from storages.backends.s3 import S3Storage as BaseS3Storage
from storages.utils import clean_name


class S3Storage(BaseS3Storage):
    """django-storages' S3 backend, sending files already on disk by path.

    The base class sends every file object with boto3's upload_fileobj, which
    copies each 8 MB part into memory, up to ten at once: ~100 MB for one large
    upload. An upload Django spooled to a temporary file goes with upload_file
    instead, which reads each part from disk as it sends it, in constant memory.
    ACL, content type, object parameters and transfer settings are the same.
    """

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
