"""My projects: each card shows its newest posters, its videos and this month's spend."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from tests.fixtures.realistic import compose, finish
from tests.library.conftest import make_asset


def _page(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("project_list"))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_it_shows_posters_counts_and_spend_in_constant_queries(
    alice_client, alice, team, local_storage
):
    image = make_asset(alice, team, name="harbour")
    first = Project.objects.create(team=team, owner=alice, name="First")
    html, few = _page(alice_client)
    for n in range(4):
        video = compose(first, alice, f"@image1 take {n}", [str(image.pk)])
        finish(video, "success")
    second = Project.objects.create(team=team, owner=alice, name="Second")
    finish(compose(second, alice, "@image1 fails", [str(image.pk)]), "fail")
    archived = Project.objects.create(team=team, owner=alice, name="Old")
    finish(compose(archived, alice, "@image1 old", [str(image.pk)]), "success")
    archived.archive()
    html, many = _page(alice_client)
    assert many == few
    first_card = html[html.index(">First<") - 2000 : html.index(">First<")]
    assert first_card.count('class="project-poster"') == 3
    assert "4 videos · <span" in html and "800 credits ($4.00) this month" in html
    assert "1 video · <span" in html and "0 credits ($0.00) this month" in html
    assert "project-card is-archived" in html and ">Archived<" in html
