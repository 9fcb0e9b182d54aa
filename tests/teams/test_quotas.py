"""The team's storage quota and the per-member upload rate, over HTTP: refused with the
reason, before the body is read where its Content-Length tells."""

import pytest
from django.urls import reverse

from projects.models import ReferenceAsset
from tests.library.conftest import fixture_file, make_asset
from tests.library.test_hostile_size import XHR, _post_declaring

MB = 2**20


@pytest.fixture(autouse=True)
def _files_in_tmp(local_storage):
    return local_storage


@pytest.fixture
def nearly_full(team, alice):
    """A 10 MB quota with 9.5 MB of it used."""
    team.storage_quota_mb = 10
    team.save()
    make_asset(alice, team, size_bytes=int(9.5 * MB))
    return team


def test_the_library_shows_the_teams_storage(alice_client, nearly_full):
    html = alice_client.get(reverse("library")).content.decode()
    assert "Team storage: 9.5\xa0MB of 10.0\xa0MB used." in html


def test_an_upload_over_the_quota_is_refused_unread(bob_client, nearly_full):
    response = _post_declaring(bob_client, reverse("asset_upload"), 3 * MB, headers=XHR)
    assert response.status_code == 413
    assert response.content.decode().startswith(
        "The team's storage is full: 9.5 MB of 10.0 MB used, and this upload needs 2.0 MB."
    )
    assert ReferenceAsset.objects.count() == 1


def test_a_file_over_the_quota_is_refused_by_its_real_size(bob_client, nearly_full):
    nearly_full.storage_quota_mb = 9
    nearly_full.save()
    response = bob_client.post(
        reverse("asset_upload"), {"file": fixture_file("tiny.png")}, headers=XHR
    )
    assert response.status_code == 413
    assert "The team's storage is full" in response.content.decode()
    assert ReferenceAsset.objects.count() == 1


def test_within_the_quota_an_upload_goes_through(bob_client, nearly_full):
    response = bob_client.post(
        reverse("asset_upload"), {"file": fixture_file("tiny.png")}, headers=XHR
    )
    assert response.status_code == 201
    assert ReferenceAsset.objects.count() == 2


def test_the_plain_form_shows_the_reason_in_the_library(bob_client, nearly_full):
    response = _post_declaring(bob_client, reverse("asset_upload"), 3 * MB)
    assert response.status_code == 302
    assert (
        "The team&#x27;s storage is full" in bob_client.get(response["Location"]).content.decode()
    )


def test_uploads_per_hour_are_limited(bob_client, bob, team):
    team.uploads_per_hour = 2
    team.save()
    for n in range(2):
        make_asset(bob, team, name=f"recent {n}")
    response = _post_declaring(bob_client, reverse("asset_upload"), 1000, headers=XHR)
    assert response.status_code == 429
    assert "You have uploaded 2 files in the last hour" in response.content.decode()
    # A teammate's uploads are theirs.
    team.uploads_per_hour = 3
    team.save()
    response = bob_client.post(
        reverse("asset_upload"), {"file": fixture_file("tiny.png")}, headers=XHR
    )
    assert response.status_code == 201
