"""What the review tests share: alice's project with finished videos, a viewer (vera) and
a reviewer (rex) it is shared with, bob a teammate it is not shared with, erin a team
admin, charlie another team."""

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from projects.kinovi.references import Kind
from projects.models import Generation, GenerationReference, Membership, Project
from projects.models.review import Role, share
from tests.plugins.users import _client_of, _user

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "media"
SECRET_PROMPT = "Mira walks through neon rain, secret-prompt-words"


@pytest.fixture
def project(alice, team):
    return Project.objects.create(team=team, owner=alice, name="Pilot")


@pytest.fixture
def vera(team):
    user = _user("vera")
    team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def rex(team):
    user = _user("rex")
    team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def vera_client(vera, project):
    share(project, vera, Role.VIEWER)
    return _client_of(vera)


@pytest.fixture
def rex_client(rex, project):
    share(project, rex, Role.REVIEWER)
    return _client_of(rex)


def make_take(project, n: int = 1, *, files: bool = False, **fields) -> Generation:
    """A finished video of the project: 5 s, 200 credits, seed 1000 + n."""
    video = poster = ""
    if files:
        video = default_storage.save(
            f"outputs/take{n}.mp4", ContentFile((FIXTURES / "one_second.mp4").read_bytes())
        )
        poster = default_storage.save(f"posters/take{n}.webp", ContentFile(b"RIFF0000WEBP"))
    values = {
        "project": project,
        "created_by": project.owner,
        "model": "seedance-20",
        "prompt": f"{SECRET_PROMPT} {n}",
        "prompt_sent": f"{SECRET_PROMPT} {n}",
        "status": Generation.Status.SUCCESS,
        "duration": 5,
        "credits_estimated": 200,
        "credits_used": 200,
        "seed": 1000 + n,
        "output_file": video or f"outputs/take{n}.mp4",
        "poster_file": poster or f"posters/take{n}.webp",
    }
    values.update(fields)
    generation = Generation.objects.create(**values)
    GenerationReference.objects.create(
        generation=generation,
        kind=Kind.IMAGE,
        position=1,
        url="http://testserver/media/refs/secret-reference.png",
        label="secret-reference-label",
        handle="mira",
    )
    return generation


@pytest.fixture
def takes(project):
    return [make_take(project, n) for n in (1, 2, 3)]
