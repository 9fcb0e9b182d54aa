"""Site-wide plumbing: the favicon every browser asks for, one log line per 4xx."""

import logging


def test_favicon_ico_leads_to_the_apps_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("img/favicon.svg")


def test_a_404_is_not_logged_by_django_request(client, caplog):
    # runserver logs the request line (django.server); a second "Not Found" line is noise.
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert logging.getLogger("django.request").isEnabledFor(logging.ERROR)
