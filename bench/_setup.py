"""What the page benchmarks share (bench/generations.py, bench/review.py).

Importing it sets Django up for a benchmark run from the repository root (settings from
the environment, files under a temporary VAR_DIR of its own), so a benchmark imports it
before anything of the app. Then:
  - `own_database(run, ...)`: runs in a database of its own (test_<name>, as the test
    runner makes, SQLite or beside DATABASE_URL's), dropped at the end,
  - `bench_member()`: a team (no budget for new members, no per-member video limits: a
    benchmark measures, it is no member clicking), a member of it and their project,
  - `measured(template)`: the URLconf with a bare page, the template given rendered from
    a context built beforehand (`BARE_CONTEXT`) behind the same middleware and login, so
    only a view's own work differs from it; `page_against_bare(page, bare, runs)`,
  - `median_ms`, `queries`, `analyze`, `line` (one PASS/FAIL line per target).

Its name starts with an underscore: bin/bench runs bench/*.py but skips bench/_*.py.
"""

import contextlib
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix=f"bench-{Path(sys.argv[0]).stem}-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "kinovi_web.settings"

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from projects.decorators import team_required  # noqa: E402
from projects.models import Membership, Project, Team  # noqa: E402

BARE_CONTEXT: dict = {}
_BARE_TEMPLATE: list[str] = []


@team_required
def bare_page(request):
    """The baseline: the measured page's template with a context built beforehand."""
    return render(request, _BARE_TEMPLATE[0], BARE_CONTEXT)


urlpatterns = [
    path("bench/bare/", bare_page, name="bench_bare"),
    path("", include("kinovi_web.urls")),
]


def own_database(run, *args) -> None:
    """`run(*args)` in a database of its own, dropped at the end."""
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(*args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def bench_member(project_name: str = "Bench"):
    """A team, a member of it and their project; the member's logged-in client."""
    team = Team.objects.create(
        name="Bench Films",
        slug="bench",
        default_member_budget=None,
        submits_per_window=32767,
        queued_per_member=32767,
    )
    user = get_user_model().objects.create_user("bench", "bench@example.com", "x")
    team.add_member(user, Membership.Role.MEMBER)
    project = Project.objects.create(team=team, owner=user, name=project_name)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return team, user, project, client


@contextlib.contextmanager
def measured(template: str):
    """The app's URLs and the bare page of `template` (reverse("bench_bare")), DEBUG off."""
    _BARE_TEMPLATE[:] = [template]
    BARE_CONTEXT.clear()
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        yield


def median_ms(run, times: int) -> float:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def analyze() -> None:
    """Statistics, as autovacuum (PostgreSQL) or `optimize` (SQLite) keeps them on a
    database in use: without them the planner guesses one row per table."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def cpu_ms(run) -> float:
    """The CPU time of one `run()` in this thread, in ms."""
    start = time.thread_time()
    run()
    return (time.thread_time() - start) * 1000


def page_against_bare(page, bare, runs: int) -> tuple[float, float]:
    """The median CPU ms of `page` and of `bare`, one of each in turn, so the noise of a
    shared machine hits both alike, in the order page, bare, bare, page, ... so neither
    always runs on the other's warm caches. Timed in this thread's CPU time: the whole
    request (SQLite included) runs in it, and time the machine gave other processes
    is neither's work."""
    page(), bare()  # warm up
    # The setup's objects are old news: keep the collector from walking them in the
    # middle of either measurement.
    gc.collect()
    gc.freeze()
    page_ms, bare_ms = [], []
    for round_ in range(runs):
        pair = ((page, page_ms), (bare, bare_ms))
        for run_once, samples in pair if round_ % 2 == 0 else reversed(pair):
            samples.append(cpu_ms(run_once))
    return statistics.median(page_ms), statistics.median(bare_ms)


def line(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {text}"
