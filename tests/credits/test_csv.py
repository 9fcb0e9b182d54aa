"""The CSV export: the report's rows, streamed, byte for byte, safe in a spreadsheet."""

import pytest
from django.urls import reverse

from projects.csv_export import csv_safe

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def _csv(client, **params):
    response = client.get(reverse("spend_csv"), {**OCTOBER, **params})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response, b"".join(response.streaming_content).decode()


def test_one_row_per_ledger_entry_byte_for_byte(erin_client, october, team, alice):
    response, body = _csv(erin_client)
    assert response["Content-Disposition"] == (
        'attachment; filename="spend-2026-10-01-to-2026-10-31.csv"'
    )
    first, fast, failed, flying = october.first, october.fast, october.failed, october.flying
    from projects.models import PriceVersion

    version = PriceVersion.objects.in_effect().pk
    expected = (
        "accrued_at,created_at,kind,team,member,project,generation,model,status,credits,"
        "dollars,credits_used,price_version,reason,verdict\r\n"
        f"2026-10-02T10:00:00+00:00,2026-10-02T10:00:00+00:00,reserve,Acme Films,bob,Trailer,"
        f"{first.pk},seedance-20,success,200,1.000000,,{version},,pending\r\n"
        f"2026-10-02T10:00:00+00:00,2026-10-02T10:00:00+00:00,settle,Acme Films,bob,Trailer,"
        f"{first.pk},seedance-20,success,0,0.000000,200,{version},,pending\r\n"
        f"2026-10-02T12:00:00+00:00,2026-10-02T12:00:00+00:00,reserve,Acme Films,bob,Trailer,"
        f"{fast.pk},seedance2-fast,success,560,2.800000,,{version},,pending\r\n"
        f"2026-10-02T12:00:00+00:00,2026-10-02T13:00:00+00:00,settle,Acme Films,bob,Trailer,"
        f"{fast.pk},seedance2-fast,success,-60,-0.300000,500,{version},,pending\r\n"
        f"2026-10-05T09:00:00+00:00,2026-10-05T09:00:00+00:00,reserve,Acme Films,alice,'=cmd,"
        f"{failed.pk},seedance-20,fail,160,0.800000,,{version},,\r\n"
        f"2026-10-05T09:00:00+00:00,2026-10-05T10:00:00+00:00,refund,Acme Films,alice,'=cmd,"
        f"{failed.pk},seedance-20,fail,-160,-0.800000,,{version},,\r\n"
        f"2026-10-09T15:00:00+00:00,2026-10-09T15:00:00+00:00,reserve,Acme Films,alice,'=cmd,"
        f"{flying.pk},seedance-20,generating,600,3.000000,,{version},,\r\n"
        f"2026-10-10T08:00:00+00:00,2026-10-10T08:00:00+00:00,adjust,Acme Films,alice,,,,,"
        f"-50,-0.250000,,{version},goodwill,\r\n"
    )
    assert body == expected


def test_one_row_per_group_as_shown(erin_client, october):
    _, body = _csv(erin_client, rows="groups", group="project")
    assert body == (
        "project,credits,dollars\r\n"
        "Trailer,700,3.500000\r\n"
        "'=cmd,600,3.000000\r\n"
        "No project (adjustments),-50,-0.250000\r\n"
    )


def test_the_same_filters_as_the_report(erin_client, october, bob):
    _, body = _csv(erin_client, member=bob.pk, status="success")
    lines = body.splitlines()[1:]
    assert len(lines) == 4
    assert all(",bob," in line for line in lines)
    assert sum(int(line.split(",")[9]) for line in lines) == 700


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-50, -50),
    ],
)
def test_cells_are_safe_against_formula_injection(value, cell):
    assert csv_safe(value) == cell


def test_a_member_named_like_a_formula(erin_client, team, erin, clock):
    import datetime as dt

    from django.contrib.auth import get_user_model

    from projects.models.credits import adjust

    clock(dt.datetime(2026, 10, 15, tzinfo=dt.UTC))
    sly = get_user_model().objects.create_user("@cmd")
    team.add_member(sly)
    adjust(team=team, user=sly, credits=5, reason="-1+2", actor=erin)
    _, body = _csv(erin_client)
    assert ",'@cmd," in body and body.rstrip().endswith(",'-1+2,")


def test_a_bad_filter_is_a_400_not_a_file(erin_client):
    response = erin_client.get(reverse("spend_csv"), {"start": "2026-13-01", "end": "x"})
    assert response.status_code == 400
