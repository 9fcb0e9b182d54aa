from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from projects.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restores a backup (manage.py backup) into an empty installation, checking every hash."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="The backup's folder (it holds manifest.json).")

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        if not (folder / "manifest.json").is_file():
            raise CommandError(f"{folder} holds no manifest.json: not a backup.")
        try:
            manifest = restore(folder)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the database and {len(manifest['files'])} file(s) from {folder}; "
            "every SHA-256 matches."
        )
