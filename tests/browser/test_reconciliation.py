"""Reconciliation in the browser: the differences first, every row one click away, and
an adjustment made in a dialog that keeps its errors in place."""

import pytest
from playwright.sync_api import expect

from projects.models import LedgerEntry
from tests.credits.conftest import clock, october, staff  # noqa: F401

OCTOBER = "start=2026-10-01&end=2026-10-31"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("size", SIZES)
def test_the_differences_first_and_an_adjustment_in_a_dialog(
    request, login, live_server, page, size
):
    shots = request.getfixturevalue("october")
    login(request.getfixturevalue("staff"))
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/spend/reconciliation/?{OCTOBER}")
    table = page.get_by_test_id("reconciliation")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Estimate off by -60.")
    # No form per row: the page stays short however many rows there are.
    expect(table.locator("form, input")).to_have_count(0)
    expect(table.get_by_role("columnheader", name="Kinovi charged")).to_have_count(1)

    page.get_by_test_id("show-all").click()
    expect(table.locator("tbody tr")).to_have_count(3)
    page.get_by_test_id("show-flagged").click()
    expect(table.locator("tbody tr")).to_have_count(1)

    page.get_by_role("link", name=f"Adjust video {shots.fast.pk}").click()
    dialog = page.get_by_role("dialog", name=f"Adjust video #{shots.fast.pk}")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Credits")).to_be_focused()
    dialog.get_by_label("Credits").fill("0")
    dialog.get_by_label("Reason").fill("Kinovi billed 560")
    dialog.get_by_role("button", name="Adjust").click()
    expect(dialog.get_by_role("alert")).to_have_text("An adjustment of 0 credits changes nothing.")
    expect(dialog).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    dialog.get_by_label("Credits").fill("60")
    dialog.get_by_role("button", name="Adjust").click()
    expect(page.locator("#messages")).to_contain_text(f"Video {shots.fast.pk} adjusted.")
    expect(dialog).to_be_hidden()
    assert LedgerEntry.objects.filter(
        kind=LedgerEntry.Kind.ADJUST, generation=shots.fast, credits=60
    ).exists()
