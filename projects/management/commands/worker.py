import contextlib
import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from projects.models import WorkerHeartbeat
from projects.notifications import deliver
from projects.worker import DATABASE_LOST, DatabaseOutage, worker_name

log = logging.getLogger(__name__)

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
        handled = rows = 0
        heartbeat = WorkerHeartbeat.objects.start()
        beaten_at = time.monotonic()
        checked_connections_at = float("-inf")
        outage = DatabaseOutage(worker_id)
        while not self.shutdown:
            # As between requests, but at most once a second: drop connections that
            # broke or grew too old. Not per item: reconnecting for each of hundreds
            # of polls a second would cost more than the polls.
            if time.monotonic() - checked_connections_at >= CONNECTION_CHECK_SECONDS:
                with contextlib.suppress(*DATABASE_LOST):
                    close_old_connections()
                checked_connections_at = time.monotonic()
                with contextlib.suppress(*DATABASE_LOST):
                    deliver()  # mail: never sent inside a web request
            # One UPDATE every few seconds, not per pass: readiness wants a beat in 30 s.
            if time.monotonic() - beaten_at >= settings.WORKER_HEARTBEAT_SECONDS:
                self.beat(heartbeat, rows)
                beaten_at = time.monotonic()
            if claimed := outage.work_batch():
                handled += 1
                rows += claimed
                continue
            if outage.active:
                self.sleep(outage.wait_seconds())
                continue
            if options["once"]:
                break
            self.sleep(settings.WORKER_POLL_SECONDS)
        self.beat(heartbeat, rows, stopping=True)
        self.stdout.write(f"worker {worker_id} stopped after {handled} item(s)")

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, or less when asked to stop."""
        deadline = time.monotonic() + seconds
        while not self.shutdown and time.monotonic() < deadline:
            time.sleep(0.1)

    def beat(self, heartbeat: WorkerHeartbeat, rows: int, *, stopping: bool = False) -> None:
        # A database gone for a moment must not stop the worker: the next beat says it.
        try:
            if stopping:
                heartbeat.stop(rows)
            else:
                heartbeat.beat(rows)
        except DatabaseError as error:
            log.warning("could not record the worker's heartbeat: %s", error)
