"""The frame around every page: navigation, messages, favicon, log in and out."""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from projects.models import Project
from tests.plugins.users import PASSWORD

FAVICON = '<link rel="icon" href="/static/img/favicon.svg"'


def _project(user, team, **fields) -> Project:
    return Project.objects.create(team=team, owner=user, name="Pilot", **fields)


def test_it_highlights_projects_on_every_project_page(bob_client, bob, team):
    project = _project(bob, team)
    for url in (reverse("project_list"), reverse("project_detail", args=[project.pk])):
        html = bob_client.get(url).content.decode()
        assert re.search(r'<a href="/" aria-current="page">Projects</a>', html), url
        assert 'aria-current="page">Library' not in html


def test_it_says_just_now_for_a_project_updated_this_minute(bob_client, bob, team):
    _project(bob, team)
    html = bob_client.get(reverse("project_list")).content.decode()
    assert "updated just now" in html
    assert "0\xa0minutes" not in html and "0 minutes" not in html


def test_it_says_how_long_ago_a_project_was_updated(bob_client, bob, team):
    project = _project(bob, team)
    Project.objects.filter(pk=project.pk).update(updated_at=timezone.now() - timedelta(hours=3))
    html = bob_client.get(reverse("project_list")).content.decode()
    assert "updated 3\xa0hours ago" in html


def test_it_confirms_logging_out(bob_client):
    response = bob_client.post(reverse("logout"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are logged out." in html
    assert "_auth_user_id" not in bob_client.session


def test_it_refuses_to_log_out_on_get(bob_client):
    assert bob_client.get(reverse("logout")).status_code == 405


def test_it_puts_the_cursor_in_the_password_field_after_a_wrong_password(client, bob):
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<input type="text" name="username" autofocus', html)

    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD + "x"})
    html = response.content.decode()
    assert "correct username and password" in html
    password = re.search(r'<input type="password" name="password"[^>]*>', html).group(0)
    username = re.search(r'<input type="text" name="username"[^>]*>', html).group(0)
    assert "autofocus" in password
    assert "autofocus" not in username


def test_it_switches_team_with_a_button_not_on_change(bob_client, bob, team, other_team):
    other_team.add_member(bob)
    html = bob_client.get(reverse("project_list")).content.decode()
    form = re.search(r'<form[^>]*class="team-switch".*?</form>', html, re.S).group(0)
    assert "onchange" not in html
    assert '<button type="submit" class="button small">Switch</button>' in form


def test_it_folds_the_header_into_a_menu_button(bob_client):
    html = bob_client.get(reverse("project_list")).content.decode()
    assert re.search(
        r'<button type="button" class="menu-toggle" aria-expanded="false" '
        r'aria-controls="topbar-menu"',
        html,
    )
    assert 'id="topbar-menu"' in html


def test_it_links_the_favicon_in_the_admin(client, db):
    assert FAVICON in client.get(reverse("admin:login")).content.decode()
    staff = get_user_model().objects.create_user("root", password="x", is_staff=True)
    client.force_login(staff)
    assert FAVICON in client.get(reverse("admin:index")).content.decode()


def test_it_links_the_favicon_on_the_login_page(client, db):
    assert FAVICON in client.get(reverse("login")).content.decode()
