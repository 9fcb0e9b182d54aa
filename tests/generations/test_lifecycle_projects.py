"""Per-user projects: list, create, settings (name, description, defaults), archive."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Generation, Project

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot(alice, team):
    return Project.objects.create(team=team, owner=alice, name="Pilot", description="The pilot")


def test_it_lists_only_the_users_own_projects(alice_client, erin_client, bob, pilot, team):
    Project.objects.create(team=team, owner=bob, name="Bob's spot")
    page = alice_client.get(reverse("project_list")).content.decode()
    assert "Pilot" in page and "Bob&#x27;s spot" not in page
    # A team admin doesn't see members' projects either (only their costs, in reports).
    admin_page = erin_client.get(reverse("project_list")).content.decode()
    assert "Pilot" not in admin_page and "Bob&#x27;s spot" not in admin_page


def test_it_creates_a_project_owned_by_its_creator(bob_client, bob, team):
    response = bob_client.post(reverse("project_list"), {"name": "Spring spot"})
    project = Project.objects.get(name="Spring spot")
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert (project.owner, project.team) == (bob, team)
    assert (project.default_model, project.default_duration, project.default_aspect_ratio) == (
        "seedance-20",
        5,
        "16:9",
    )


def test_it_saves_the_name_description_and_defaults(alice_client, pilot):
    url = reverse("project_settings", args=[pilot.pk])
    assert 'name="default_model"' in alice_client.get(url).content.decode()
    response = alice_client.post(
        url,
        {
            "name": "Pilot, final",
            "description": "Night shots",
            "default_model": "seedance2-fast",
            "default_duration": "10",
            "default_aspect_ratio": "9:16",
            "default_upscale_4k": "on",
        },
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.name, pilot.description) == ("Pilot, final", "Night shots")
    assert (
        pilot.default_model,
        pilot.default_duration,
        pilot.default_aspect_ratio,
        pilot.default_upscale_4k,
    ) == ("seedance2-fast", 10, "9:16", True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("default_model", "seedance-99"),
        ("default_duration", "3"),
        ("default_duration", "16"),
        ("default_duration", "ten"),
        ("default_aspect_ratio", "2:1"),
        ("name", ""),
        ("name", "x" * 201),
    ],
)
def test_it_refuses_values_kinovi_does_not_take(alice_client, pilot, field, value):
    data = {
        "name": "Pilot",
        "default_model": "seedance-20",
        "default_duration": "5",
        "default_aspect_ratio": "16:9",
        field: value,
    }
    response = alice_client.post(reverse("project_settings", args=[pilot.pk]), data)
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    pilot.refresh_from_db()
    assert (pilot.name, pilot.default_duration) == ("Pilot", 5)


def test_it_archives_apart_and_restores(alice_client, alice, pilot):
    Generation.objects.create(project=pilot, created_by=alice, model="seedance-20", prompt="x")
    response = alice_client.post(reverse("project_archive", args=[pilot.pk]))
    assert response["Location"] == reverse("project_list")
    pilot.refresh_from_db()
    assert pilot.is_archived
    page = alice_client.get(reverse("project_list")).content.decode()
    link = f'href="{reverse("project_detail", args=[pilot.pk])}"'
    active, archived = page.split('data-testid="projects-archived"')
    assert link not in active and link in archived
    assert pilot.generations.count() == 1  # kept
    assert alice_client.get(reverse("project_detail", args=[pilot.pk])).status_code == 200
    alice_client.post(reverse("project_unarchive", args=[pilot.pk]))
    pilot.refresh_from_db()
    assert not pilot.is_archived


def test_it_archives_only_by_post(alice_client, pilot):
    assert alice_client.get(reverse("project_archive", args=[pilot.pk])).status_code == 405
    pilot.refresh_from_db()
    assert not pilot.is_archived


def test_it_lists_projects_in_a_constant_number_of_queries(alice_client, alice, team):
    def page_queries():
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(reverse("project_list")).status_code == 200
        return len(queries)

    Project.objects.create(team=team, owner=alice, name="One")
    Project.objects.create(team=team, owner=alice, name="Old").archive()
    few = page_queries()
    Project.objects.bulk_create(Project(team=team, owner=alice, name=f"P{i}") for i in range(30))
    for project in Project.objects.filter(name__startswith="P")[:10]:
        project.archive()
    assert page_queries() == few <= 10
