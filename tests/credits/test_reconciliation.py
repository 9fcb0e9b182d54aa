"""Reconciliation (staff): estimate, settlement and creditsUsed, and adjustments."""

from decimal import Decimal

from django.urls import reverse

from projects.models import AuditEntry, LedgerEntry

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def test_reconciliation_flags_differences(staff_client, october):
    response = staff_client.get(reverse("reconciliation"), {**OCTOBER, "show": "all"})
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


def test_reconciliation_shows_the_differences_first(staff_client, october):
    response = staff_client.get(reverse("reconciliation"), OCTOBER)
    assert [row["generation"] for row in response.context["page"]] == [october.fast.pk]
    html = response.content.decode()
    assert "Differences (1)" in html
    assert 'data-testid="show-all"' in html
    # Column headings say what the numbers are, not what the API calls them.
    assert "creditsUsed" not in html
    assert "Kinovi charged" in html and "Our estimate" in html


def test_reconciliation_without_differences_says_so(staff_client, october):
    response = staff_client.get(
        reverse("reconciliation"), {"start": "2026-10-20", "end": "2026-10-31"}
    )
    assert list(response.context["page"]) == []
    assert 'data-testid="no-differences"' in response.content.decode()


def test_the_adjust_dialog_is_a_partial_and_a_page(staff_client, october):
    query = {**OCTOBER, "adjust": october.fast.pk}
    part = staff_client.get(reverse("reconciliation"), query, headers={"HX-Request": "true"})
    assert part.status_code == 200
    html = part.content.decode()
    assert f"Adjust video #{october.fast.pk}" in html and "<table" not in html
    page = staff_client.get(reverse("reconciliation"), query).content.decode()
    assert '<dialog id="adjust-dialog" aria-labelledby="adjust-title" open>' in page
    assert staff_client.get(reverse("reconciliation"), {"adjust": "x"}).status_code == 404
    assert staff_client.get(reverse("reconciliation"), {"adjust": "99999"}).status_code == 404


def test_a_bad_adjustment_in_the_dialog_answers_400_in_place(staff_client, october):
    response = staff_client.post(
        reverse("reconciliation") + f"?adjust={october.fast.pk}",
        {"generation": october.fast.pk, "credits": "0", "reason": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "An adjustment of 0 credits changes nothing." in html and "<table" not in html
    assert not LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.ADJUST, generation=october.fast
    ).exists()


def test_an_adjustment_in_the_dialog_reloads_the_page(staff_client, october):
    response = staff_client.post(
        reverse("reconciliation") + f"?show=all&adjust={october.fast.pk}",
        {"generation": october.fast.pk, "credits": "60", "reason": "Kinovi billed 560"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("reconciliation") + "?show=all"
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.ADJUST, credits=60).exists()
