"""The upload path against a real S3-compatible server (moto over HTTP)."""

import httpx
from django.conf import settings

from projects.models import ReferenceAsset
from tests.fixtures.make_fixtures import write_padded_mp4
from tests.library.conftest import MEDIA, upload
from tests.plugins.storage import S3_BUCKET


def _key(asset_url: str) -> str:
    return asset_url.split(f"/{S3_BUCKET}/", 1)[1]


def test_it_stores_a_video_publicly_with_the_right_bytes_and_type(alice_client, s3_storage):
    response = upload(alice_client, "one_second.mp4", "clip.mp4")
    assert response.status_code == 201
    asset = ReferenceAsset.objects.get()
    endpoint = settings.STORAGES["default"]["OPTIONS"]["endpoint_url"]
    assert asset.url == f"{endpoint}/{S3_BUCKET}/{asset.file.name}"
    head = s3_storage.head_object(Bucket=S3_BUCKET, Key=asset.file.name)
    assert head["ContentType"] == "video/mp4"

    public = httpx.get(asset.url)  # no credentials: a plain public fetch
    assert public.status_code == 200
    assert public.content == (MEDIA / "one_second.mp4").read_bytes()
    assert public.headers["content-type"] == "video/mp4"

    poster = httpx.get(asset.thumbnail_url)
    assert poster.status_code == 200
    assert poster.headers["content-type"] == "image/webp"


def test_it_makes_objects_public_read(alice_client, s3_storage):
    upload(alice_client, "tiny.png")
    asset = ReferenceAsset.objects.get()
    grants = s3_storage.get_object_acl(Bucket=S3_BUCKET, Key=asset.file.name)["Grants"]
    assert any(
        g["Grantee"].get("URI", "").endswith("/AllUsers") and g["Permission"] == "READ"
        for g in grants
    )


def test_it_stores_the_cleaned_image(alice_client, s3_storage):
    upload(alice_client, "exif_gps.jpg")
    asset = ReferenceAsset.objects.get()
    public = httpx.get(asset.url)
    assert public.headers["content-type"] == "image/jpeg"
    assert b"FixtureCam" not in public.content
    assert len(public.content) == asset.size_bytes


def test_it_streams_a_large_upload_from_a_temporary_file(alice_client, s3_storage, tmp_path):
    # 12 MB: past FILE_UPLOAD_MAX_MEMORY_SIZE (spooled to disk) and past
    # boto3's 8 MB multipart threshold.
    big = tmp_path / "big.mp4"
    write_padded_mp4(MEDIA / "one_second.mp4", big, 12 * 2**20)
    with big.open("rb") as f:
        response = alice_client.post(
            "/library/upload/", {"file": f}, headers={"X-Requested-With": "XMLHttpRequest"}
        )
    assert response.status_code == 201
    asset = ReferenceAsset.objects.get()
    assert asset.size_bytes == 12 * 2**20
    assert asset.duration is not None and asset.duration < 2
    public = httpx.get(asset.url)
    assert public.content == big.read_bytes()
    assert public.headers["content-type"] == "video/mp4"
    head = s3_storage.head_object(Bucket=S3_BUCKET, Key=asset.file.name)
    assert "-" in head["ETag"]  # a multipart upload's ETag
    grants = s3_storage.get_object_acl(Bucket=S3_BUCKET, Key=asset.file.name)["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)


def test_it_refuses_without_storing_anything(alice_client, s3_storage):
    before = s3_storage.list_objects_v2(Bucket=S3_BUCKET).get("KeyCount", 0)
    assert upload(alice_client, "sixteen_seconds.mp4").status_code == 400
    assert s3_storage.list_objects_v2(Bucket=S3_BUCKET).get("KeyCount", 0) == before


def test_it_deletes_the_objects_of_an_unused_asset(
    alice_client, s3_storage, django_capture_on_commit_callbacks
):
    upload(alice_client, "one_second.mp4")
    asset = ReferenceAsset.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/library/assets/{asset.pk}/delete/")
    assert httpx.get(asset.url).status_code == 404
    assert httpx.get(asset.thumbnail_url).status_code == 404


def test_it_writes_objects_typed_by_their_sniffed_kind_and_others_as_downloads(s3_storage):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    image = default_storage.save("frames/last.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
    other = default_storage.save("outputs/evil.html", ContentFile(b"<script>alert(1)</script>"))
    image_head = s3_storage.head_object(Bucket=S3_BUCKET, Key=image)
    assert image_head["ContentType"] == "image/png"
    assert "ContentDisposition" not in image_head
    other_head = s3_storage.head_object(Bucket=S3_BUCKET, Key=other)
    assert other_head["ContentType"] == "application/octet-stream"
    assert other_head["ContentDisposition"] == "attachment"
