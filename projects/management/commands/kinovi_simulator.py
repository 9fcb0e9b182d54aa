from django.conf import settings
from django.core.management.base import BaseCommand

from projects.kinovi import simulator


class Command(BaseCommand):
    help = "Run the local Kinovi simulator (the flags of python -m projects.kinovi.simulator)."

    def add_arguments(self, parser):
        simulator.add_arguments(
            parser, port=settings.KINOVI_SIMULATOR_PORT, api_key=settings.KINOVI_SIMULATOR_KEY
        )

    def handle(self, *args, port, api_key, **options):
        flags = {name: options[name] for name in simulator.SETTINGS_FLAGS}
        simulator.serve(port=port, api_key=api_key, **flags)
