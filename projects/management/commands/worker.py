import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from projects.notifications import deliver
from projects.worker import work_once, worker_name

CONNECTION_CHECK_SECONDS = 1.0


class Command(BaseCommand):
    help = "Runs the background worker: submits generations, follows them, archives outputs."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Work through what is due, then exit."
        )
        parser.add_argument("--id", default="", help="Worker name in claims (default host:pid).")

    def on_signal(self, signum, frame):
        # Only set a flag: the current item finishes, then the loop ends.
        self.shutdown = True

    def handle(self, *args, **options):
        self.shutdown = False
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)
        worker_id = options["id"] or worker_name()
        self.stdout.write(f"worker {worker_id} started")
        handled = 0
        checked_connections_at = float("-inf")
        while not self.shutdown:
            # As between requests, but at most once a second: drop connections that
            # broke or grew too old. Not per item: reconnecting for each of hundreds
            # of polls a second would cost more than the polls.
            if time.monotonic() - checked_connections_at >= CONNECTION_CHECK_SECONDS:
                close_old_connections()
                checked_connections_at = time.monotonic()
                deliver()  # mail: never sent inside a web request
            if work_once(worker_id):
                handled += 1
                continue
            if options["once"]:
                break
            deadline = time.monotonic() + settings.WORKER_POLL_SECONDS
            while not self.shutdown and time.monotonic() < deadline:
                time.sleep(0.1)
        self.stdout.write(f"worker {worker_id} stopped after {handled} item(s)")
