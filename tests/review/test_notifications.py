"""Mail never leaves inside a web request: an outbox the worker drains. "Video done"
mail is opt-in and batched to at most one a minute per member."""

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from projects.models import Generation, MailPreference, OutboxMail, VideoDoneNotice
from projects.models.credits import set_budget
from projects.models.outbox import send_due
from projects.notifications import queue_video_done
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post
from tests.review.conftest import make_take

pytestmark = pytest.mark.django_db


def test_the_soft_limit_mail_is_queued_by_the_submit_and_sent_by_the_worker(
    alice_client,
    alice,
    team,
    project,
    images,
    django_capture_on_commit_callbacks,
):
    set_budget(team=team, user=alice, period="month", hard_limit=250, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("generation_submit", args=[project.pk]),
            composer_post(images[:1]),
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
    assert mail.outbox == []
    queued = OutboxMail.objects.get()
    assert "passed its warning mark" in queued.subject
    # The worker's loop (its connection housekeeping aside, which would end the test's).
    with mock.patch("projects.management.commands.worker.close_old_connections"):
        call_command("worker", "--once", stdout=io.StringIO())
    assert len(mail.outbox) == 1 and mail.outbox[0].subject == queued.subject
    queued.refresh_from_db()
    assert queued.sent_at is not None


def test_a_mail_server_down_keeps_the_mail_for_later(alice):
    OutboxMail.objects.create(subject="s", body="b", recipients=[alice.email])
    with mock.patch("projects.models.outbox.send_mail", side_effect=OSError("refused")):
        assert send_due() == 0
    kept = OutboxMail.objects.get()
    assert kept.sent_at is None and kept.attempts == 1 and "refused" in kept.last_error
    assert kept.send_after > timezone.now() + timedelta(minutes=4)
    assert send_due() == 0  # not due yet
    OutboxMail.objects.update(send_after=timezone.now())
    assert send_due() == 1 and len(mail.outbox) == 1


def _finish(project, n):
    return make_take(project, n, completed_at=timezone.now())


def test_video_done_mail_is_only_for_those_who_asked(alice, project):
    _finish(project, 1)
    assert queue_video_done() == 0
    assert not OutboxMail.objects.exists()


def test_video_done_mail_is_batched_to_one_a_minute(alice, project):
    MailPreference.objects.create(user=alice, video_done=True)
    first = [_finish(project, n) for n in (1, 2, 3)]
    failed = _finish(project, 4)
    Generation.objects.filter(pk=failed.pk).update(status=Generation.Status.FAIL)
    assert queue_video_done() == 4
    assert queue_video_done() == 0  # each video told once
    assert send_due() == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert all(f"Video {take.pk} of Pilot is done" in body for take in first)
    assert f"Video {failed.pk} of Pilot failed" in body
    # Two more within the minute: one mail, sent a minute after the last one.
    later = [_finish(project, n) for n in (5, 6)]
    assert queue_video_done() == 2
    assert send_due() == 0
    pending = OutboxMail.objects.get(sent_at__isnull=True)
    assert all(f"Video {take.pk}" in pending.body for take in later)
    sent_at = OutboxMail.objects.get(sent_at__isnull=False).sent_at
    assert pending.send_after >= sent_at + timedelta(minutes=1)
    OutboxMail.objects.filter(pk=pending.pk).update(send_after=timezone.now())
    assert send_due() == 1 and len(mail.outbox) == 2
    assert VideoDoneNotice.objects.count() == 6


def test_the_mail_settings_page_saves_the_choices(alice_client, alice):
    page = alice_client.get(reverse("mail_preferences"))
    assert page.status_code == 200 and b"At most one mail a minute" in page.content
    response = alice_client.post(reverse("mail_preferences"), {"video_done": "on"})
    assert response.status_code == 302
    preference = MailPreference.objects.get(user=alice)
    assert preference.video_done and not preference.review_activity


def test_a_reviewers_verdict_tells_the_owner_who_asked(rex_client, alice, takes):
    MailPreference.objects.create(user=alice, review_activity=True)
    rex_client.post(reverse("review_verdict", args=[takes[0].pk]), {"state": "selected"})
    queued = OutboxMail.objects.get()
    assert queued.recipients == [alice.email]
    assert f"rex marked video {takes[0].pk} “Selected”" in queued.body
    assert mail.outbox == []
