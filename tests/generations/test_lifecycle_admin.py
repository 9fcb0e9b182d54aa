"""Staff resolve unknown generations and Kinovi alerts in the admin; status stays read-only."""

import httpx
import pytest
from django.test import Client
from django.utils import timezone

from projects import worker
from projects.kinovi.client import KinoviClient
from projects.models import Generation, KinoviAlert, LedgerEntry
from tests.generations.lifecycle_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.lifecycle_fixtures import S

CHANGELIST = "/admin/projects/generation/"


@pytest.fixture
def staff_client(django_user_model):
    staff = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def unknown(make_generation):
    generation = make_generation()
    generation.submit()
    generation.start_dispatch()
    generation.mark_unknown("Sent to Kinovi, but no answer came back")
    return generation


@pytest.fixture
def kinovi_says_success(monkeypatch):
    def answer(request):
        return httpx.Response(200, json={"taskId": "task_1", "status": "success"})

    client = KinoviClient("https://kinovi.test/api/v1", "k", transport=httpx.MockTransport(answer))
    monkeypatch.setattr(worker, "kinovi", lambda: client)


def test_it_lists_unknown_generations_with_their_reason(staff_client, unknown):
    page = staff_client.get(CHANGELIST, {"status__exact": "unknown"}).content.decode()
    assert "no answer came back" in page
    assert "Check with Kinovi by task id" in page and "Mark failed and refund" in page


def test_it_marks_an_unknown_generation_failed_and_refunds(staff_client, unknown):
    response = staff_client.post(
        CHANGELIST, {"action": "fail_and_refund", "_selected_action": [unknown.pk]}
    )
    assert response.status_code == 302
    unknown.refresh_from_db()
    assert (unknown.status, unknown.error_code) == (S.FAIL, "admin")
    assert "Marked failed by an admin (root)" in unknown.error_message
    assert LedgerEntry.objects.filter(generation=unknown).total_credits() == 0


def test_it_checks_a_task_and_hands_it_to_the_worker(staff_client, unknown, kinovi_says_success):
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1")
    staff_client.post(CHANGELIST, {"action": "check_with_kinovi", "_selected_action": [unknown.pk]})
    unknown.refresh_from_db()
    assert unknown.status == S.UNKNOWN  # the worker applies it
    assert Generation.objects.due().filter(pk=unknown.pk).exists()
    messages = staff_client.get(CHANGELIST).content.decode()
    assert "Kinovi says success" in messages


def test_it_shows_status_read_only(staff_client, unknown):
    page = staff_client.get(f"{CHANGELIST}{unknown.pk}/change/").content.decode()
    assert 'name="status"' not in page
    staff_client.post(f"{CHANGELIST}{unknown.pk}/change/", {"status": "success"})
    assert Generation.objects.get(pk=unknown.pk).status == S.UNKNOWN


def test_it_resolves_an_alert(staff_client):
    KinoviAlert.objects.raise_for(402, "Insufficient credits")
    assert "Insufficient credits" in staff_client.get("/accounts/password/").content.decode()
    alert = KinoviAlert.objects.get()
    staff_client.post(
        "/admin/projects/kinovialert/", {"action": "resolve", "_selected_action": [alert.pk]}
    )
    alert.refresh_from_db()
    assert alert.resolved_at <= timezone.now()
    assert "Insufficient credits" not in staff_client.get("/accounts/password/").content.decode()


def test_it_tells_staff_on_every_page_how_many_videos_are_unknown(
    staff_client, alice_client, unknown
):
    page = staff_client.get("/accounts/password/").content.decode()
    assert 'data-testid="unknown-generations"' in page
    assert "1 video in an unknown state" in page
    assert "unknown-generations" not in alice_client.get("/").content.decode()
