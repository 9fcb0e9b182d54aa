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

from _setup import (  # first: it sets Django up
    BARE_CONTEXT,
    analyze,
    bench_member,
    line,
    measured,
    own_database,
    page_against_bare,
    queries,
)
from django.db import connection
from django.urls import reverse

from projects.models import Comment, Generation, GenerationReference, Verdict
from projects.models.review import State, access_for
from projects.views.review import BOARD_PAGE, board_context

PAGE_RATIO_TARGET = 1.5
COMPARE_QUERY_TARGET = 10
VIDEOS = 500
COMMENTS = 2000


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
    own_database(run, parser.parse_args().runs)


def run(runs: int):
    team, user, project, client = bench_member()
    results = []
    with measured(BOARD_PAGE):
        board_url = reverse("review_board", args=[project.pk])

        def board():
            assert client.get(board_url).status_code == 200

        first = fill(project, user, 1, 4)
        board_queries_1 = queries(board)
        videos = first + fill(project, user, VIDEOS - 1, COMMENTS - 4)
        analyze()
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

        board_median, bare_median = page_against_bare(board, bare, runs)
        ratio = board_median / bare_median
        results.append(
            line(
                ratio <= PAGE_RATIO_TARGET,
                f"review board with {VIDEOS} videos and {COMMENTS} comments "
                f"{board_median:.1f} ms vs bare page {bare_median:.1f} ms (CPU): {ratio:.2f}x "
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
