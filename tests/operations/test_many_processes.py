"""The real moving parts together, bounded to a couple of minutes, printing its figures.

PostgreSQL (the suite's test database, shared by every process), moto's S3 server, two
web processes under the production server (`bin/serve web`), two `manage.py worker`
processes and the Kinovi simulator with faults on (500s, lost create answers, every
webhook twice and late). Four members of two teams submit 100 videos over HTTP; one
worker is killed with SIGKILL mid-run and the other finishes its rows once their lease
runs out. Every video ends success or fail, none is created twice at Kinovi or charged
twice, the ledger adds up to what the simulator charged, and every output is in the bucket.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.storage import default_storage
from django.db import connection

from projects.models import Generation, LedgerEntry, Membership, Project, ReferenceAsset, Team
from tests.operations.servers import ROOT, free_port, logged_in, serving
from tests.plugins.simulator import API_KEY, start_simulator
from tests.plugins.storage import S3_BUCKET, S3_KEY_ID, S3_REGION, S3_SECRET

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

VIDEOS = 100
MEMBERS = {"ana": "north", "ben": "north", "cy": "north", "dee": "south"}
PASSWORD = "many-processes-password"
POLICY_MARKER = "forbidden"
START_BALANCE = 1_000_000
RUN_SECONDS = 150
LEASE_SECONDS = 5
PNG = (ROOT / "tests/fixtures/media/tiny.png").read_bytes()


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def members(settings, db):
    # The web processes check passwords with the default hasher, not the tests' fast one
    # (its hashes say their own iteration count: a low one keeps the set-up short).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    hasher = PBKDF2PasswordHasher()
    # A load of 100 submits, not members clicking: no budget and no per-member video limits.
    limits = {
        "default_member_budget": None,
        "submits_per_window": 32767,
        "queued_per_member": 32767,
    }
    teams = {
        slug: Team.objects.create(name=slug.title(), slug=slug, **limits)
        for slug in {"north", "south"}
    }
    people = {}
    for username, slug in MEMBERS.items():
        user = get_user_model().objects.create_user(username, f"{username}@example.com")
        user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        user.save()
        teams[slug].add_member(user, Membership.Role.MEMBER)
        project = Project.objects.create(team=teams[slug], owner=user, name=f"{username}'s")
        people[username] = (user, project)
    return people


def start_worker(environment, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "worker"],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


_QUOTES: dict[tuple, str] = {}


def submit(client: httpx.Client, project: Project, asset_id: int, n: int) -> httpx.Response:
    prompt = "@image1 walks in the rain" + (f" {POLICY_MARKER}" if n % 10 == 0 else "")
    shot = {
        "model": "seedance2-fast" if n % 2 else "seedance-20",
        "duration": "4",
        "aspect_ratio": "16:9",
        "prompt": prompt,
        "references": [str(asset_id)],
    }
    headers = {"HX-Request": "true", "X-CSRFToken": client.cookies["csrftoken"]}
    # The quote lock: the price the composer's check showed, signed (one per model).
    key = (id(client), project.pk, shot["model"])
    if key not in _QUOTES:
        checked = client.post(f"/projects/{project.pk}/compose/check/", data=shot, headers=headers)
        _QUOTES[key] = checked.text.split('name="quote" value="')[1].split('"')[0]
    return client.post(
        f"/projects/{project.pk}/compose/",
        data={**shot, "quote": _QUOTES[key], "idempotency_key": f"take-{n}"},
        headers=headers,
    )


def test_100_videos_through_two_web_processes_and_two_workers_one_killed(
    members, s3_storage, s3_server, tmp_path
):
    simulator, simulator_url = start_simulator(
        tmp_path / "simulator.log",
        "--waiting-seconds=0.3",
        "--generating-seconds=0.5",
        "--concurrency-limit=10",
        f"--balance={START_BALANCE}",
        f"--policy-marker={POLICY_MARKER}",
    )
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "KINOVI_", "STORAGE_", "PYTEST"))
    } | {
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "many-processes-secret-" + "k" * 40,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "DEBUG": "0",
        "VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "VENV_PYTHON": sys.executable,
        "WEB_PROCESSES": "2",
        "WEB_ACCESS_LOG": "",
        "STORAGE_BUCKET": S3_BUCKET,
        "STORAGE_ENDPOINT_URL": s3_server,
        "STORAGE_ACCESS_KEY_ID": S3_KEY_ID,
        "STORAGE_SECRET_ACCESS_KEY": S3_SECRET,
        "STORAGE_REGION": S3_REGION,
        "KINOVI_API_KEY": API_KEY,
        "KINOVI_BASE_URL": f"{simulator_url}/api/v1",
        "KINOVI_MAX_CONCURRENT_TASKS": "10",
        "KINOVI_POLL_SECONDS": "0.5",
        "KINOVI_RETRY_SECONDS": "0.2",
        "KINOVI_MAX_ATTEMPTS": "30",
        "KINOVI_TIMEOUT_SECONDS": "3",
        # A row being archived is leased for twice this: keep it short, for the kill.
        "KINOVI_DOWNLOAD_TIMEOUT_SECONDS": "5",
        "WORKER_POLL_SECONDS": "0.2",
        "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
        "WORKER_HEARTBEAT_SECONDS": "1",
    }
    (tmp_path / "var").mkdir()
    workers = []
    try:
        with serving(environment, tmp_path / "web.log") as base_url:
            started = time.monotonic()
            clients = {name: logged_in(base_url, name, PASSWORD) for name in MEMBERS}
            assets = {}
            for name, client in clients.items():
                answer = client.post(
                    "/library/upload/",
                    files={"file": ("still.png", PNG, "image/png")},
                    headers={
                        "X-Requested-With": "XMLHttpRequest",
                        "X-CSRFToken": client.cookies["csrftoken"],
                    },
                )
                assert answer.status_code in (200, 201), answer.text
                assets[name] = ReferenceAsset.objects.get(owner=members[name][0]).pk
            httpx.post(
                f"{simulator_url}/_control",
                json={
                    "error_rate": 0.1,
                    "lost_answer_rate": 0.05,
                    "duplicate_webhooks": 1,
                    "webhook_delay_seconds": 0.3,
                },
            ).raise_for_status()
            workers = [start_worker(environment, tmp_path / f"worker{i}.log") for i in (1, 2)]
            # ana queues the most, as one member queuing 30 takes would.
            takes = {"ana": range(0, 40), "ben": range(40, 65), "cy": range(65, 80)}
            takes["dee"] = range(80, VIDEOS)
            submit_times = []
            ready_at = time.monotonic()

            def submit_all(name: str) -> None:
                for n in takes[name]:
                    t = time.perf_counter()
                    answer = submit(clients[name], members[name][1], assets[name], n)
                    submit_times.append(time.perf_counter() - t)
                    assert answer.status_code == 200, answer.text[:500]

            with ThreadPoolExecutor(len(MEMBERS)) as pool:
                list(pool.map(submit_all, MEMBERS))  # each member submits in turn
            assert Generation.objects.count() == VIDEOS

            killed_at = None
            while True:
                finished = Generation.objects.filter(status__in=Generation.FINISHED_STATES).count()
                if killed_at is None and finished >= 30:
                    leased = Generation.objects.filter(claimed_by__contains=f":{workers[0].pid}")
                    killed_leases = leased.count()
                    workers[0].send_signal(signal.SIGKILL)
                    workers[0].wait()
                    killed_at = time.monotonic()
                if finished == VIDEOS:
                    break
                assert time.monotonic() - started < RUN_SECONDS, (
                    Counter(Generation.objects.values_list("status", flat=True)),
                    f"killed at {killed_at and killed_at - started:.1f} s",
                    list(
                        Generation.objects.exclude(status__in=Generation.FINISHED_STATES).values(
                            "pk", "status", "claimed_by", "claimed_until", "next_attempt_at"
                        )
                    ),
                )
                time.sleep(0.5)
            elapsed = time.monotonic() - ready_at
            readiness = httpx.get(f"{base_url}/readyz", timeout=10).json()
            simulated = httpx.get(f"{simulator_url}/_control").raise_for_status().json()
            for client in clients.values():
                client.close()  # no keep-alive connection holds the server's shutdown
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        simulator.terminate()
        simulator.wait(timeout=10)

    statuses = Counter(Generation.objects.values_list("status", flat=True))
    assert set(statuses) <= {"success", "fail"} and sum(statuses.values()) == VIDEOS
    assert statuses["fail"] == VIDEOS // 10  # the prompts with the policy marker
    task_ids = list(Generation.objects.values_list("task_id", flat=True))
    assert len(set(task_ids)) == VIDEOS  # each its own task
    assert sum(simulated["tasks"].values()) == VIDEOS  # and none created twice at Kinovi
    kinds = Counter(LedgerEntry.objects.values_list("generation_id", "kind"))
    assert all(count == 1 for count in kinds.values())  # one reserve, one final row each
    assert Counter(kind for _, kind in kinds) == {
        "reserve": VIDEOS,
        "settle": statuses["success"],
        "refund": statuses["fail"],
    }
    for generation in Generation.objects.filter(status="success"):
        assert generation.output_file.name and default_storage.exists(generation.output_file.name)
    charged = START_BALANCE - simulated["settings"]["balance"]
    assert LedgerEntry.objects.total_credits() == charged
    print(
        f"\n{VIDEOS} videos ({statuses['success']} success, {statuses['fail']} fail) done "
        f"{elapsed:.1f} s after the first submit ({ready_at - started:.1f} s to start, log in "
        f"and upload); submit p50 {sorted(submit_times)[VIDEOS // 2] * 1000:.0f} ms, "
        f"max {max(submit_times) * 1000:.0f} ms; worker 1 killed holding {killed_leases} "
        f"lease(s) at {killed_at - ready_at:.1f} s; "
        f"{charged} credits charged = settled in the ledger; readiness {readiness['status']}"
    )
