"""Client review links: chosen videos or a whole project, 7 days by default, revocable,
an optional password; comments under a name, approve or ask for changes; no prompt,
seed, reference, price or member name on any page or file the link exposes; 60
requests a minute; media URLs signed per link."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects.models import Comment, ReviewLink, Verdict, VerdictRecord
from projects.models.review import LINK_REQUESTS_PER_MINUTE, State, add_comment
from tests.review.conftest import SECRET_PROMPT, make_take

pytestmark = pytest.mark.django_db

SEED = 987654321


@pytest.fixture
def shown(project, local_storage, alice, rex_client):
    """Two videos with files (the second selected by the team) and one left out."""
    chosen = [make_take(project, n, files=True, seed=SEED + n) for n in (1, 2)]
    left_out = make_take(project, 3, files=True, seed=SEED + 3)
    Verdict.objects.create(generation=chosen[1], state=State.SELECTED, changed_by=alice)
    add_comment(chosen[0], "alice's private note to rex", None, author=alice)
    return chosen, left_out


@pytest.fixture
def link(project, alice, shown):
    link, token = ReviewLink.create(project, by=alice, generations=shown[0], title="Spring spot")
    link.token = token
    return link


def _page(client, link):
    return client.get(reverse("client_review", args=[link.token]))


def test_a_link_lasts_seven_days_by_default(link):
    lifetime = link.expires_at - link.created_at
    assert timedelta(days=7) - timedelta(seconds=5) < lifetime <= timedelta(days=7)
    assert len(link.token) >= 32 and link.token not in link.token_hash


def test_the_owner_makes_a_link_and_sees_it_once(alice_client, project, shown):
    url = reverse("link_create", args=[project.pk])
    response = alice_client.post(url, {"generation": [shown[0][0].pk], "days": "3"})
    assert response.status_code == 201
    html = response.content.decode()
    link_url = re.search(r'value="(http://testserver/r/[^"]+/)"', html).group(1)
    link = ReviewLink.objects.get()
    assert list(link.generations.all()) == [shown[0][0]]
    assert timedelta(days=3) - timedelta(seconds=5) < link.expires_at - timezone.now()
    assert Client().get(link_url).status_code == 200
    again = alice_client.get(reverse("project_sharing", args=[project.pk])).content.decode()
    assert link_url not in again


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": "7"}, "Choose the videos to show, or the whole project."),
        ({"whole_project": "on", "days": "0"}, "greater than or equal to 1"),
        ({"whole_project": "on", "days": "400"}, "less than or equal to 30"),
        ({"generation": ["999999"], "days": "7"}, "Choose finished videos of this project."),
    ],
)
def test_a_bad_link_form_is_refused(alice_client, project, shown, data, message):
    response = alice_client.post(reverse("link_create", args=[project.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReviewLink.objects.exists()


def test_a_link_shows_its_videos_selected_first(link, shown):
    html = _page(Client(), link).content.decode()
    assert html.count('data-testid="client-take"') == 2
    assert html.index("Selected by the team") < html.index("Video 2")
    assert "Spring spot" in html


def _exposed(client, link) -> list[tuple[str, bytes]]:
    """Every page and file the link's page points to, fetched."""
    page = _page(client, link)
    assert page.status_code == 200
    fetched = [(reverse("client_review", args=[link.token]), page.content)]
    html = page.content.decode()
    for url in sorted(set(re.findall(r'(?:src|poster|href|action)="(/[^"]*)"', html))):
        if url.startswith("/static/"):
            continue
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        fetched.append((url, body))
    return fetched


def test_nothing_the_link_exposes_names_the_prompt_seed_references_price_or_members(
    link, shown, alice, rex
):
    client = Client()
    # A client's comment and decision are on the page too.
    take = shown[0][0]
    client.post(
        reverse("client_comment", args=[link.token, take.pk]), {"name": "Zoe", "body": "Nice"}
    )
    client.post(
        reverse("client_decision", args=[link.token, take.pk]),
        {"name": "Zoe", "decision": "approved"},
    )
    fetched = _exposed(client, link)
    assert len(fetched) >= 5  # the page, 2 videos, 2 posters (and the forms' answers)
    forbidden = [
        SECRET_PROMPT,
        "secret-reference",
        "mira",
        str(SEED + 1),
        str(SEED + 2),
        "credit",
        "$",
        "seed",
        "prompt",
        alice.username,
        rex.username,
        "Pilot",
        '"/media/',
        "/outputs/",
    ]
    in_files = [SECRET_PROMPT, "secret-reference", str(SEED + 1), alice.username, rex.username]
    for url, body in fetched:
        text = body.decode("utf-8", "replace").lower()
        is_page = "/files/" not in url
        for word in forbidden if is_page else in_files:
            assert word.lower() not in text, (url, word)
    assert "Zoe" in fetched[0][1].decode()


def test_the_left_out_video_is_not_reachable(link, shown):
    left_out = shown[1]
    client = Client()
    assert f"take-{left_out.pk}" not in _page(client, link).content.decode()
    signature = link.media_signature(left_out.pk, "video")
    url = reverse("client_media", args=[link.token, left_out.pk, "video", signature])
    assert client.get(url).status_code == 404
    post = client.post(
        reverse("client_comment", args=[link.token, left_out.pk]), {"name": "Z", "body": "x"}
    )
    assert post.status_code == 404 and not Comment.objects.filter(link=link).exists()


def test_media_urls_are_signed_for_one_link_and_one_file(link, project, alice, shown):
    take = shown[0][0]
    other, other_token = ReviewLink.create(project, by=alice, generations=[take])
    client = Client()
    good = link.media_signature(take.pk, "video")
    assert (
        client.get(reverse("client_media", args=[link.token, take.pk, "video", good])).status_code
        == 200
    )
    for token, what, signature in [
        (other_token, "video", good),  # another link's token
        (link.token, "poster", good),  # the poster with the video's signature
        (link.token, "video", good[:-1] + ("0" if good[-1] != "0" else "1")),
        (link.token, "video", "x" * 32),
    ]:
        url = reverse("client_media", args=[token, take.pk, what, signature])
        assert client.get(url).status_code == 404, (token, what, signature)
    assert good != other.media_signature(take.pk, "video")


def test_a_client_comments_and_approves_and_it_is_recorded(link, shown, alice_client):
    take = shown[0][0]
    client = Client()
    response = client.post(
        reverse("client_comment", args=[link.token, take.pk]),
        {"name": "Zoe", "body": "The logo is late", "at_seconds": "3.2"},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(link=link)
    assert (comment.client_name, str(comment.at_seconds), comment.author) == ("Zoe", "3.2", None)
    response = client.post(
        reverse("client_decision", args=[link.token, take.pk]),
        {"name": "Zoe", "decision": "approved"},
    )
    assert response.status_code == 302
    record = VerdictRecord.objects.get(link=link)
    assert (record.decision, record.name, record.generation) == ("approved", "Zoe", take)
    assert record.created_at
    page = client.get(response["Location"]).content.decode()
    assert "Approved by Zoe" in page
    # The owner sees the client's comment on the video's page.
    owner_page = alice_client.get(reverse("review_video", args=[take.pk])).content.decode()
    assert "Zoe (client)" in owner_page and "The logo is late" in owner_page


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "decision": "approved"},
        {"name": "Zoe", "decision": "selected"},
        {"name": "Zoe"},
    ],
)
def test_a_bad_client_decision_is_refused(link, shown, data):
    url = reverse("client_decision", args=[link.token, shown[0][0].pk])
    assert Client().post(url, data).status_code == 400
    assert not VerdictRecord.objects.exists()


def test_a_password_link_asks_for_it_first(project, alice, shown):
    link, token = ReviewLink.create(project, by=alice, generations=shown[0], password="open sesame")
    client = Client()
    url = reverse("client_review", args=[token])
    locked = client.get(url)
    assert locked.status_code == 401 and b"has a password" in locked.content
    assert b"client-take" not in locked.content
    signature = link.media_signature(shown[0][0].pk, "video")
    media = reverse("client_media", args=[token, shown[0][0].pk, "video", signature])
    assert client.get(media).status_code == 401
    assert client.post(url, {"password": "wrong"}).status_code == 403
    assert client.post(url, {"password": "open sesame"}).status_code == 302
    assert client.get(url).status_code == 200
    assert client.get(media).status_code == 200


def test_a_link_takes_sixty_requests_a_minute(link):
    client = Client()
    url = reverse("client_review", args=[link.token])
    for _ in range(LINK_REQUESTS_PER_MINUTE):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    ReviewLink.objects.filter(pk=link.pk).update(
        window_started_at=timezone.now() - timedelta(seconds=61)
    )
    assert client.get(url).status_code == 200


def test_revoking_takes_effect_at_once(alice_client, link):
    client = Client()
    assert _page(client, link).status_code == 200
    assert alice_client.post(reverse("link_revoke", args=[link.pk])).status_code == 302
    closed = _page(client, link)
    assert closed.status_code == 410 and b"closed" in closed.content


def test_a_whole_project_link_shows_every_finished_video(project, alice, shown):
    _, token = ReviewLink.create(project, by=alice, whole_project=True)
    html = Client().get(reverse("client_review", args=[token])).content.decode()
    assert html.count('data-testid="client-take"') == 3
