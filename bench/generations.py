"""Composer and project page benchmark, through the whole Django stack (test client).

In a database of its own (SQLite, or test_<name> beside DATABASE_URL's) it measures:
  - the submit request's median time (target <= 50 ms; no network is involved: the
    worker, not the request, talks to Kinovi),
  - the project page holding 500 generations beside a bare template view: the same
    template with the same context, built once beforehand, behind the same middleware
    and login, so only the view's own work (queries, form, paging) differs
    (median <= 1.5x),
  - the queries of the project page and of a generation's status partial, with 1 and
    with 500 generations (constant, <= 10).
Prints the figures and one PASS/FAIL line per target.

Run from the repository root:  .venv/bin/python bench/generations.py [--runs 60]
"""

import argparse

from _setup import (  # first: it sets Django up
    BARE_CONTEXT,
    analyze,
    bench_member,
    line,
    measured,
    median_ms,
    own_database,
    page_against_bare,
    queries,
)
from django.conf import settings
from django.urls import reverse

from projects.forms.generations import ComposerForm
from projects.models import Generation, GenerationReference, Project, ReferenceAsset
from projects.views.generations import PROJECT_PAGE, project_context

SUBMIT_TARGET_MS = 50
PAGE_RATIO_TARGET = 1.5
QUERY_TARGET = 10
GENERATIONS = 500


def make_world():
    team, user, project, client = bench_member()
    assets = [
        ReferenceAsset.objects.create(
            team=team,
            owner=user,
            kind="image",
            name=f"frame {n}",
            file=f"refs/{n}.png",
            url=f"{settings.SITE_URL}/media/refs/{n}.png",
            thumbnail_url=f"{settings.SITE_URL}/media/thumbs/{n}.webp",
            mime_type="image/png",
            size_bytes=100,
            sha256=f"{n:064d}",
        )
        for n in range(3)
    ]
    return user, project, assets, client


def fill(project, user, assets, count: int):
    """`count` generations in every state, each with three references."""
    states = ["queued", "waiting", "generating", "success", "fail"]
    generations = Generation.objects.bulk_create(
        Generation(
            project=project,
            created_by=user,
            model="seedance-20",
            prompt=f"@image1 and @image2 walk in shot {n}",
            prompt_sent=f"@image1 and @image2 walk in shot {n}",
            status=states[n % len(states)],
            credits_estimated=200,
            credits_used=200 if n % len(states) == 3 else None,
            output_width=1280,
            output_height=720,
        )
        for n in range(count)
    )
    GenerationReference.objects.bulk_create(
        GenerationReference(
            generation=generation, asset=asset, kind="image", position=position, url=asset.url
        )
        for generation in generations
        for position, asset in enumerate(assets, 1)
    )
    return generations


def bare_context(client, project, page_url) -> dict:
    """The project page's context, every query already run."""
    request = client.get(page_url).wsgi_request
    form = ComposerForm(
        ComposerForm.initial_for(project), user=request.user, team=request.team, project=project
    )
    return project_context(request, project, form)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    own_database(run, parser.parse_args().runs)


def run(runs: int):
    user, project, assets, client = make_world()
    results = []

    with measured(PROJECT_PAGE):
        submit_url = reverse("generation_submit", args=[project.pk])
        keys = iter(range(10**6))
        shot = {
            "model": "seedance-20",
            "duration": "5",
            "aspect_ratio": "16:9",
            "prompt": "@image1 and @image2 walk in the rain",
            "references": [str(asset.pk) for asset in assets],
        }
        # The quote lock: the price the composer's check shows, signed, as a browser has it.
        checked = client.post(
            reverse("composer_check", args=[project.pk]), shot, headers={"HX-Request": "true"}
        )
        quote = checked.content.decode().split('name="quote" value="')[1].split('"')[0]

        def submit():
            response = client.post(
                submit_url,
                {**shot, "quote": quote, "idempotency_key": f"bench-{next(keys)}"},
                headers={"HX-Request": "true"},
            )
            assert response.status_code == 200, response.content[:500]

        submit()  # warm up
        submit_ms = median_ms(submit, runs)
        results.append(
            line(
                submit_ms <= SUBMIT_TARGET_MS,
                f"submit median {submit_ms:.1f} ms (target <= {SUBMIT_TARGET_MS} ms)",
            )
        )
        # The page is measured on a project of its own, the submitted ones aside.
        project = Project.objects.create(team=project.team, owner=user, name="Page")
        page_url = reverse("project_detail", args=[project.pk])
        one = fill(project, user, assets, 1)[0]
        status_url = reverse("generation_detail", args=[one.pk])

        def page():
            assert client.get(page_url).status_code == 200

        def status():
            client.get(status_url, headers={"HX-Request": "true"})

        page_queries_1, status_queries_1 = queries(page), queries(status)
        fill(project, user, assets, GENERATIONS - 1)
        analyze()
        page_queries_n, status_queries_n = queries(page), queries(status)

        bare_url = reverse("bench_bare")
        BARE_CONTEXT.update(bare_context(client, project, page_url))

        def bare():
            assert client.get(bare_url).status_code == 200

        page_median, bare_median = page_against_bare(page, bare, runs)
        ratio = page_median / bare_median
        results.append(
            line(
                ratio <= PAGE_RATIO_TARGET,
                f"project page with {GENERATIONS} generations "
                f"{page_median:.1f} ms vs bare page {bare_median:.1f} ms (CPU): {ratio:.2f}x "
                f"(target <= {PAGE_RATIO_TARGET}x)",
            )
        )
        results.append(
            line(
                page_queries_1 == page_queries_n <= QUERY_TARGET,
                f"project page queries: "
                f"{page_queries_1} with 1 generation, {page_queries_n} with {GENERATIONS} "
                f"(constant, target <= {QUERY_TARGET})",
            )
        )
        results.append(
            line(
                status_queries_1 == status_queries_n <= QUERY_TARGET,
                f"status partial "
                f"queries: {status_queries_1} with 1 generation, {status_queries_n} with "
                f"{GENERATIONS} (constant, target <= {QUERY_TARGET})",
            )
        )
    print("\n".join(results))


if __name__ == "__main__":
    main()
