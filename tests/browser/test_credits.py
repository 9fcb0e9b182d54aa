"""Credits in the browser: a budget set by an admin, the member's spend, the report, the CSV.

With SCREENSHOTS=1 the pages are also saved under docs/ (spend-report.png,
spend-report-phone.png, budgets.png, my-spend.png); the README shows the report:
SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_credits.py
"""

import csv
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

# The report tests' hand-computed month of spend, the clock it is made with, and staff.
from tests.credits.conftest import clock, october, staff  # noqa: F401

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
OCTOBER = "start=2026-10-01&end=2026-10-31"


def _breakdown_table(page) -> dict[str, int]:
    rows = page.get_by_test_id("breakdown-table").locator("tbody tr")
    return {
        rows.nth(i).locator("td").nth(0).inner_text(): int(
            rows.nth(i).locator("td").nth(1).inner_text().replace(",", "")
        )
        for i in range(rows.count())
    }


@pytest.mark.usefixtures("october")
def test_a_budget_the_members_spend_the_report_and_its_csv(login, live_server, page, erin, bob):
    # The admin gives bob a budget of 300 credits.
    login(erin)
    page.get_by_role("link", name="Budgets").click()
    form = page.get_by_test_id("budget-form")
    form.get_by_label("Budget of").select_option(label="bob")
    form.get_by_label("Hard limit (credits)").fill("300")
    form.get_by_role("button", name="Save budget").click()
    expect(page.locator("#messages")).to_contain_text("Budget of bob set to 300 credits.")
    bob_row = page.locator('[data-testid="member-budget-row"][data-member="bob"]')
    expect(bob_row).to_contain_text("300")
    expect(page.get_by_test_id("audit-log")).to_contain_text("bob's budget")
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=DOCS / "budgets.png", full_page=True)

    # The report for October shows the fixture's spend, in the chart and its table.
    page.goto(f"{live_server.url}/spend/report/?{OCTOBER}")
    expect(page.get_by_test_id("total-credits")).to_have_text("1,250")
    expect(page.get_by_test_id("total-dollars")).to_have_text("$6.25")
    assert _breakdown_table(page) == {"bob": 700, "alice": 550}
    chart = page.get_by_test_id("breakdown-chart")
    expect(chart.locator("title")).to_have_text("Credits by member")
    assert [
        int(v)
        for v in chart.locator("rect").evaluate_all("bars => bars.map(bar => bar.dataset.credits)")
    ] == [700, 550]
    columns = page.get_by_test_id("series-chart").locator("rect.column")
    expect(columns).to_have_count(31)
    assert columns.nth(1).get_attribute("data-credits") == "700"

    # Grouping by project swaps the results in place (HTMX) and keeps it in the URL.
    page.get_by_label("Group by").select_option("project")
    expect(page.get_by_test_id("breakdown-table")).to_contain_text("Trailer")
    expect(page).to_have_url(re.compile(r"group=project"))
    assert _breakdown_table(page) == {"Trailer": 700, "=cmd": 600, "No project (adjustments)": -50}

    if os.environ.get("SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.goto(f"{live_server.url}/spend/report/?{OCTOBER}&group=member")
        page.screenshot(path=DOCS / "spend-report.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=DOCS / "spend-report-phone.png")
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/spend/report/?{OCTOBER}&group=project")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # The CSV downloads, and its rows add up to the table on the page.
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-link").click()
    download = download_info.value
    assert download.suggested_filename == "spend-2026-10-01-to-2026-10-31.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    by_project: dict[str, int] = {}
    for row in rows:
        name = row["project"] or "No project (adjustments)"
        by_project[name.removeprefix("'")] = by_project.get(name.removeprefix("'"), 0) + int(
            row["credits"]
        )
    assert by_project == _breakdown_table(page)
    with page.expect_download() as download_info:
        page.get_by_test_id("csv-groups-link").click()
    grouped = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert grouped[0] == ["project", "credits", "dollars"]
    assert {name.removeprefix("'"): int(credits) for name, credits, _ in grouped[1:]} == (
        _breakdown_table(page)
    )

    # A range that ends before it starts says so in place of the results.
    page.locator("#range-end").fill("2026-09-01")
    expect(page.get_by_test_id("report-error")).to_contain_text(
        "The last day comes before the first."
    )

    # Bob sees his budget of 300 on his spend page.
    page.context.clear_cookies()
    login(bob)
    page.get_by_role("link", name="Spend").click()
    budget = page.get_by_test_id("budget")
    expect(budget).to_contain_text("Your monthly budget")
    expect(budget.get_by_test_id("budget-limit")).to_have_text("300")
    expect(page.get_by_test_id("my-generations")).to_be_visible()
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=DOCS / "my-spend.png", full_page=True)


@pytest.mark.usefixtures("october")
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("bob", "/spend/?" + OCTOBER),
        ("erin", "/spend/?" + OCTOBER),
        ("erin", "/spend/report/?" + OCTOBER + "&group=project&interval=week"),
        ("erin", "/spend/budgets/"),
        ("erin", "/spend/pricing/"),
        ("staff", "/spend/report/?team=&" + OCTOBER),
        ("staff", "/spend/pricing/"),
        ("staff", "/spend/reconciliation/?" + OCTOBER),
    ],
)
def test_the_credits_pages_fit_a_phone(request, login, live_server, page, role, path):
    login(request.getfixturevalue(role))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways on a phone"
