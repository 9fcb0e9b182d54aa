from django.urls import reverse

from projects.models import Generation, Project, Team


def test_it_sends_anonymous_users_to_login(client, db):
    response = client.get(reverse("project_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_explains_what_to_do_without_a_team(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("loner", password="x"))
    response = client.get(reverse("project_list"))
    assert response.status_code == 403
    assert b"not in a team yet" in response.content


def test_it_lists_only_the_current_teams_projects(bob_client, bob, team, other_team):
    Project.objects.create(team=team, name="Acme trailer", owner=bob)
    Project.objects.create(team=other_team, name="Globex secret", owner=bob)
    response = bob_client.get(reverse("project_list"))
    assert b"Acme trailer" in response.content
    assert b"Globex secret" not in response.content


def test_it_creates_a_project_in_the_current_team(bob_client, bob, team):
    response = bob_client.post(reverse("project_list"), {"name": "Spring spot"})
    project = Project.objects.get(name="Spring spot")
    assert response.status_code == 302
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert (project.team, project.owner) == (team, bob)


def test_it_shows_an_error_and_creates_nothing_without_a_name(bob_client):
    response = bob_client.post(reverse("project_list"), {"name": ""})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not Project.objects.exists()


def test_it_hides_another_teams_project(charlie_client, bob, team):
    project = Project.objects.create(team=team, name="Acme trailer", owner=bob)
    response = charlie_client.get(reverse("project_detail", args=[project.pk]))
    assert response.status_code == 404


def test_it_shows_a_project_with_its_generations(bob_client, bob, team):
    project = Project.objects.create(team=team, name="Acme trailer", owner=bob)
    Generation.objects.create(project=project, created_by=bob, model="seedance-20", prompt="x")
    response = bob_client.get(reverse("project_detail", args=[project.pk]))
    assert response.status_code == 200
    assert b"seedance-20" in response.content


def test_it_lists_projects_in_a_constant_number_of_queries(
    bob_client, bob, team, django_assert_num_queries
):
    def page_queries():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert bob_client.get(reverse("project_list")).status_code == 200
        return len(ctx.captured_queries)

    Project.objects.create(team=team, name="One", owner=bob)
    few = page_queries()
    Project.objects.bulk_create(Project(team=team, name=f"P{i}", owner=bob) for i in range(30))
    assert page_queries() == few


def test_it_switches_to_another_team_of_the_user(bob_client, bob, other_team):
    other_team.add_member(bob)
    Project.objects.create(team=other_team, name="Globex spot", owner=bob)
    response = bob_client.post(reverse("switch_team"), {"team": other_team.pk, "next": "/"})
    assert response.status_code == 302
    assert b"Globex spot" in bob_client.get(reverse("project_list")).content


def test_it_refuses_to_switch_to_a_team_the_user_is_not_in(bob_client, other_team):
    response = bob_client.post(reverse("switch_team"), {"team": other_team.pk})
    assert response.status_code == 404
    assert Team.objects.count() == 2
