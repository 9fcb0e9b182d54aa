"""The credits pages' tables on a phone (390 px): each row a card whose figures are all in
view (credits and dollars included), no sideways scroll, a table that does scroll is a
keyboard-reachable region, and axe finds nothing serious; the same pages at 1280 and
1920 px keep their tables.

With SCREENSHOTS=1 each page is saved at phone size as docs/<page>-phone.png."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from projects.models.credits import set_budget
from tests.credits.conftest import clock, october, staff  # noqa: F401

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
OCTOBER = "start=2026-10-01&end=2026-10-31"
PAGES = [
    ("erin", "/spend/report/?" + OCTOBER + "&group=project", ["expensive", "failed"], "report"),
    ("erin", "/spend/budgets/", ["budget-table", "audit-log"], "budgets"),
    ("erin", "/spend/pricing/", ["rates", "duration-table"], "pricing"),
    # Staff see the form of a new version: a line per model and resolution.
    ("staff", "/spend/pricing/", ["price-cells"], "pricing-form"),
    ("bob", "/spend/?" + OCTOBER, ["my-generations"], "my-spend"),
    (
        "staff",
        "/spend/reconciliation/?" + OCTOBER + "&show=all",
        ["reconciliation"],
        "reconciliation",
    ),
]
SIZES = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
    "wide": {"width": 1920, "height": 1080},
}

# Every cell of a table (its figures included): drawn, and inside the window.
FIGURES = """(table, width) => [...table.querySelectorAll("tbody td")].map(cell => {
  const box = cell.getBoundingClientRect();
  return {text: cell.innerText, shown: box.width > 0 && box.height > 0
    && getComputedStyle(cell).display !== "none" && box.left >= 0 && box.right <= width};
})"""


def serious_axe_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


@pytest.mark.usefixtures("october")
@pytest.mark.parametrize("size", SIZES)
def test_every_figure_is_in_view_and_axe_finds_nothing_serious(
    request, login, live_server, page, team, erin, bob, size
):
    set_budget(team=team, user=bob, period="month", hard_limit=12500, actor=erin, reason="pilot")
    set_budget(team=team, user=None, period="month", hard_limit=250000, actor=erin)
    users = {"erin": erin, "bob": bob, "staff": request.getfixturevalue("staff")}
    width = SIZES[size]["width"]
    page.set_viewport_size(SIZES[size])
    logged_in = None
    for role, path, tables, name in PAGES:
        if role != logged_in:
            page.context.clear_cookies()
            login(users[role])
            logged_in = role
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for testid in tables:
            table = page.get_by_test_id(testid)
            figures = table.evaluate(FIGURES, width)
            assert figures, f"{path}: {testid} has no figures"
            hidden = [cell["text"] for cell in figures if not cell["shown"]]
            assert hidden == [], f"{path} at {width} px: {testid} hides {hidden}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways at {width} px"
        # A table box that scrolls is focusable, so the keyboard can scroll it.
        unreachable = page.evaluate(
            """[...document.querySelectorAll(".table-scroll")]
                 .filter(box => box.scrollWidth > box.clientWidth + 1 && box.tabIndex < 0)
                 .length"""
        )
        assert unreachable == 0, path
        if os.environ.get("SCREENSHOTS") == "1" and size == "phone":
            page.screenshot(path=DOCS / f"{name}-phone.png", full_page=True)
        if size != "wide":  # axe reads the same page at 1280 and 1920 px
            assert serious_axe_violations(page) == [], path
