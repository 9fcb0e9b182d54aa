"""Backup and restore of an installation: its database and every stored file.

A backup is a folder: `database.sqlite3` (SQLite's online backup: a consistent copy
while the app runs) or `database.pgdump` (pg_dump's custom format, one snapshot),
`files/` with a copy of every file a row names, and `manifest.json` listing each of
them with its size and SHA-256. Restoring wants an empty installation (no users): it
loads the database, puts every file back under its own name and checks each hash.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, models
from django.utils import timezone

MANIFEST = "manifest.json"
CHUNK = 2**20


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    sha256: str


def stored_file_names() -> list[str]:
    """Every file name a row of any model refers to, once each, sorted."""
    names: set[str] = set()
    for model in apps.get_models():
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        for field in fields:
            rows = model._default_manager.filter(**{f"{field}__gt": ""})
            names.update(rows.values_list(field, flat=True))
    return sorted(names)


def sha256_of(file) -> str:
    digest = hashlib.sha256()
    while chunk := file.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def stored_hashes() -> dict[str, str]:
    """{name: SHA-256} of every stored file rows name, read from the storage."""
    hashes = {}
    for name in stored_file_names():
        with default_storage.open(name, "rb") as file:
            hashes[name] = sha256_of(file)
    return hashes


def backup(folder: Path) -> dict:
    """Write a backup into `folder` (created; must not exist); returns the manifest."""
    folder.mkdir(parents=True)
    database = _dump_database(folder)
    files = []
    for name in stored_file_names():
        target = folder / "files" / _safe(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with default_storage.open(name, "rb") as source, target.open("wb") as copy:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
                size += len(chunk)
        files.append({"name": name, "size": size, "sha256": digest.hexdigest()})
    manifest = {
        "created_at": timezone.now().isoformat(),
        "database": database,
        "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(folder: Path) -> dict:
    """Bring a backup back into this (empty) installation; returns its manifest."""
    manifest = json.loads((folder / MANIFEST).read_text())
    if _has_users():
        raise BackupError("This installation has users already: restore into an empty one.")
    database = manifest["database"]
    if database["engine"] != connection.vendor:
        raise BackupError(
            f"The backup is of a {database['engine']} database; this installation uses "
            f"{connection.vendor}."
        )
    dump = folder / database["file"]
    with dump.open("rb") as file:
        if sha256_of(file) != database["sha256"]:
            raise BackupError(f"{database['file']} does not match its SHA-256 in the manifest.")
    for entry in manifest["files"]:
        with (folder / "files" / _safe(entry["name"])).open("rb") as file:
            if sha256_of(file) != entry["sha256"]:
                raise BackupError(f"{entry['name']} does not match its SHA-256 in the manifest.")
    _load_database(dump)
    for entry in manifest["files"]:
        with (folder / "files" / _safe(entry["name"])).open("rb") as file:
            saved = default_storage.save(entry["name"], File(file))
        if saved != entry["name"]:
            raise BackupError(f"{entry['name']} exists already in storage (saved as {saved}).")
        with default_storage.open(saved, "rb") as file:
            if sha256_of(file) != entry["sha256"]:
                raise BackupError(f"{entry['name']} reads back differently from storage.")
    return manifest


def _safe(name: str) -> str:
    """A stored name as a relative path inside the backup: no way out of `files/`."""
    path = Path(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"Refusing the stored name {name!r}.")
    return str(path)


def _has_users() -> bool:
    try:
        return get_user_model().objects.exists()
    except DatabaseError:  # not migrated yet: empty
        return False


def _dump_database(folder: Path) -> dict:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        target = folder / "database.sqlite3"
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
    elif connection.vendor == "postgresql":
        target = folder / "database.pgdump"
        _pg("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}")
    else:
        raise BackupError(f"No backup for {connection.vendor} databases.")
    with target.open("rb") as file:
        digest = sha256_of(file)
    return {"engine": connection.vendor, "file": target.name, "sha256": digest}


def _load_database(dump: Path) -> None:
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        with sqlite3.connect(dump) as source:
            source.backup(connection.connection)
        source.close()
    else:
        connection.close()  # pg_restore replaces the tables this connection may hold
        _pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            str(dump),
        )


def _pg(program: str, *arguments: str) -> None:
    """Run a PostgreSQL client on this installation's database (password by environment)."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} is missing: install PostgreSQL's client programs.")
    database = connection.settings_dict
    environment = os.environ | {"PGPASSWORD": database.get("PASSWORD") or ""}
    command = [program, f"--dbname={database['NAME']}"]
    if database.get("HOST"):
        command.append(f"--host={database['HOST']}")
    if database.get("PORT"):
        command.append(f"--port={database['PORT']}")
    if database.get("USER"):
        command.append(f"--username={database['USER']}")
    result = subprocess.run(
        [*command, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise BackupError(f"{program} failed: {result.stderr.strip()[-2000:]}")
