"""Projects are per user: every project and generation URL is 404 to anyone but the owner.

The URL list is read from the URLconf, so a new endpoint can't skip this test.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import URLPattern, URLResolver, get_resolver

from projects.kinovi.client import TaskInfo, TaskStatus, VideoOutput
from projects.models.generation import StoredOutput
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import FIXTURES, create_draft

OBJECT_KWARGS = {"project_id", "generation_id"}


def _patterns(resolver=None, prefix=""):
    """(name, route template, kwarg names) of every URL, nested includes too."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield entry.name, route, set(entry.pattern.converters)


OWNED_URLS = sorted(
    (name, route, kwargs) for name, route, kwargs in _patterns() if kwargs & OBJECT_KWARGS
)


def test_the_url_list_covers_the_project_pages():
    names = {name for name, _, _ in OWNED_URLS}
    assert {"project_detail", "project_settings", "project_archive", "project_unarchive"} <= names


@pytest.fixture
def alices_urls(project, local_storage):
    """Every owned URL, filled in with alice's project and a finished generation of hers."""
    generation = create_draft(project, image_url="http://127.0.0.1:9/refs/tiny.png")
    generation.submit()
    generation.start_dispatch()
    generation.accept("task_1")
    stored = StoredOutput(
        video=default_storage.save(
            "outputs/v.mp4", ContentFile((FIXTURES / "one_second.mp4").read_bytes())
        ),
        poster=default_storage.save(
            "posters/v.png", ContentFile((FIXTURES / "tiny.png").read_bytes())
        ),
        last_frame=default_storage.save(
            "frames/v.png", ContentFile((FIXTURES / "tiny.png").read_bytes())
        ),
    )
    output = VideoOutput("https://cdn.kinovi.test/v.mp4", 64, 64)
    generation.apply(
        TaskInfo("task_1", "seedance-20", TaskStatus.SUCCESS, 200, outputs=[output]),
        stored,
    )
    values = {"project_id": project.pk, "generation_id": generation.pk}
    urls = []
    for name, route, kwargs in OWNED_URLS:
        missing = kwargs - set(values)
        assert not missing, f"{name}: give this test a value for {missing}"
        url = "/" + route
        for kwarg in kwargs:
            url = re.sub(rf"<(\w+:)?{kwarg}>", str(values[kwarg]), url)
        urls.append((name, url))
    return urls


def _answers(client, url) -> list[int]:
    """The GET answer, and the POST answer when the view only takes POST."""
    got = client.get(url).status_code
    return [got, client.post(url).status_code] if got == 405 else [got]


@pytest.mark.parametrize("outsider", ["bob_client", "erin_client", "charlie_client"])
def test_nobody_but_the_owner_reaches_a_project_url(request, alices_urls, alice_client, outsider):
    client = request.getfixturevalue(outsider)
    for name, url in alices_urls:
        assert 404 in _answers(client, url), f"{outsider} reached {name} ({url})"
        assert 404 not in _answers(alice_client, url), f"alice can't reach {name} ({url})"
