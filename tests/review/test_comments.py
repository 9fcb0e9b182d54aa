"""Comments on a video: optionally at a time (0.1 s steps), resolvable, @mentions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Comment, MailPreference, OutboxMail

pytestmark = pytest.mark.django_db


def _post(client, take, **data):
    return client.post(reverse("comment_add", args=[take.pk]), data, headers={"HX-Request": "true"})


def test_a_comment_at_a_time_seeks_the_player(alice_client, takes):
    response = _post(alice_client, takes[0], body="Her hand blurs here", at_seconds="2.4")
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.at_seconds == Decimal("2.4")
    html = response.content.decode()
    assert 'data-seek="2.4"' in html and "Her hand blurs here" in html
    page = alice_client.get(reverse("review_video", args=[takes[0].pk])).content.decode()
    assert 'data-seek="2.4"' in page and "data-review-player" in page


def test_a_comment_about_the_whole_video_has_no_time(shared_viewer_client, shared_viewer, takes):
    assert _post(shared_viewer_client, takes[0], body="Lovely").status_code == 200
    comment = Comment.objects.get()
    assert comment.at_seconds is None and comment.author == shared_viewer


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("2.45", "no more than 1 decimal place"),
        ("-1", "greater than or equal to 0"),
        ("abc", "Enter a number"),
        ("99999", "less than or equal to 3600"),
    ],
)
def test_a_bad_time_is_refused_with_its_reason(alice_client, takes, at, message):
    response = _post(alice_client, takes[0], body="x", at_seconds=at)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize("body", ["", "   ", "\x00", "x" * 2001])
def test_an_empty_or_overlong_comment_is_refused(alice_client, takes, body):
    assert _post(alice_client, takes[0], body=body).status_code == 422
    assert not Comment.objects.exists()


def test_resolving_and_reopening(rex_client, rex, takes):
    _post(rex_client, takes[0], body="Fix the sky")
    comment = Comment.objects.get()
    url = reverse("comment_resolve", args=[comment.pk])
    response = rex_client.post(url, headers={"HX-Request": "true"})
    assert "Resolved" in response.content.decode() and "Reopen" in response.content.decode()
    comment.refresh_from_db()
    assert comment.is_resolved and comment.resolved_by == rex
    rex_client.post(url)
    comment.refresh_from_db()
    assert not comment.is_resolved


def test_a_viewer_resolves_their_own_comment_only(shared_viewer_client, alice_client, takes):
    _post(alice_client, takes[0], body="owner's note")
    _post(shared_viewer_client, takes[0], body="viewer's note")
    owners, viewers = Comment.objects.order_by("id")
    assert (
        shared_viewer_client.post(
            reverse("comment_resolve", args=[owners.pk]), headers={"HX-Request": "true"}
        ).status_code
        == 403
    )
    assert (
        shared_viewer_client.post(reverse("comment_resolve", args=[viewers.pk])).status_code == 302
    )
    owners.refresh_from_db()
    viewers.refresh_from_db()
    assert not owners.is_resolved and viewers.is_resolved


def test_a_mention_notifies_a_teammate_with_access(alice_client, takes, rex, rex_client, bob):
    _post(alice_client, takes[0], body="@rex what do you think? @bob too", at_seconds="1.0")
    mails = list(OutboxMail.objects.all())
    assert [mail.recipients for mail in mails] == [[rex.email]]
    assert "alice mentioned you" in mails[0].subject
    assert "at 1.0 s" in mails[0].body
    # bob isn't shared with: he is told nothing, not even the project's name.
    assert all(bob.email not in mail.recipients for mail in OutboxMail.objects.all())


def test_the_owner_hears_of_comments_when_they_asked(shared_viewer_client, alice, takes):
    _post(shared_viewer_client, takes[0], body="first")
    assert not OutboxMail.objects.exists()
    MailPreference.objects.create(user=alice, review_activity=True)
    _post(shared_viewer_client, takes[0], body="second")
    mail = OutboxMail.objects.get()
    assert mail.recipients == [alice.email] and "viola commented" in mail.body


def test_comments_sent_no_mail_inside_the_request(
    shared_viewer_client, rex_client, takes, mailoutbox
):
    _post(shared_viewer_client, takes[0], body="@rex look")
    assert OutboxMail.objects.count() == 1
    assert mailoutbox == []


def test_the_page_polls_its_comments_so_they_arrive_live(alice_client, rex_client, takes):
    url = reverse("review_video", args=[takes[0].pk])
    page = alice_client.get(url).content.decode()
    assert 'hx-trigger="every 5s"' in page and "?part=list" in page
    _post(rex_client, takes[0], body="Just now", at_seconds="2.4")
    update = alice_client.get(url, {"part": "list"}, headers={"HX-Request": "true"})
    html = update.content.decode()
    assert update.status_code == 200 and "Just now" in html and 'data-seek="2.4"' in html
    assert "<html" not in html and 'name="body"' not in html
