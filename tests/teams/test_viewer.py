"""A viewer sees the team library and shared characters, and cannot upload, compose or spend."""

import pytest
from django.urls import reverse

from projects.models import Character, Generation, LedgerEntry, Membership, Project, ReferenceAsset
from tests.generations.composer_fixtures import composer_post
from tests.library.conftest import fixture_file, make_asset, make_character

REASON = "Viewers see the team"


@pytest.fixture(autouse=True)
def _files_in_tmp(local_storage):
    return local_storage


def test_a_viewer_sees_the_team_library_and_characters(vera_client, alice, team):
    make_asset(alice, team, name="shared-frame", shared=True)
    make_asset(alice, team, name="alice-only")
    make_character(team, alice, owner=None, handle="mira")
    library = vera_client.get(reverse("library")).content.decode()
    assert "shared-frame" in library and "alice-only" not in library
    assert 'data-testid="viewer-notice"' in library
    assert 'action="/library/upload/"' not in library
    assert "@mira" in vera_client.get(reverse("character_list")).content.decode()


@pytest.mark.parametrize("headers", [{}, {"X-Requested-With": "XMLHttpRequest"}])
def test_a_viewer_cannot_upload(vera_client, headers):
    response = vera_client.post(
        reverse("asset_upload"), {"file": fixture_file("tiny.png")}, headers=headers
    )
    assert response.status_code == 403
    assert REASON in response.content.decode()
    assert not ReferenceAsset.objects.exists()


def test_a_viewer_cannot_start_a_project(vera_client, team):
    page = vera_client.get(reverse("project_list")).content.decode()
    assert "Create project" not in page
    response = vera_client.post(reverse("project_list"), {"name": "Sneaky"})
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_a_viewer_cannot_make_characters(vera_client, alice, team):
    character = make_character(team, alice, owner=None, handle="mira")
    assert vera_client.get(reverse("character_create")).status_code == 403
    assert vera_client.post(reverse("character_copy", args=[character.pk])).status_code == 403
    assert Character.objects.count() == 1


def test_a_member_made_viewer_can_no_longer_spend(bob_client, bob, team):
    project = Project.objects.create(team=team, owner=bob, name="Pilot")
    image = make_asset(bob, team)
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    data = composer_post([image])
    for name in ("generation_submit", "composer_check"):
        response = bob_client.post(reverse(name, args=[project.pk]), data)
        assert response.status_code == 403, name
        assert REASON in response.content.decode()
    assert not Generation.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_viewer_cannot_rerun_or_continue_an_old_video(bob_client, bob, team):
    project = Project.objects.create(team=team, owner=bob, name="Pilot")
    video = Generation.objects.create(
        project=project, created_by=bob, model="seedance-20", prompt="x", status="success"
    )
    Membership.objects.filter(user=bob).update(role=Membership.Role.VIEWER)
    for name in ("generation_rerun", "generation_continue"):
        assert bob_client.post(reverse(name, args=[video.pk])).status_code == 403, name
    assert Generation.objects.count() == 1
