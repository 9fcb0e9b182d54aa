"""The staff status page (workers, queue, Kinovi's refusals) and the missing-worker banner."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import DispatchRefusal, Generation, WorkerHeartbeat
from projects.models.operations import queue_figures
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)

pytestmark = pytest.mark.django_db
STATUS_QUERIES = 14  # the page and banners 8, the figures 6, whatever the rows


@pytest.fixture
def staff(alice):
    alice.is_staff = True
    alice.save()
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def queued(make_generation):
    """Three queued videos, the first submitted 90 s ago."""
    generations = [make_generation() for _ in range(3)]
    for generation in generations:
        generation.submit()
    Generation.objects.filter(pk=generations[0].pk).update(
        submitted_at=timezone.now() - timedelta(seconds=90)
    )
    return generations


def test_only_staff_see_it(bob_client, charlie_client, erin):
    erin_client = Client()
    erin_client.force_login(erin)
    for client in (bob_client, charlie_client, erin_client):
        assert client.get(reverse("staff_status")).status_code == 404
    assert Client().get(reverse("staff_status")).status_code == 302  # to the login


def test_it_shows_workers_queue_and_refusals(staff, queued, django_assert_max_num_queries):
    heartbeat = WorkerHeartbeat.objects.start()
    heartbeat.beat(rows_handled=42)
    DispatchRefusal.objects.record(429)
    DispatchRefusal.objects.record(429)
    DispatchRefusal.objects.record(502)
    DispatchRefusal.objects.create(status_code=500, at=timezone.now() - timedelta(hours=2))
    with django_assert_max_num_queries(STATUS_QUERIES):
        page = staff.get(reverse("staff_status")).content.decode()
    assert heartbeat.host in page and str(heartbeat.pid) in page and ">42<" in page
    assert 'data-testid="refusals-429">2<' in page
    assert 'data-testid="refusals-5xx">1<' in page  # the one of two hours ago is out
    assert 'data-testid="in-flight">0 of 5<' in page
    assert "workers-missing" not in page


def test_the_figures_count_states_latency_and_credits(queued, make_generation):
    sent = queued[0]
    Generation.objects.filter(pk=sent.pk).update(
        status=Generation.Status.WAITING, accepted_at=timezone.now()
    )
    figures = queue_figures()
    assert (figures.queued, figures.in_flight, figures.limit) == (2, 1, 5)
    assert 89 <= figures.dispatch_latency_median <= 120
    assert figures.oldest_queued_seconds < 10  # the 90 s old one was sent
    assert figures.credits == {
        "reserved": 3 * queued[0].credits_estimated,
        "settled": 0,
        "refunded": 0,
    }


def test_staff_get_a_banner_when_no_worker_beat_for_a_minute_while_videos_are_queued(
    staff, bob_client, queued
):
    assert 'data-testid="workers-missing"' in staff.get("/").content.decode()
    assert 'data-testid="workers-missing"' not in bob_client.get("/").content.decode()
    heartbeat = WorkerHeartbeat.objects.start()
    assert 'data-testid="workers-missing"' not in staff.get("/").content.decode()
    WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
        last_beat_at=timezone.now() - timedelta(seconds=61)
    )
    assert 'data-testid="workers-missing"' in staff.get("/").content.decode()


def test_no_banner_without_queued_videos(staff):
    assert 'data-testid="workers-missing"' not in staff.get("/").content.decode()


def test_staff_who_are_no_team_admin_switch_models_off_for_the_whole_site(
    bob, bob_client, alice_client, charlie_client
):
    from projects.models import AuditEntry, ModelAvailability

    url = reverse("site_models")
    # Team admins and members who are not staff: 404, and nothing changes.
    for client in (alice_client, bob_client, charlie_client):
        assert client.post(url, {"site-off": ["seedance-20"]}).status_code == 404
    assert Client().post(url, {"site-off": ["seedance-20"]}).status_code == 302  # sign in
    assert not ModelAvailability.objects.site_disabled()

    bob.is_staff = True  # a plain member of his team, now staff
    bob.save()
    page = bob_client.get(reverse("staff_status")).content.decode()
    assert 'data-testid="site-models-form"' in page
    response = bob_client.post(url, {"site-off": ["seedance-20"]})
    assert response.status_code == 302 and response.url == reverse("staff_status")
    assert ModelAvailability.objects.site_disabled() == {"seedance-20"}
    entry = AuditEntry.objects.get(subject="Models for the whole site")
    assert entry.actor == bob and entry.team is None
    # A model not in the list: refused with the form's message, nothing changed.
    refused = bob_client.post(url, {"site-off": ["seedance-99"]}, follow=True)
    assert refused.status_code == 200 and ModelAvailability.objects.site_disabled() == {
        "seedance-20"
    }
    assert bob_client.get(url).status_code == 405
