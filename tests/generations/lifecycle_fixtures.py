"""What the life-cycle, worker and webhook tests share.

`make_generation(...)`: a draft of alice's with one image reference and the exact request
it will send; `.submit()` it to queue it. `kinovi(...)`: the app pointed at the simulator
(reset per test), webhooks and reference files served by the live app. `run_worker(...)`:
the worker's loop, in this process, until a condition holds.
"""

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from projects import worker
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia, build_request
from projects.models import Generation, GenerationReference, Project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "media"
S = Generation.Status


@pytest.fixture
def project(alice, team):
    return Project.objects.create(team=team, owner=alice, name="Pilot")


def create_draft(project, *, image_url: str, prompt: str = "@image1 walks in the rain", **spec):
    """A draft generation with one image reference and its request, as the composer stores it."""
    reference = ReferenceMedia(Kind.IMAGE, image_url, format="image/png", label="tiny")
    built = build_request(
        GenerationSpec(
            model=spec.get("model", "seedance-20"),
            prompt=prompt,
            references=[reference],
            duration=spec.get("duration", 5),
            aspect_ratio=spec.get("aspect_ratio", "16:9"),
            upscale_4k=spec.get("upscale_4k", False),
        )
    )
    assert built.ok, built.errors
    generation = Generation.objects.create(
        project=project,
        created_by=project.owner,
        model=built.payload["model"],
        prompt=prompt,
        prompt_sent=built.prompt,
        duration=spec.get("duration", 5),
        aspect_ratio=spec.get("aspect_ratio", "16:9"),
        upscale_4k=spec.get("upscale_4k", False),
        request_payload=built.payload,
    )
    GenerationReference.objects.create(
        generation=generation,
        kind=Kind.IMAGE,
        position=1,
        url=image_url,
        format="image/png",
        label="tiny",
    )
    return generation


@pytest.fixture
def make_generation(project):
    """A draft of alice's (submit() it to queue it); the image needn't exist."""

    def make(image_url: str = "http://127.0.0.1:9/refs/tiny.png", **spec) -> Generation:
        return create_draft(project, image_url=image_url, **spec)

    return make


@pytest.fixture
def kinovi(settings, fresh_kinovi_simulator, live_server, local_storage):
    """The app talking to the simulator, reachable by it (webhooks, reference files).

    Fast timings: polls every 50 ms, retries after 10 ms.
    """
    settings.KINOVI_BASE_URL = fresh_kinovi_simulator.base_url
    settings.KINOVI_API_KEY = fresh_kinovi_simulator.api_key
    settings.SITE_URL = live_server.url
    settings.KINOVI_POLL_SECONDS = 0.05
    settings.KINOVI_RETRY_SECONDS = 0.01
    (local_storage / "refs").mkdir()
    shutil.copy(FIXTURES / "tiny.png", local_storage / "refs" / "tiny.png")
    fresh_kinovi_simulator.image_url = f"{live_server.url}/media/refs/tiny.png"
    return fresh_kinovi_simulator


def run_worker(until: Callable[[], bool], *, timeout: float = 30.0, worker_id: str = "w1"):
    """Run the worker's loop here until `until()` holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the worker didn't get there in time"
        if not worker.work_once(worker_id):
            time.sleep(0.02)


def statuses(*generations) -> list[str]:
    return [Generation.objects.get(pk=g.pk).status for g in generations]
