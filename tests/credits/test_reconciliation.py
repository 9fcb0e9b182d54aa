"""Reconciliation (staff): estimate, settlement and creditsUsed, and adjustments."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from projects.models import AuditEntry, Generation, GenerationReference, LedgerEntry
from projects.models.credits import settle
from projects.models.library import Kind

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


def _seedance_25_done(project, user, *, reference_seconds, credits_used, pending=False):
    """A 5 s 2.5 shot at 720p with a reference video, submitted, done and settled."""
    generation = Generation.objects.create(
        project=project, created_by=user, model="seedance2-5", prompt="p", duration=5
    )
    GenerationReference.objects.create(
        generation=generation,
        kind=Kind.VIDEO,
        position=1,
        url="https://cdn.example/clip.mp4",
        duration_seconds=reference_seconds,
    )
    generation.submit()
    if pending:
        Generation.objects.filter(pk=generation.pk).update(
            status="success", credits_used=credits_used, settle_pending_since=timezone.now()
        )
    else:
        settle(generation, credits_used)
        Generation.objects.filter(pk=generation.pk).update(
            status="success", credits_used=credits_used
        )
    return generation


def test_reconciliation_lists_what_was_charged_above_its_reservation(staff_client, october):
    # Reserved (10 + 5) s x 35 = 525; Kinovi charged 16 s.
    above = _seedance_25_done(
        october.trailer, october.trailer.owner, reference_seconds=10.0, credits_used=560
    )
    # The worst case reserved (35 s x 35 = 1,225); Kinovi charged 15 s.
    worst = _seedance_25_done(
        october.trailer, october.trailer.owner, reference_seconds=None, credits_used=525
    )
    pending = _seedance_25_done(
        october.trailer,
        october.trailer.owner,
        reference_seconds=10.0,
        credits_used=175,
        pending=True,
    )
    response = staff_client.get(reverse("reconciliation"), OCTOBER)
    rows = {row["generation"]: row for row in response.context["page"]}
    assert rows[above.pk]["flagged"] == "Charged 35 more than reserved (525)."
    assert rows[worst.pk]["flagged"] == "Worst case reserved: Kinovi charged 700 less."
    assert rows[pending.pk]["flagged"] == (
        "Final cost pending: Kinovi updates its charge after the video is done."
    )
    html = response.content.decode()
    # Said as a difference, not as a mild one.
    assert 'class="flag" data-testid="charged-above">Charged 35 more' in html

    response = staff_client.get(reverse("reconciliation"), {**OCTOBER, "show": "above"})
    assert [row["generation"] for row in response.context["page"]] == [above.pk]
    html = response.content.decode()
    assert "Charged more than reserved (1)" in html
    # The budget counted it: the video's net is Kinovi's figure.
    assert LedgerEntry.objects.filter(generation=above).total_credits() == 560


def test_nothing_above_its_reservation_says_so(staff_client, october):
    response = staff_client.get(reverse("reconciliation"), {**OCTOBER, "show": "above"})
    assert list(response.context["page"]) == []
    assert 'data-testid="none-above"' in response.content.decode()
