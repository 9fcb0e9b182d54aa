"""Per-member video limits, over HTTP: over the limit, Generate says when it can go again
and nothing is reserved."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEntry, Generation, LedgerEntry
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post


def _earlier_videos(project, alice, count, *, status="success", minutes_ago=1):
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    for n in range(count):
        video = Generation.objects.create(
            project=project,
            created_by=alice,
            model="seedance-20",
            prompt="x",
            status=status,
            idempotency_key=f"old-{status}-{n}",
        )
        Generation.objects.filter(pk=video.pk).update(created_at=at + dt.timedelta(seconds=n))


def _submit(client, project, images, key="key-new", **headers):
    return client.post(
        reverse("generation_submit", args=[project.pk]),
        composer_post(images[:1], idempotency_key=key),
        headers=headers,
    )


@pytest.mark.parametrize("headers", [{}, {"HX-Request": "true"}])
def test_the_31st_video_in_10_minutes_waits_and_reserves_nothing(
    alice_client, alice, project, images, headers
):
    _earlier_videos(project, alice, 30, minutes_ago=4)
    before = LedgerEntry.objects.count()
    response = _submit(alice_client, project, images, **headers)
    assert response.status_code == 429
    html = response.content.decode()
    assert "You have started 30 videos in the last 10 minutes" in html
    oldest = Generation.objects.order_by("created_at").first().created_at
    again = timezone.localtime(oldest + dt.timedelta(minutes=10))
    assert f"Generate can go again at {again:%H:%M:%S}." in html
    assert 300 < int(response["Retry-After"]) <= 361
    assert Generation.objects.count() == 30
    assert LedgerEntry.objects.count() == before


def test_once_the_window_has_passed_generate_goes(alice_client, alice, project, images):
    _earlier_videos(project, alice, 30, minutes_ago=11)
    assert _submit(alice_client, project, images).status_code == 302
    assert Generation.objects.count() == 31
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1


def test_ten_videos_in_line_hold_the_eleventh(alice_client, alice, project, images):
    _earlier_videos(project, alice, 10, status="queued", minutes_ago=20)
    response = _submit(alice_client, project, images)
    assert response.status_code == 429
    assert "You have 10 videos in line" in response.content.decode()
    assert "as soon as one of them finishes" in response.content.decode()
    Generation.objects.filter(idempotency_key="old-queued-0").update(status="success")
    assert _submit(alice_client, project, images).status_code == 302


def test_a_teammates_videos_do_not_count(alice_client, bob, alice, project, images, team):
    from projects.models import Project

    theirs = Project.objects.create(team=team, owner=bob, name="Bob's")
    _earlier_videos(theirs, bob, 30)
    assert _submit(alice_client, project, images).status_code == 302


def test_a_resubmitted_form_is_not_refused(alice_client, alice, project, images, team):
    team.submits_per_window = 1
    team.save()
    assert _submit(alice_client, project, images, key="once").status_code == 302
    assert _submit(alice_client, project, images, key="once").status_code == 302
    assert Generation.objects.count() == 1
    assert _submit(alice_client, project, images, key="twice").status_code == 429


def test_rerun_is_held_by_the_same_limit(alice_client, alice, project, images, team):
    team.submits_per_window = 1
    team.save()
    assert _submit(alice_client, project, images).status_code == 302
    video = Generation.objects.get()
    response = alice_client.post(
        reverse("generation_rerun", args=[video.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 429
    assert "Generate can go again at" in response.content.decode()
    assert Generation.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1


def test_an_admin_sets_the_teams_limits_and_the_log_says_so(erin_client, erin, team):
    response = erin_client.post(
        reverse("team_limits"),
        {
            "submits_per_window": 5,
            "submit_window_minutes": 60,
            "queued_per_member": 2,
            "storage_quota_mb": 2048,
            "uploads_per_hour": 20,
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert (team.submits_per_window, team.submit_window_minutes, team.queued_per_member) == (
        5,
        60,
        2,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LIMITS_CHANGED)
    assert entry.old_value.startswith("30 videos per 10 min, 10 in line, 200 uploads an hour")
    assert entry.new_value.startswith("5 videos per 60 min, 2 in line")


@pytest.mark.parametrize("bad", ["0", "-1", "x", "100000", ""])
def test_a_bad_limit_is_refused_and_changes_nothing(erin_client, team, bad):
    response = erin_client.post(
        reverse("team_limits"),
        {
            "submits_per_window": bad,
            "submit_window_minutes": 10,
            "queued_per_member": 10,
            "storage_quota_mb": 100,
            "uploads_per_hour": 10,
        },
    )
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    team.refresh_from_db()
    assert team.submits_per_window == 30
    assert not AuditEntry.objects.exists()
