"""The spend report against the hand-computed October fixture (see conftest.october)."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def _report(client, headers=None, **params):
    response = client.get(reverse("spend_report"), {**OCTOBER, **params}, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return response


def _table(response, testid):
    """The rows of a data-testid table as lists of cell texts."""
    html = response.content.decode()
    table = re.search(rf'<table[^>]*data-testid="{testid}".*?</table>', html, re.S).group(0)
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_totals_and_the_member_breakdown(erin_client, october):
    response = _report(erin_client)
    context = response.context
    assert context["totals"] == {"credits": 1250, "dollars": Decimal("6.25")}
    assert _table(response, "breakdown-table") == [
        ["bob", "700", "$3.50"],
        ["alice", "550", "$2.75"],
    ]


def test_the_project_and_model_breakdowns(erin_client, october):
    assert _table(_report(erin_client, group="project"), "breakdown-table") == [
        ["Trailer", "700", "$3.50"],
        ["=cmd", "600", "$3.00"],
        ["No project (adjustments)", "-50", "-$0.25"],
    ]
    assert _table(_report(erin_client, group="model"), "breakdown-table") == [
        ["Seedance 2.0", "800", "$4.00"],
        ["Seedance 2.0 Fast", "500", "$2.50"],
        ["No model (adjustments)", "-50", "-$0.25"],
    ]


def test_the_daily_series_has_every_day_and_the_chart_the_same_numbers(erin_client, october):
    response = _report(erin_client)
    rows = _table(response, "series-table")
    assert len(rows) == 31
    spend = {day: int(credits) for day, credits, _ in rows if credits != "0"}
    assert spend == {"2 Oct 2026": 700, "9 Oct 2026": 600, "10 Oct 2026": -50}
    chart = re.search(
        r'<svg[^>]*data-testid="series-chart".*?</svg>', response.content.decode(), re.S
    ).group(0)
    assert "<title" in chart and "<desc" in chart
    columns = [int(c) for c in re.findall(r'class="column"[^>]*data-credits="(-?\d+)"', chart)]
    assert columns == [int(credits) for _, credits, _ in rows]


def test_the_weekly_series_starts_on_mondays(erin_client, october):
    rows = _table(_report(erin_client, interval="week"), "series-table")
    assert [(day, int(credits)) for day, credits, _ in rows] == [
        ("28 Sep 2026", 700),
        ("5 Oct 2026", 550),
        ("12 Oct 2026", 0),
        ("19 Oct 2026", 0),
        ("26 Oct 2026", 0),
    ]


@pytest.mark.parametrize(
    ("params", "credits"),
    [
        ({"status": "success"}, 700),
        ({"status": "fail"}, 0),
        ({"status": "in_flight"}, 600),
        ({"model": "seedance2-fast"}, 500),
        ({"preset": "", "start": "2026-10-03", "end": "2026-10-09"}, 600),
    ],
)
def test_filters(erin_client, october, params, credits):
    assert _report(erin_client, **params).context["totals"]["credits"] == credits


def test_filter_by_member_and_project(erin_client, october, bob):
    assert _report(erin_client, member=bob.pk).context["totals"]["credits"] == 700
    assert _report(erin_client, project=october.formula.pk).context["totals"]["credits"] == 600


def test_the_most_expensive_and_the_failed(erin_client, october):
    response = _report(erin_client)
    expensive = _table(response, "expensive")
    assert [(row[1], row[3]) for row in expensive] == [
        ("alice", "600"),
        ("bob", "500"),
        ("bob", "200"),
        ("alice", "0"),
    ]
    failed = _table(response, "failed")
    assert failed == [[f"#{october.failed.pk} =cmd", "alice", "160", "The prompt broke a rule."]]


def test_presets(erin_client, october, clock):
    import datetime as dt

    clock(dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    last_month = erin_client.get(reverse("spend_report"), {"preset": "last_month"})
    assert last_month.context["totals"]["credits"] == 1250
    clock(dt.datetime(2026, 10, 31, tzinfo=dt.UTC))
    thirty_days = erin_client.get(reverse("spend_report"), {"preset": "last_30_days"})
    assert thirty_days.context["first_day"] == dt.date(2026, 10, 2)
    assert thirty_days.context["totals"]["credits"] == 1250
    this_month = erin_client.get(reverse("spend_report"))
    assert this_month.context["totals"]["credits"] == 1250


def test_top_ten_and_other(erin_client, team, erin, clock):
    import datetime as dt

    from django.contrib.auth import get_user_model

    from projects.models.credits import adjust

    clock(dt.datetime(2026, 10, 15, tzinfo=dt.UTC))
    for number in range(13):
        member = get_user_model().objects.create_user(f"m{number:02d}")
        team.add_member(member)
        adjust(team=team, user=member, credits=100 + number, reason="seed", actor=erin)
    rows = _table(_report(erin_client), "breakdown-table")
    assert len(rows) == 11
    assert rows[0] == ["m12", "112", "$0.56"]
    assert rows[-1] == ["Other (3)", str(100 + 101 + 102), "$1.52"]


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-10-31", "end": "2026-10-01"},
        {"start": "yesterday", "end": "2026-10-01"},
        {"start": "2020-01-01", "end": "2026-10-01"},
        {"start": "2026-10-01", "end": ""},
        {"member": "999999"},
        {"group": "planet"},
        {"status": "<script>"},
    ],
)
def test_bad_filters_answer_400_with_a_message(erin_client, params):
    response = erin_client.get(reverse("spend_report"), {"preset": "", **params})
    assert response.status_code == 400
    assert b'role="alert"' in response.content or b"field-error" in response.content


def test_another_teams_member_cannot_be_a_filter(erin_client, charlie):
    response = erin_client.get(reverse("spend_report"), {"member": charlie.pk})
    assert response.status_code == 400


def test_staff_see_every_team_or_one(staff_client, october, other_team, team):
    everyone = staff_client.get(reverse("spend_report"), OCTOBER)
    assert everyone.context["totals"]["credits"] == 1250 + 200
    globex = staff_client.get(reverse("spend_report"), {**OCTOBER, "team": other_team.pk})
    assert globex.context["totals"]["credits"] == 200


@pytest.mark.parametrize("group", ["member", "project", "model"])
def test_the_report_runs_a_constant_number_of_queries(erin_client, october, group, team, erin):
    from projects.models.credits import adjust

    def count():
        with CaptureQueriesContext(connection) as queries:
            _report(erin_client, group=group)
        return len(queries)

    before = count()
    for _ in range(5):
        adjust(team=team, user=erin, credits=7, reason="more rows", actor=erin)
    assert count() == before
    assert before <= 10


def test_a_bad_filter_in_a_swap_answers_400_with_the_reason_in_place(erin_client):
    response = erin_client.get(
        reverse("spend_report"),
        {"start": "2026-10-31", "end": "2026-10-01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<div id="report-results"' in html
    assert "<html" not in html
    assert "The last day comes before the first." in html


def test_it_answers_a_swap_with_the_results_alone_and_varies_on_it(erin_client, october):
    page = _report(erin_client)
    swap = _report(erin_client, headers={"HX-Request": "true"})
    assert "<html" in page.content.decode()
    assert "<html" not in swap.content.decode()
    assert "1,250" in swap.content.decode()
    for response in (page, swap):
        assert "HX-Request" in response["Vary"]
