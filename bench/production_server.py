"""The production server under load: `bin/serve web` (gunicorn, 2 processes of 8 threads)
on PostgreSQL, 20 concurrent clients for 30 s on the project page, then 30 s on the
composer's check endpoint. Prints requests/s and p50/p95 latency with a PASS/FAIL
against p95 <= 250 ms (page) and <= 100 ms (check), and the queries of /readyz (<= 5).

The clients run in this process (threads), on the same machine as the server: their
own work is in the figures, as a browser's network would be.

Run from the repository root:  .venv/bin/python bench/production_server.py [--seconds 30]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.get(
    "DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/kinovi_bench_serve"
)
os.environ["DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-serve-"))
os.environ["DJANGO_SETTINGS_MODULE"] = "kinovi_web.settings"

CLIENTS = 20
PROCESSES = 2
PAGE_P95_TARGET_MS = 250
CHECK_P95_TARGET_MS = 100
READINESS_QUERY_TARGET = 5
CARDS = 20

subprocess.run([str(ROOT / "bin/ensure-postgres"), DATABASE_URL], check=True)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from projects.models import Generation, Project, ReferenceAsset, WorkerHeartbeat  # noqa: E402
from projects.views import health  # noqa: E402
from tests.operations.servers import installation, logged_in, serving  # noqa: E402


def seed(max_user) -> tuple[Project, ReferenceAsset]:
    team = max_user.memberships.get().team
    project, created = Project.objects.get_or_create(
        team=team, owner=max_user, name="Benchmark", defaults={"description": "bench"}
    )
    asset, _ = ReferenceAsset.objects.get_or_create(
        owner=max_user,
        team=team,
        name="still.png",
        defaults={
            "kind": ReferenceAsset.Kind.IMAGE,
            "file": "refs/bench.png",
            "url": "http://127.0.0.1:9/media/refs/bench.png",
            "mime_type": "image/png",
            "size_bytes": 100,
            "sha256": "0" * 64,
            "width": 64,
            "height": 64,
        },
    )
    if created:
        for n in range(CARDS):
            Generation.objects.create(
                project=project,
                created_by=max_user,
                model="seedance-20",
                prompt=f"@image1 take {n}",
                status=Generation.Status.SUCCESS if n % 4 else Generation.Status.QUEUED,
                credits_estimated=200,
                credits_used=200 if n % 4 else None,
            )
    return project, asset


def load(base_url: str, cookies, request, seconds: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client:
            mine = []
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = request(client)
                mine.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{response.request.url} answered {response.status_code}")
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=client_loop) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def report(name: str, latencies: list[float], seconds: float, target_ms: float) -> None:
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    verdict = "PASS" if p95 <= target_ms else "FAIL"
    print(f"{name}: {len(latencies) / seconds:.0f} req/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(f"{name} p95 {p95:.0f} ms <= {target_ms} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    seconds = parser.parse_args().seconds
    folder = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    # Persistent connections, as the README advises for production.
    environment = installation(
        folder, DATABASE_URL, WEB_PROCESSES=str(PROCESSES), DATABASE_CONN_MAX_AGE="60"
    )
    project, asset = seed(get_user_model().objects.get(username="max"))

    WorkerHeartbeat.objects.start()
    with CaptureQueriesContext(connection) as queries:
        health.readyz(RequestFactory().get("/readyz"))
    verdict = "PASS" if len(queries) <= READINESS_QUERY_TARGET else "FAIL"
    print(f"readiness: {len(queries)} queries <= {READINESS_QUERY_TARGET}: {verdict}")

    with serving(environment, folder / "serve.log") as base_url:
        member = logged_in(base_url, "max")
        cookies = dict(member.cookies.items())
        page = f"/projects/{project.pk}/"
        check = f"/projects/{project.pk}/compose/check/"
        form = {
            "model": "seedance-20",
            "duration": "5",
            "aspect_ratio": "16:9",
            "prompt": "@image1 walks through the rain",
            "idempotency_key": "bench",
            "references": [str(asset.pk)],
        }
        headers = {"HX-Request": "true", "X-CSRFToken": cookies["csrftoken"]}
        member.get(page).raise_for_status()
        member.post(check, data=form, headers=headers).raise_for_status()
        print(f"{PROCESSES} processes x 8 threads, {CLIENTS} clients, {seconds:g} s each")
        page_latencies = load(base_url, cookies, lambda c: c.get(page), seconds)
        report("project page", page_latencies, seconds, PAGE_P95_TARGET_MS)
        check_latencies = load(
            base_url, cookies, lambda c: c.post(check, data=form, headers=headers), seconds
        )
        report("composer check", check_latencies, seconds, CHECK_P95_TARGET_MS)


if __name__ == "__main__":
    main()
