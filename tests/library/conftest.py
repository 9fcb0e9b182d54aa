"""Helpers for the library tests; every test here stores files in a temporary root."""

import secrets
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Character, Generation, Project, ReferenceAsset

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"


@pytest.fixture(autouse=True)
def _files_in_tmp(local_storage):
    return local_storage


def fixture_file(
    name: str, upload_name: str | None = None, content_type: str = ""
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        upload_name or name, (MEDIA / name).read_bytes(), content_type or "application/octet-stream"
    )


def upload(client, name: str, upload_name: str | None = None, **headers):
    return client.post(
        "/library/upload/",
        {"file": fixture_file(name, upload_name)},
        headers={"X-Requested-With": "XMLHttpRequest", **headers},
    )


def make_asset(owner, team, **fields) -> ReferenceAsset:
    """An asset row without a stored file, for tests about access and listing."""
    token = secrets.token_hex(8)
    defaults = {
        "kind": ReferenceAsset.Kind.IMAGE,
        "name": f"asset {token}",
        "file": f"refs/{token}.png",
        "url": f"http://testserver/media/refs/{token}.png",
        "thumbnail_url": f"http://testserver/media/thumbs/{token}.webp",
        "mime_type": "image/png",
        "size_bytes": 100,
        "sha256": secrets.token_hex(32),
        "width": 64,
        "height": 64,
    }
    return ReferenceAsset.objects.create(owner=owner, team=team, **{**defaults, **fields})


def make_character(team, created_by, *, owner=None, handle="mira", images=1, **fields):
    character = Character.objects.create(
        team=team,
        owner=owner,
        created_by=created_by,
        name=fields.pop("name", handle.title()),
        handle=handle,
        **fields,
    )
    assets = [make_asset(created_by, team) for _ in range(images)]
    character.set_images(assets, assets[0] if assets else None, by=created_by)
    return character


def make_generation(team, user, **fields) -> Generation:
    project = Project.objects.create(team=team, name="Pilot", owner=user)
    fields.setdefault("prompt", "@image1 walks")
    return Generation.objects.create(
        project=project, created_by=user, model="seedance-20", **fields
    )
