"""What the review tests share: alice's project with finished videos; viola, a teammate
it is shared with as a viewer (`shared_viewer`), and rex, one it is shared with as a
reviewer; the users plugin's people besides (bob a teammate it is not shared with, erin a
team admin, charlie another team).

The plugin's `vera` is a team viewer (a role in the team); `shared_viewer` is a member
of the team whom the project's owner shared it with as a viewer: a different person.
"""

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


def _teammate(team, username: str):
    user = _user(username)
    team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def shared_viewer(team):
    """viola, a member of the team; `shared_viewer_client` shares the project with her."""
    return _teammate(team, "viola")


@pytest.fixture
def rex(team):
    """rex, a member of the team; `rex_client` shares the project with him as a reviewer."""
    return _teammate(team, "rex")


@pytest.fixture
def shared_viewer_client(shared_viewer, project):
    share(project, shared_viewer, Role.VIEWER)
    return _client_of(shared_viewer)


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
