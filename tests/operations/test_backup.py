"""manage.py backup and restore round-trip a seeded installation: every row, every file.

Runs on the suite's database: SQLite's online backup in the SQLite half, pg_dump and
pg_restore in the PostgreSQL half.
"""

import io
import json
import shutil

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from projects.backup import stored_hashes
from projects.models import Character, Generation, LedgerEntry, Project, ReferenceAsset
from tests.generations.lifecycle_fixtures import create_draft
from tests.library.conftest import upload

pytestmark = pytest.mark.django_db(transaction=True)  # pg_restore runs beside the test


def every_row() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }


@pytest.fixture
def seeded(alice_client, alice, bob, team, local_storage):
    """Projects, references with their thumbnails, a character, videos and the ledger."""
    for name in ("tiny.png", "other.png", "one_second.mp4", "one_second.wav"):
        assert upload(alice_client, name).status_code in (200, 201), name
    images = list(ReferenceAsset.objects.filter(kind="image").order_by("pk"))
    mira = Character.objects.create(team=team, created_by=alice, name="Mira", handle="mira")
    mira.set_images(images, images[0], by=alice)
    project = Project.objects.create(team=team, owner=alice, name="Pilot")
    Project.objects.create(team=team, owner=bob, name="Bob's")
    done, failed, waiting = (
        create_draft(project, image_url=images[0].url, prompt="@image1 walks") for _ in range(3)
    )
    for generation in (done, failed, waiting):
        generation.submit()
    output = default_storage.save("outputs/done.mp4", ContentFile(b"\0\0\0\x18ftypmp42 video"))
    Generation.objects.filter(pk=done.pk).update(output_file=output)
    failed.start_dispatch()
    failed.give_up("Refused for the test")
    assert LedgerEntry.objects.count() == 4
    return local_storage


def test_it_round_trips_every_row_and_file(seeded, tmp_path):
    rows, hashes = every_row(), stored_hashes()
    assert len(hashes) >= 6  # references, their thumbnails, a video's output
    out = io.StringIO()
    call_command("backup", "--to", str(tmp_path / "backup"), stdout=out)
    assert f"{len(hashes)} file(s)" in out.getvalue()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {entry["name"]: entry["sha256"] for entry in manifest["files"]} == hashes

    # An empty installation: no rows, no files.
    call_command("flush", "--noinput")
    shutil.rmtree(seeded)
    seeded.mkdir()
    assert Generation.objects.count() == 0 and stored_hashes() == {}

    call_command("restore", str(tmp_path / "backup"), stdout=io.StringIO())
    restored = every_row()
    for label, before in rows.items():
        assert restored[label] == before, label
    assert stored_hashes() == hashes


def test_it_restores_only_into_an_empty_installation(seeded, tmp_path):
    call_command("backup", "--to", str(tmp_path / "backup"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="has users already"):
        call_command("restore", str(tmp_path / "backup"))


def test_it_refuses_a_backup_whose_file_does_not_match_its_hash(seeded, tmp_path):
    call_command("backup", "--to", str(tmp_path / "backup"), stdout=io.StringIO())
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    (tmp_path / "backup" / "files" / manifest["files"][0]["name"]).write_bytes(b"tampered")
    call_command("flush", "--noinput")
    with pytest.raises(CommandError, match="does not match its SHA-256"):
        call_command("restore", str(tmp_path / "backup"))
    assert Generation.objects.count() == 0  # nothing loaded


def test_it_refuses_a_folder_without_a_manifest(db, tmp_path):
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(tmp_path))
