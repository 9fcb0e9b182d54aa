"""Migration 0004 on rows made before it: every project gets an owner, every submitted
generation a callback token of the new kind, every reference what it was sent as."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from projects.models import Generation, GenerationReference, Project

BEFORE = [("projects", "0003_credits")]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def old_apps():
    """The app registry as of 0003; the database is migrated forward again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor.loader.project_state(BEFORE).apps
    _migrate_to_latest()


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_it_gives_projects_their_creator_or_an_heir_and_keeps_generations_working(old_apps):
    User = old_apps.get_model("auth", "User")
    Team = old_apps.get_model("projects", "Team")
    Membership = old_apps.get_model("projects", "Membership")
    OldProject = old_apps.get_model("projects", "Project")
    OldGeneration = old_apps.get_model("projects", "Generation")
    Asset = old_apps.get_model("projects", "ReferenceAsset")
    OldReference = old_apps.get_model("projects", "GenerationReference")

    alice, erin, bob = (User.objects.create(username=name) for name in ("alice", "erin", "bob"))
    team = Team.objects.create(name="Acme", slug="acme")
    Membership.objects.create(team=team, user=bob, role="member")
    Membership.objects.create(team=team, user=erin, role="admin")
    Membership.objects.create(team=team, user=alice, role="member")
    hers = OldProject.objects.create(team=team, name="Alice's", created_by=alice)
    orphan = OldProject.objects.create(team=team, name="Creator gone", created_by=None)
    asset = Asset.objects.create(
        owner=alice,
        team=team,
        kind="image",
        name="portrait",
        file="refs/p.png",
        url="https://media.example/refs/p.png",
        mime_type="image/png",
        size_bytes=100,
        sha256="a" * 64,
    )
    queued = OldGeneration.objects.create(
        project=hers, model="seedance-20", prompt="@image1 waves", status="queued"
    )
    draft = OldGeneration.objects.create(project=hers, model="seedance-20", prompt="a draft")
    OldReference.objects.create(generation=queued, asset=asset, kind="image", position=1)

    _migrate_to_latest()

    owners = dict(Project.objects.values_list("pk", "owner__username"))
    assert owners == {hers.pk: "alice", orphan.pk: "erin"}  # a team admin inherits
    generation = Generation.objects.get(pk=queued.pk)
    assert Generation.objects.for_callback_token(generation.callback_token()) == generation
    assert Generation.objects.get(pk=draft.pk).callback_token_hash == ""
    reference = GenerationReference.objects.get()
    assert (reference.url, reference.format, reference.label, reference.token) == (
        "https://media.example/refs/p.png",
        "image/png",
        "portrait",
        "@image1",
    )
