"""Worker benchmark: the CPU one worker uses to follow 500 tasks in flight.

Starts the Kinovi simulator (tasks that stay `waiting` for the whole run) and a small
file server for the reference image, queues 500 generations in a fresh database and
has Kinovi accept them all, then runs `manage.py worker` (polling every 5 s, as in
production) and reads its CPU time from /proc over a measuring window, after one warm-up
round of polls. Prints the figures and PASS/FAIL against the target: at most 25 % of
one core.

Run from the repository root:  .venv/bin/python bench/worker.py [--tasks 500] [--seconds 30]
On PostgreSQL: DATABASE_URL=postgres://... (the benchmark makes, and drops, a test
database beside it, as the test runner does).
"""

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CPU_TARGET = 0.25
POLL_SECONDS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def serve_fixtures() -> str:
    """Serve tests/fixtures/media on a free port; its URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    handler = functools.partial(Quiet, directory=str(ROOT / "tests/fixtures/media"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="bench-worker-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "kinovi_web.settings",
            "VAR_DIR": var_dir,
            "KINOVI_MAX_CONCURRENT_TASKS": str(args.tasks),
            "KINOVI_POLL_SECONDS": str(POLL_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
    )
    from tests.plugins.simulator import API_KEY, start_simulator, stop_simulator

    log = Path(var_dir) / "simulator.log"
    simulator, root_url = start_simulator(
        log,
        "--waiting-seconds",
        "3600",
        "--concurrency-limit",
        str(args.tasks * 2),
        "--balance",
        str(args.tasks * 1000),
    )
    os.environ.update({"KINOVI_BASE_URL": f"{root_url}/api/v1", "KINOVI_API_KEY": API_KEY})
    worker = database = None
    try:
        import django

        django.setup()
        from django.db import connection
        from django.utils import timezone

        from projects.models import Generation

        database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        os.environ["DATABASE_URL"] = database_url(connection.settings_dict, database)
        in_flight = queue_in_flight(args.tasks, serve_fixtures())
        print(f"{in_flight} generations in flight at Kinovi")

        worker = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--id", "bench"],
            cwd=ROOT,
            env=os.environ,
            stdout=subprocess.DEVNULL,
        )
        time.sleep(POLL_SECONDS + 1)  # warm-up: imports, connections, one round of polls
        cpu_before, wall_before = cpu_seconds(worker.pid), time.monotonic()
        window_start = timezone.now()
        time.sleep(args.seconds)
        cpu = cpu_seconds(worker.pid) - cpu_before
        wall = time.monotonic() - wall_before
        assert worker.poll() is None, "the worker stopped"
        polled = Generation.objects.filter(
            status=Generation.Status.WAITING, next_attempt_at__gt=window_start
        ).count()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        stop_simulator(simulator)
        if database is not None:
            connection.creation.destroy_test_db(database, verbosity=0)

    share = cpu / wall
    print(f"worker CPU: {cpu:.2f} s over {wall:.1f} s = {share:.1%} of a core")
    print(f"{polled} of {in_flight} generations polled in the window (every {POLL_SECONDS} s)")
    verdict = "PASS" if share <= CPU_TARGET and polled == in_flight == args.tasks else "FAIL"
    print(f"worker CPU for {args.tasks} tasks in flight <= {CPU_TARGET:.0%} of a core: {verdict}")


def database_url(db: dict, name: str) -> str:
    """A DATABASE_URL for the worker process, naming database `name`."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{name}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{name}"


def queue_in_flight(count: int, files_url: str) -> int:
    """`count` generations submitted, sent and accepted by Kinovi (status waiting)."""
    from django.contrib.auth import get_user_model

    from projects import worker
    from projects.kinovi.references import Kind
    from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request
    from projects.models import Generation, Project, Team

    user = get_user_model().objects.create_user("bench")
    team = Team.objects.create(
        name="Bench",
        slug="bench",
        default_member_budget=None,
        # The benchmark measures, it is no member clicking: no per-member video limits.
        submits_per_window=32767,
        queued_per_member=32767,
    )
    team.add_member(user)
    project = Project.objects.create(team=team, owner=user, name="Bench")
    image = ReferenceMedia(Kind.IMAGE, f"{files_url}/tiny.png", format="image/png")
    spec = GenerationSpec(model="seedance-20", prompt="@image1 waits", references=[image])
    payload = build_request(spec).payload
    for _ in range(count):
        generation = Generation.objects.create(
            project=project,
            created_by=user,
            model="seedance-20",
            prompt="@image1 waits",
            request_payload=payload,
        )
        generation.submit()
        while worker.work_once("bench-setup"):
            pass
    return Generation.objects.filter(status=Generation.Status.WAITING).count()


if __name__ == "__main__":
    main()
