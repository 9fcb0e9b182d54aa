"""Review benchmark, through the whole Django stack (test client).

In a database of its own (SQLite, or test_<name> beside DATABASE_URL's) it measures:
  - the review board of a project with 500 finished videos and 2,000 comments beside a
    bare template view (the same template and context, built once beforehand), so only
    the view's own work differs (median <= 1.5x),
  - the board's queries with 1 video and with 500 videos and 2,000 comments (constant),
  - the compare page's queries for 4 videos (<= 10).
Prints the figures and one PASS/FAIL line per target.

Run from the repository root:  .venv/bin/python bench/review.py [--runs 100]
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-review-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "kinovi_web.settings"

PAGE_RATIO_TARGET = 1.5
COMPARE_QUERY_TARGET = 10
VIDEOS = 500
COMMENTS = 2000

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path, reverse  # noqa: E402

from projects.decorators import team_required  # noqa: E402
from projects.models import (  # noqa: E402
    Comment,
    Generation,
    GenerationReference,
    Membership,
    Project,
    Team,
    Verdict,
)
from projects.models.review import State, access_for  # noqa: E402
from projects.views.review import BOARD_PAGE, board_context  # noqa: E402

BARE_CONTEXT: dict = {}


@team_required
def bare_page(request):
    """The baseline: the board's template with a context built beforehand."""
    return render(request, BOARD_PAGE, BARE_CONTEXT)


urlpatterns = [
    path("bench/bare/", bare_page, name="bench_bare"),
    path("", include("kinovi_web.urls")),
]


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


def line(ok: bool, text: str) -> str:
    return f"{'PASS' if ok else 'FAIL'}  {text}"


def fill(project, user, count: int, comments: int) -> list[Generation]:
    videos = Generation.objects.bulk_create(
        Generation(
            project=project,
            created_by=user,
            model="seedance-20",
            prompt=f"shot {n}",
            status=Generation.Status.SUCCESS,
            duration=5,
            credits_estimated=200,
            credits_used=200,
            seed=n,
            output_file=f"outputs/{n}.mp4",
            poster_file=f"posters/{n}.webp",
        )
        for n in range(count)
    )
    states = [State.SELECTED, State.CHANGES, State.REJECTED, None]
    Verdict.objects.bulk_create(
        Verdict(generation=video, state=states[n % 4], changed_by=user)
        for n, video in enumerate(videos)
        if states[n % 4]
    )
    Comment.objects.bulk_create(
        Comment(generation=videos[n % len(videos)], author=user, body=f"note {n}")
        for n in range(comments)
    )
    GenerationReference.objects.bulk_create(
        GenerationReference(generation=video, kind="image", position=1, label="frame")
        for video in videos
    )
    return videos


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    runs = parser.parse_args().runs
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(runs)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(runs: int):
    team = Team.objects.create(name="Bench Films", slug="bench")
    user = get_user_model().objects.create_user("bench", "bench@example.com", "x")
    team.add_member(user, Membership.Role.MEMBER)
    project = Project.objects.create(team=team, owner=user, name="Bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    results = []
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False):
        board_url = reverse("review_board", args=[project.pk])

        def board():
            assert client.get(board_url).status_code == 200

        first = fill(project, user, 1, 4)
        board_queries_1 = queries(board)
        videos = first + fill(project, user, VIDEOS - 1, COMMENTS - 4)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        board_queries_n = queries(board)

        request = client.get(board_url).wsgi_request
        context = board_context(request, access_for(user, team, project.pk))
        list(context["page"].object_list)  # every query run beforehand
        BARE_CONTEXT.update(context)
        bare_url = reverse("bench_bare")

        def bare():
            assert client.get(bare_url).status_code == 200

        compare_url = (
            reverse("review_compare", args=[project.pk])
            + "?"
            + "&".join(f"v={video.pk}" for video in videos[:4])
        )

        def compare():
            assert client.get(compare_url).status_code == 200

        compare()
        compare_queries = queries(compare)

        board(), bare()
        gc.collect()
        gc.freeze()
        board_ms, bare_ms = [], []
        for _ in range(runs):
            board_ms.append(median_ms(board, 1))
            bare_ms.append(median_ms(bare, 1))
        board_median, bare_median = statistics.median(board_ms), statistics.median(bare_ms)
        ratio = board_median / bare_median
        results.append(
            line(
                ratio <= PAGE_RATIO_TARGET,
                f"review board with {VIDEOS} videos and {COMMENTS} comments "
                f"{board_median:.1f} ms vs bare page {bare_median:.1f} ms: {ratio:.2f}x "
                f"(target <= {PAGE_RATIO_TARGET}x)",
            )
        )
        results.append(
            line(
                board_queries_1 == board_queries_n,
                f"review board queries: {board_queries_1} with 1 video, {board_queries_n} "
                f"with {VIDEOS} videos and {COMMENTS} comments (constant)",
            )
        )
        results.append(
            line(
                compare_queries <= COMPARE_QUERY_TARGET,
                f"compare page for 4 videos: {compare_queries} queries "
                f"(target <= {COMPARE_QUERY_TARGET})",
            )
        )
    print(f"database: {connection.vendor}")
    for result in results:
        print(result)


if __name__ == "__main__":
    main()
