from django.conf import settings
from django.core.management.base import BaseCommand

from projects.kinovi import simulator


class Command(BaseCommand):
    help = "Run the local Kinovi simulator (see projects/kinovi/simulator.py for its flags)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.KINOVI_SIMULATOR_PORT)
        parser.add_argument("--api-key", default=settings.KINOVI_SIMULATOR_KEY)

    def handle(self, *args, port, api_key, **options):
        simulator.main(["--port", str(port), "--api-key", api_key])
