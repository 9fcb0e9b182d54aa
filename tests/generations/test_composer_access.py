"""Only the project's owner reaches the composer and the videos: everyone else gets 404.

The URL list comes from the URLconf: a new endpoint of the composer or of a video
can't skip this test.
"""

import pytest
from django.urls import URLResolver, get_resolver, reverse

from projects.models import Generation
from projects.views import generations as views
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post

pytestmark = pytest.mark.django_db


def composer_urls(project, generation) -> list[tuple[str, str]]:
    """(method, url) of every URL served by projects/views/generations.py."""
    urls = []
    for pattern in _patterns(get_resolver()):
        if pattern.callback.__module__ != views.__name__:
            continue
        name = pattern.name
        args = [generation.pk] if "generation_id" in str(pattern.pattern) else [project.pk]
        method = (
            "GET"
            if name
            in {"project_detail", "generation_detail", "composer_picker", "generation_download"}
            else "POST"
        )
        urls.append((method, reverse(name, args=args)))
    assert len(urls) >= 9
    return urls


def _patterns(resolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern)
        else:
            yield pattern


@pytest.fixture
def generation(project, alice, images):
    return Generation.objects.create(
        project=project,
        created_by=alice,
        model="seedance-20",
        prompt="@image1",
        status="success",
        output_file="outputs/v.mp4",
        last_frame_file="frames/f.png",
    )


@pytest.mark.parametrize("who", ["bob", "erin", "charlie"])
def test_everyone_but_the_owner_gets_404(request, who, project, generation, images):
    client = request.getfixturevalue(f"{who}_client")
    data = composer_post(images[:1])
    for method, url in composer_urls(project, generation):
        for htmx in (False, True):
            headers = {"HX-Request": "true"} if htmx else {}
            if method == "GET":
                response = client.get(url, headers=headers)
            else:
                response = client.post(url, data, headers=headers)
            assert response.status_code == 404, (who, method, url, htmx)
    assert Generation.objects.count() == 1


def test_the_owner_reaches_every_url(alice_client, project, generation, images):
    for method, url in composer_urls(project, generation):
        if method == "GET" and "download" not in url:
            assert alice_client.get(url).status_code == 200, url


def test_anonymous_users_are_sent_to_log_in(client, project, generation):
    for method, url in composer_urls(project, generation):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 302 and "/login/" in response.url, url


def test_post_only_urls_refuse_get(alice_client, project, generation):
    for method, url in composer_urls(project, generation):
        if method == "POST":
            assert alice_client.get(url).status_code == 405, url
