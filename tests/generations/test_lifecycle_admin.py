"""Staff resolve unknown generations and Kinovi alerts in the admin; status stays read-only."""

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
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


class ScriptedKinovi:
    """recordInfo answers `answer`: a task status, or an HTTP error code."""

    answer: str | int = "success"

    def __call__(self, request):
        if isinstance(self.answer, int):
            return httpx.Response(self.answer, json={"code": self.answer, "msg": "Server busy"})
        return httpx.Response(200, json={"taskId": "task_1", "status": self.answer})


@pytest.fixture
def kinovi_api(monkeypatch):
    scripted = ScriptedKinovi()
    transport = httpx.MockTransport(scripted)
    client = KinoviClient("https://kinovi.test/api/v1", "k", transport=transport)
    monkeypatch.setattr(worker, "kinovi", lambda: client)
    return scripted


def _act(client, action, generations, url=CHANGELIST):
    response = client.post(
        url, {"action": action, "_selected_action": [g.pk for g in generations]}, follow=True
    )
    assert response.status_code == 200
    return [str(message) for message in response.context["messages"]]


def test_it_lists_unknown_generations_with_their_reason(staff_client, unknown):
    page = staff_client.get(CHANGELIST, {"status__exact": "unknown"}).content.decode()
    assert "no answer came back" in page
    assert "Check with Kinovi by task id" in page and "Mark failed and refund" in page


def test_it_lists_them_in_a_constant_number_of_queries(staff_client, make_generation):
    def queries_for(count: int) -> int:
        for _ in range(count):
            generation = make_generation()
            generation.submit()
            generation.start_dispatch()
            generation.mark_unknown("Sent to Kinovi, but no answer came back")
        with CaptureQueriesContext(connection) as queries:
            page = staff_client.get(CHANGELIST, {"status__exact": "unknown"})
        assert page.content.decode().count("no answer came back") >= count
        return len(queries)

    assert queries_for(1) == queries_for(5)


def test_it_marks_an_unknown_generation_failed_and_refunds(staff_client, unknown):
    messages = _act(staff_client, "fail_and_refund", [unknown])
    assert messages == ["1 generation(s) marked failed and refunded."]
    unknown.refresh_from_db()
    assert (unknown.status, unknown.error_code) == (S.FAIL, "admin")
    assert "Marked failed by an admin (root)" in unknown.error_message
    assert LedgerEntry.objects.filter(generation=unknown).total_credits() == 0


def test_it_leaves_finished_generations_as_they_were(staff_client, unknown, make_generation):
    done = make_generation()
    done.submit()
    done.give_up("Kinovi refused it")
    messages = _act(staff_client, "fail_and_refund", [unknown, done])
    assert messages == [
        "1 generation(s) marked failed and refunded.",
        "1 finished or draft generation(s) left as they were.",
    ]
    assert Generation.objects.get(pk=done.pk).error_message == "Kinovi refused it"


def test_it_checks_a_task_and_hands_it_to_the_worker(staff_client, unknown, kinovi_api):
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1")
    messages = _act(staff_client, "check_with_kinovi", [unknown])
    assert messages == [
        f"Generation {unknown.pk} (unknown): Kinovi says success; the worker records it now "
        "(copying the video, or refunding a failure)."
    ]
    unknown.refresh_from_db()
    assert unknown.status == S.UNKNOWN  # the worker applies it
    assert Generation.objects.due().filter(pk=unknown.pk).exists()


def test_it_says_a_stuck_task_still_running_stays_unknown(staff_client, unknown, kinovi_api):
    kinovi_api.answer = "generating"
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1", accepted_at=timezone.now())
    [message] = _act(staff_client, "check_with_kinovi", [unknown])
    assert "Kinovi says generating; it stays unknown until the task ends" in message
    assert "every 10 minutes" in message


def test_it_says_a_rescued_task_is_followed_from_now_on(staff_client, unknown, kinovi_api):
    kinovi_api.answer = "generating"
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1")
    [message] = _act(staff_client, "check_with_kinovi", [unknown])
    assert message.endswith("Kinovi says generating; the worker follows the task from now on.")


def test_it_says_when_kinovi_does_not_answer_a_check(staff_client, unknown, kinovi_api):
    kinovi_api.answer = 500
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1")
    [message] = _act(staff_client, "check_with_kinovi", [unknown])
    assert message.startswith(f"Generation {unknown.pk} (unknown): Kinovi didn't answer")
    assert Generation.objects.get(pk=unknown.pk).status == S.UNKNOWN


def test_it_says_generations_without_a_task_id_cannot_be_checked(staff_client, unknown, kinovi_api):
    messages = _act(staff_client, "check_with_kinovi", [unknown])
    assert messages == [
        "1 generation(s) have no task id, so Kinovi can't be asked about them; mark them "
        "failed to refund them."
    ]


def test_it_shows_status_read_only(staff_client, unknown):
    page = staff_client.get(f"{CHANGELIST}{unknown.pk}/change/").content.decode()
    assert 'name="status"' not in page
    staff_client.post(f"{CHANGELIST}{unknown.pk}/change/", {"status": "success"})
    assert Generation.objects.get(pk=unknown.pk).status == S.UNKNOWN


def test_it_resolves_an_alert(staff_client):
    KinoviAlert.objects.raise_for(402, "Insufficient credits")
    assert "Insufficient credits" in staff_client.get("/accounts/password/").content.decode()
    alert = KinoviAlert.objects.get()
    messages = _act(staff_client, "resolve", [alert], url="/admin/projects/kinovialert/")
    assert messages == ["1 alert(s) resolved; their banner is gone."]
    alert.refresh_from_db()
    assert alert.resolved_at <= timezone.now()
    assert "Insufficient credits" not in staff_client.get("/accounts/password/").content.decode()


def test_it_tells_staff_on_every_page_how_many_videos_are_unknown(
    staff_client, alice_client, unknown
):
    page = staff_client.get("/accounts/password/").content.decode()
    assert 'data-testid="unknown-generations"' in page
    assert "1 video in an unknown state" in page
    assert f'href="{CHANGELIST}?status__exact=unknown"' in page
    assert "unknown-generations" not in alice_client.get("/").content.decode()


@pytest.mark.parametrize("page", ["/admin/", CHANGELIST, "/admin/projects/kinovialert/"])
def test_it_shows_the_banner_inside_the_admin_too(staff_client, unknown, page):
    KinoviAlert.objects.raise_for(401, "Invalid API key")
    html = staff_client.get(page).content.decode()
    assert 'class="error" role="alert" data-testid="kinovi-alert"' in html
    assert "Kinovi refuses our account (HTTP 401):</strong> Invalid API key" in html
    assert 'class="warning" role="status" data-testid="unknown-generations"' in html
    assert "1 video in an unknown state" in html


def test_the_admin_shows_no_banner_when_all_is_well(staff_client):
    assert "messagelist" not in staff_client.get("/admin/").content.decode()


def test_it_says_when_kinovi_does_not_know_the_task(staff_client, unknown, kinovi_api):
    kinovi_api.answer = 404
    Generation.objects.filter(pk=unknown.pk).update(task_id="task_1")
    [message] = _act(staff_client, "check_with_kinovi", [unknown])
    assert message.startswith(
        f"Generation {unknown.pk} (unknown): Kinovi doesn't know this task (task_1)"
    )
    assert "didn't answer" not in message


def test_it_shows_the_output_and_its_stills_read_only(staff_client, unknown, local_storage):
    url = f"{CHANGELIST}{unknown.pk}/change/"
    page = staff_client.get(url).content.decode()
    for field in ("output_file", "poster_file", "last_frame_file", "output_url"):
        assert f'name="{field}"' not in page
    evil = SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", "text/html")
    staff_client.post(url, {"output_file": evil, "project": unknown.project_id})
    unknown.refresh_from_db()
    assert unknown.output_file.name == ""
    assert not list(local_storage.rglob("evil*"))
