"""What the composer tests share: alice's project, her files, a character, a post."""

import pytest

from projects.models import Project
from tests.library.conftest import make_asset, make_character


@pytest.fixture
def project(alice, team):
    return Project.objects.create(team=team, owner=alice, name="Pilot")


@pytest.fixture
def images(alice, team):
    return [make_asset(alice, team, name=f"frame {n}") for n in (1, 2)]


@pytest.fixture
def video(alice, team):
    return make_asset(
        alice,
        team,
        kind="video",
        name="motion",
        mime_type="video/mp4",
        duration=4.0,
        url="http://testserver/media/refs/motion.mp4",
        thumbnail_url="",
    )


@pytest.fixture
def audio(alice, team):
    return make_asset(
        alice,
        team,
        kind="audio",
        name="theme",
        mime_type="audio/mpeg",
        duration=3.0,
        url="http://testserver/media/refs/theme.mp3",
        thumbnail_url="",
    )


@pytest.fixture
def mira(alice, team):
    return make_character(team, alice, owner=alice, handle="mira", images=2)


def composer_post(references, **fields) -> dict:
    """A composer form as the browser posts it: 5 s standard 16:9 unless told otherwise."""
    data = {
        "model": "seedance-20",
        "duration": "5",
        "aspect_ratio": "16:9",
        "prompt": "@image1 walks through the rain",
        "idempotency_key": "key-1",
        "references": [str(getattr(ref, "pk", ref)) for ref in references],
    }
    data.update(fields)
    if data.get("upscale_4k") is False:
        del data["upscale_4k"]
    return data
