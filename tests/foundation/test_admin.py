from django.contrib.auth import get_user_model
from django.urls import reverse

from projects.models import Membership, Team


def test_it_lets_staff_create_a_team_with_members(client, bob):
    staff = get_user_model().objects.create_user("root", password="x", is_staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    response = client.post(
        reverse("admin:projects_team_add"),
        {
            "name": "Initech",
            "slug": "initech",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": bob.pk,
            "memberships-0-role": "admin",
        },
    )
    assert response.status_code == 302, response.content
    team = Team.objects.get(slug="initech")
    assert Membership.objects.get(team=team).user == bob


def test_it_keeps_members_out_of_the_admin(bob_client):
    response = bob_client.get(reverse("admin:projects_team_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_never_lets_staff_replace_an_assets_file_past_the_checks(client, alice, team):
    from tests.library.conftest import make_asset

    staff = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(staff)
    asset = make_asset(alice, team)
    response = client.get(reverse("admin:projects_referenceasset_change", args=[asset.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="name"' in html
    assert 'name="file"' not in html
    assert 'name="thumbnail"' not in html


def test_it_names_the_app_in_the_admin_header_and_title(client, db):
    staff = get_user_model().objects.create_user("root", password="x", is_staff=True)
    client.force_login(staff)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Kinovi Web administration" in html
    assert "| Kinovi Web admin</title>" in html
    assert "Django administration" not in html


def test_it_shows_staff_the_models_switched_off_but_leaves_switching_to_the_members_page(
    client, alice, team
):
    from projects.models import ModelAvailability

    ModelAvailability.objects.set_off({"seedance2-5"}, team=team, actor=alice)
    ModelAvailability.objects.set_off({"seedance2.0-mini"}, actor=alice)
    staff = get_user_model().objects.create_superuser("root", password="x")
    client.force_login(staff)
    listing = client.get(reverse("admin:projects_modelavailability_changelist"))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert "seedance2-5" in html and "Acme Films" in html and "seedance2.0-mini" in html
    # Switching goes through the audited Members page: no add, change or delete here.
    assert client.get(reverse("admin:projects_modelavailability_add")).status_code == 403
    hidden = ModelAvailability.objects.get(team=team)
    delete = reverse("admin:projects_modelavailability_delete", args=[hidden.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ModelAvailability.objects.filter(pk=hidden.pk).exists()
