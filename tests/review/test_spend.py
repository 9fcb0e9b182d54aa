"""Spend meets review: cost per selected second by project and member, the share of
spend on rejected videos, videos per selected one; the CSV carries each verdict."""

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.models import Generation, Project, Verdict
from projects.models.credits import reserve, settle
from projects.models.review import State

pytestmark = pytest.mark.django_db

NONE = "\N{EN DASH}"  # what a figure without a base shows


def _shot(project, duration, verdict=None, credits_used=None):
    generation = Generation.objects.create(
        project=project,
        created_by=project.owner,
        model="seedance-20",
        prompt="p",
        duration=duration,
    )
    reserve(generation, has_video_reference=False)
    settle(generation, credits_used if credits_used is not None else duration * 40)
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.SUCCESS)
    if verdict:
        Verdict.objects.create(generation=generation, state=verdict)
    return generation


@pytest.fixture
def spent(team, alice, bob):
    pilot = Project.objects.create(team=team, owner=alice, name="Pilot")
    _shot(pilot, 5, State.SELECTED)  # 200
    _shot(pilot, 5, State.REJECTED)  # 200
    _shot(pilot, 10, State.SELECTED)  # 400
    _shot(pilot, 5)  # 200, pending
    trailer = Project.objects.create(team=team, owner=bob, name="Trailer")
    _shot(trailer, 4, State.REJECTED)  # 160, nothing selected
    return pilot, trailer


def _rows(html: str, testid: str) -> list[list[str]]:
    import re

    table = html.split(f'data-testid="{testid}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


def test_cost_per_selected_second_by_project_and_member(erin_client, spent):
    response = erin_client.get(reverse("spend_review"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    # Pilot: 1,000 credits ($5.00) for 15 selected seconds; 200 of them on a rejected video;
    # 4 videos for 2 selected.
    assert _rows(html, "review-figures-project") == [
        ["Pilot", "1,000", "15", "66.67", "$0.33", "20.0 %", "2.0"],
        ["Trailer", "160", "0", NONE, NONE, "100.0 %", NONE],
    ]
    assert _rows(html, "review-figures-member") == [
        ["alice", "1,000", "15", "66.67", "$0.33", "20.0 %", "2.0"],
        ["bob", "160", "0", NONE, NONE, "100.0 %", NONE],
    ]


def test_the_figures_are_money_in_decimals(spent):
    from projects.models.reports import ReportScope
    from projects.models.review_spend import review_figures

    pilot = spent[0]
    scope = ReportScope(team=pilot.team, start=None, end=None)
    figure = review_figures(scope)["project"][0]
    assert isinstance(figure.dollars, Decimal) and figure.dollars == Decimal("5")
    assert figure.dollars_per_selected_second == Decimal("0.33")
    assert figure.credits_per_selected_second == Decimal("66.67")


def test_the_report_loads_the_figures_with_its_filters(erin_client, spent):
    html = erin_client.get(reverse("spend_report"), {"preset": "this_month"}).content.decode()
    assert 'hx-get="/spend/review/?preset=this_month"' in html


def test_a_member_gets_403_and_a_bad_filter_400(bob_client, erin_client, spent):
    assert bob_client.get(reverse("spend_review")).status_code == 403
    response = erin_client.get(
        reverse("spend_review"), {"start": "2026-10-31", "end": "2026-10-01"}
    )
    assert response.status_code == 400


def test_the_figures_take_constant_queries(erin_client, spent, django_assert_num_queries):
    url = reverse("spend_review")
    headers = {"HX-Request": "true"}
    erin_client.get(url, headers=headers)
    with django_assert_num_queries(7) as few:
        erin_client.get(url, headers=headers)
    for n in range(5):
        _shot(spent[1], 4 + n, State.SELECTED)
    with django_assert_num_queries(len(few.captured_queries)):
        erin_client.get(url, headers=headers)


def test_the_csv_carries_each_videos_verdict(erin_client, spent):
    response = erin_client.get(reverse("spend_csv"))
    body = b"".join(response.streaming_content).decode()
    header, *lines = body.strip().split("\r\n")
    assert header.endswith(",verdict")
    verdicts = sorted({line.rsplit(",", 1)[1] for line in lines})
    assert verdicts == ["pending", "rejected", "selected"]
