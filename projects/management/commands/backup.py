from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from projects.backup import BackupError, backup


class Command(BaseCommand):
    help = "Writes a backup: the database, every stored file, and a manifest with SHA-256s."

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            default="",
            help="Folder to write the backup in (default: VAR_DIR/backups/kinovi-<time>).",
        )

    def handle(self, *args, **options):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        folder = Path(options["to"] or settings.VAR_DIR / "backups" / f"kinovi-{stamp}")
        if folder.exists():
            raise CommandError(f"{folder} exists already: choose a new folder.")
        try:
            manifest = backup(folder)
        except BackupError as error:
            raise CommandError(str(error)) from error
        size = sum(entry["size"] for entry in manifest["files"])
        self.stdout.write(
            f"Backed up the {manifest['database']['engine']} database and "
            f"{len(manifest['files'])} file(s) ({size / 2**20:.1f} MB) to {folder}"
        )
