"""403, 404 and 500 are pages of the app: its layout, the reason, a way back."""

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.views.errors import server_error
from tests.library.conftest import make_asset, make_character

FAVICON = '<link rel="icon" href="/static/img/favicon.svg"'


def _assert_app_page(response, status: int, reason: str, back: str):
    html = response.content.decode()
    assert response.status_code == status
    assert 'class="topbar"' in html
    assert FAVICON in html
    assert f'<p class="reason" data-testid="error-reason">{reason}</p>' in html
    assert f'href="{back}"' in html


def test_it_gives_the_reason_a_view_forbids(bob_client, alice, team):
    character = make_character(team, alice, owner=None)
    response = bob_client.get(f"/library/characters/{character.pk}/edit/")
    _assert_app_page(
        response,
        403,
        "Only its creator or a team admin can change this character.",
        reverse("character_list"),
    )
    assert "<title>Not allowed · Kinovi Web</title>" in response.content.decode()


def test_it_says_what_was_not_found_without_saying_whose(bob_client, alice, team):
    hidden = make_asset(alice, team)
    response = bob_client.get(f"/library/assets/{hidden.pk}/")
    _assert_app_page(
        response,
        404,
        "This reference asset does not exist, or it is not yours to see.",
        reverse("library"),
    )


def test_it_answers_an_unknown_address_with_the_apps_404(bob_client):
    response = bob_client.get("/no/such/page/")
    _assert_app_page(response, 404, "There is no page at this address.", reverse("project_list"))


def test_it_shows_the_404_page_to_visitors_who_are_not_logged_in(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert FAVICON in response.content.decode()
    assert "There is no page at this address." in response.content.decode()


def test_it_draws_the_500_page_without_the_database(db):
    request = RequestFactory().get("/library/")
    with CaptureQueriesContext(connection) as queries:
        response = server_error(request)
    assert len(queries) == 0
    html = response.content.decode()
    assert response.status_code == 500
    assert FAVICON in html
    assert "Something went wrong" in html
    assert 'href="/"' in html


@pytest.mark.urls("tests.foundation.failing_urls")
def test_it_answers_a_crash_with_the_500_page(bob):
    client = Client(raise_request_exception=False)
    client.force_login(bob)
    response = client.get("/crash/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_it_styles_the_csrf_failure(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post(reverse("project_list"), {"name": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert FAVICON in html
    assert "This page expired" in html


def test_it_answers_a_bad_request_with_the_apps_400(client, db):
    response = client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    html = response.content.decode()
    assert FAVICON in html
    assert "The request could not be understood." in html
