"""Reconciliation (staff): estimate, settlement and creditsUsed, and adjustments."""

from decimal import Decimal

from django.urls import reverse

from projects.models import AuditEntry, LedgerEntry

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def test_reconciliation_flags_differences(staff_client, october):
    response = staff_client.get(reverse("reconciliation"), OCTOBER)
    rows = {row["generation"]: row for row in response.context["page"]}
    assert set(rows) == {october.first.pk, october.fast.pk, october.failed.pk}
    assert rows[october.first.pk]["flagged"] == ""
    assert (rows[october.fast.pk]["estimate"], rows[october.fast.pk]["settled"]) == (560, 500)
    assert rows[october.fast.pk]["flagged"] == "Estimate off by -60."
    assert rows[october.failed.pk]["settled"] == 0
    by_version = list(response.context["by_version"])
    assert [(row["credits"], row["dollars"]) for row in by_version] == [
        (1250 + 200, Decimal("7.250000"))
    ]


def test_an_adjustment_from_reconciliation_carries_its_reason(staff_client, staff, october):
    response = staff_client.post(
        reverse("reconciliation") + "?start=2026-10-01&end=2026-10-31",
        {"generation": october.fast.pk, "credits": "60", "reason": "Kinovi billed 560"},
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADJUST, generation=october.fast)
    assert (entry.credits, entry.reason, entry.recorded_by, entry.user) == (
        60,
        "Kinovi billed 560",
        staff,
        october.fast.created_by,
    )
    assert AuditEntry.objects.filter(reason="Kinovi billed 560").exists()


def test_an_adjustment_needs_a_reason_and_credits(staff_client, october):
    response = staff_client.post(
        reverse("reconciliation"), {"generation": october.fast.pk, "credits": "0", "reason": " "}
    )
    assert response.status_code == 400
    assert not LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.ADJUST, generation__isnull=False
    ).exists()


def test_an_adjustment_of_an_unknown_generation_is_404(staff_client):
    response = staff_client.post(
        reverse("reconciliation"), {"generation": "999999", "credits": "5", "reason": "x"}
    )
    assert response.status_code == 404
