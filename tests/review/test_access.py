"""Every review URL for every person: the owner (alice), a shared viewer (viola), a shared
reviewer (rex), a teammate not shared with (bob), a team admin (erin), another team
(charlie), anonymous, a client link holder, and an expired or revoked link.

The URL list is read from the URLconf: a new review URL without a row here fails.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import urls_review
from projects.models import Comment, ProjectShare, ReviewLink
from projects.models.review import add_comment
from tests.review.conftest import SECRET_PROMPT

pytestmark = pytest.mark.django_db

PEOPLE = ["alice", "viola", "rex", "bob", "erin", "charlie", "anonymous", "client"]
NOT_SHARED = {"bob": 404, "erin": 404, "charlie": 404, "anonymous": 302, "client": 302}
SHARED_ALIKE = {"alice": 200, "viola": 200, "rex": 200, **NOT_SHARED}
OWNER_ONLY = {"viola": 404, "rex": 404, **NOT_SHARED}
# name -> (method, {person: status}); POSTs are sent as HTMX requests.
MEMBER_URLS = {
    "review_board": ("GET", SHARED_ALIKE),
    "review_compare": ("GET", SHARED_ALIKE),
    "review_video": ("GET", SHARED_ALIKE),
    "review_file": ("GET", SHARED_ALIKE),
    "comment_add": ("POST", SHARED_ALIKE),
    "review_verdict": ("POST", {**SHARED_ALIKE, "viola": 403}),
    "comment_resolve": ("POST", {**SHARED_ALIKE, "viola": 403}),
    "project_sharing": ("GET", {"alice": 200, **OWNER_ONLY}),
    "link_create": ("POST", {"alice": 201, **OWNER_ONLY}),
    "share_remove": ("POST", {"alice": 302, **OWNER_ONLY}),
    "link_revoke": ("POST", {"alice": 302, **OWNER_ONLY}),
    "shared_with_me": (
        "GET",
        {person: 200 for person in PEOPLE} | {"anonymous": 302, "client": 302},
    ),
    "spend_review": (
        "GET",
        {"alice": 200, "erin": 200, "viola": 403, "rex": 403, "bob": 403, "charlie": 403}
        | {"anonymous": 302, "client": 302},
    ),
    "mail_preferences": (
        "GET",
        {person: 200 for person in PEOPLE} | {"anonymous": 302, "client": 302},
    ),
}
CLIENT_URLS = {"client_review", "client_comment", "client_decision", "client_media"}
POST_DATA = {
    "comment_add": {"body": "Warmer light, please."},
    "review_verdict": {"state": "selected"},
    "link_create": {"whole_project": "on", "days": "7"},
}


def test_every_review_url_is_covered():
    assert {p.name for p in urls_review.urlpatterns} == set(MEMBER_URLS) | CLIENT_URLS


@pytest.fixture
def world(
    project, takes, alice, shared_viewer, rex, shared_viewer_client, rex_client, local_storage
):
    default_storage.save(takes[0].output_file.name, ContentFile(b"not really a video"))
    comment = add_comment(takes[0], "Too dark at the start", None, author=alice)
    link, token = ReviewLink.create(project, by=alice, generations=takes[:2])
    return {
        "project_id": project.pk,
        "generation_id": takes[0].pk,
        "comment_id": comment.pk,
        "share_id": ProjectShare.objects.get(user=shared_viewer).pk,
        "link_id": link.pk,
        "takes": takes,
        "link": link,
        "token": token,
    }


def _url(name: str, world) -> str:
    if name == "review_compare":
        ids = "&".join(f"v={take.pk}" for take in world["takes"])
        return reverse(name, args=[world["project_id"]]) + "?" + ids
    pattern = next(p for p in urls_review.urlpatterns if p.name == name)
    kwargs = {key: world[key] for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def clients(
    request,
    world,
    alice_client,
    shared_viewer_client,
    rex_client,
    bob_client,
    erin_client,
    charlie_client,
):
    client_holder = Client()
    assert client_holder.get(reverse("client_review", args=[world["token"]])).status_code == 200
    return {
        "alice": alice_client,
        "viola": shared_viewer_client,
        "rex": rex_client,
        "bob": bob_client,
        "erin": erin_client,
        "charlie": charlie_client,
        "anonymous": Client(),
        "client": client_holder,
    }


@pytest.mark.parametrize("name", sorted(MEMBER_URLS))
@pytest.mark.parametrize("person", PEOPLE)
def test_each_person_gets_what_they_may(clients, world, name, person):
    method, expected = MEMBER_URLS[name]
    client = clients[person]
    url = _url(name, world)
    comments_before = Comment.objects.count()
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, POST_DATA.get(name, {}), headers={"HX-Request": "true"})
        assert client.get(url).status_code in (405, 302), "POST only"
    assert response.status_code == expected[person], (name, person, response.status_code)
    if response.status_code in (302, 404) and person != "alice":
        assert SECRET_PROMPT.encode() not in response.content
        assert b"Pilot" not in response.content
    if response.status_code == 302 and person in ("anonymous", "client"):
        assert "/login/" in response["Location"]
    if expected[person] != 200 or name != "comment_add":
        assert Comment.objects.count() == comments_before


def test_shared_with_me_lists_only_what_is_shared(clients, world):
    for person in ("viola", "rex"):
        assert b"Pilot" in clients[person].get(reverse("shared_with_me")).content
    for person in ("alice", "bob", "erin", "charlie"):
        assert b"Pilot" not in clients[person].get(reverse("shared_with_me")).content


def test_a_shared_member_still_cannot_compose_or_spend(clients, world):
    """Sharing opens the review pages only: the project page, the composer, re-run and
    every other URL of the owner's stay 404."""
    project_id, generation_id = world["project_id"], world["generation_id"]
    for person in ("viola", "rex"):
        client = clients[person]
        assert client.get(reverse("project_detail", args=[project_id])).status_code == 404
        assert client.post(reverse("generation_submit", args=[project_id])).status_code == 404
        assert client.post(reverse("composer_check", args=[project_id])).status_code == 404
        assert client.post(reverse("generation_rerun", args=[generation_id])).status_code == 404
        assert client.get(reverse("project_settings", args=[project_id])).status_code == 404


def test_unsharing_takes_effect_at_once(clients, world):
    board = reverse("review_board", args=[world["project_id"]])
    assert clients["viola"].get(board).status_code == 200
    response = clients["alice"].post(reverse("share_remove", args=[world["share_id"]]))
    assert response.status_code == 302
    assert clients["viola"].get(board).status_code == 404
    assert (
        clients["viola"]
        .post(reverse("comment_add", args=[world["generation_id"]]), {"body": "still here?"})
        .status_code
        == 404
    )


def _client_urls(world) -> list[tuple[str, str]]:
    link, token, take = world["link"], world["token"], world["takes"][0]
    return [
        ("GET", reverse("client_review", args=[token])),
        ("POST", reverse("client_comment", args=[token, take.pk])),
        ("POST", reverse("client_decision", args=[token, take.pk])),
        (
            "GET",
            reverse(
                "client_media",
                args=[token, take.pk, "video", link.media_signature(take.pk, "video")],
            ),
        ),
    ]


def test_every_client_url_is_in_the_link_tests(world):
    assert {name for name in CLIENT_URLS} == {
        p.name for p in urls_review.urlpatterns if "token" in p.pattern.converters
    }
    assert len(_client_urls(world)) == len(CLIENT_URLS)


@pytest.mark.parametrize("closed", ["expired", "revoked"])
def test_an_expired_or_revoked_link_opens_nothing(world, closed):
    link = world["link"]
    if closed == "expired":
        ReviewLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        link.revoke()
    client = Client()
    for method, url in _client_urls(world):
        response = (
            client.get(url)
            if method == "GET"
            else client.post(url, {"name": "Zoe", "body": "hi", "decision": "approved"})
        )
        assert response.status_code == 410, (closed, url)
        assert b"secret-prompt" not in response.content
    assert not Comment.objects.filter(link=link).exists()
    assert not link.decisions.exists()


@pytest.mark.parametrize(
    "person", ["alice", "viola", "rex", "bob", "erin", "charlie", "anonymous", "client"]
)
def test_anyone_with_a_live_link_sees_it_and_nobody_without(clients, world, person):
    client = clients[person]
    assert client.get(reverse("client_review", args=[world["token"]])).status_code == 200
    token = world["token"]
    altered = token[:-1] + ("x" if token[-1] != "x" else "y")
    for wrong in ("not-a-token", altered, "x" * 200):
        assert client.get(reverse("client_review", args=[wrong])).status_code == 404
