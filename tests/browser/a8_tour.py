"""A8's look at every credits page, per role and width (run by path; not collected)."""

import datetime as dt
import os
from pathlib import Path

import pytest

from projects.kinovi.pricing import STANDARD_MODEL
from projects.models import Generation, Project
from projects.models.credits import add_price_version, reserve, set_budget, settle
from tests.credits.conftest import clock, october, staff  # noqa: F401

SHOTS = Path(os.environ.get("A8_SHOTS", "/tmp/a8_shots"))
OCT = "start=2026-10-01&end=2026-10-31"
PAGES = {
    "bob": ["/spend/?" + OCT],
    "erin": [
        "/spend/?" + OCT,
        "/spend/report/?" + OCT,
        "/spend/report/?" + OCT + "&group=project&interval=week",
        "/spend/report/?preset=last_month&group=model&interval=month",
        "/spend/report/?" + OCT + "&status=fail",
        "/spend/budgets/",
        "/spend/pricing/",
    ],
    "sam": [
        "/spend/report/?" + OCT + "&team=",
        "/spend/budgets/",
        "/spend/pricing/",
        "/spend/reconciliation/?" + OCT,
    ],
}


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("role", ["bob", "erin", "sam"])
def test_tour(login, live_server, page, october, clock, team, alice, bob, erin, staff, role, width):  # noqa: F811
    clock(dt.datetime(2026, 10, 3, 9, tzinfo=dt.UTC))
    for n in range(12):
        project = Project.objects.create(team=team, name=f"Spot {n:02d}", owner=bob)
        generation = Generation.objects.create(
            project=project, created_by=bob, model=STANDARD_MODEL, prompt="p", duration=4
        )
        reserve(generation, has_video_reference=False)
        Generation.objects.filter(pk=generation.pk).update(status="success", credits_used=160 + n)
        settle(generation, 160 + n)
    clock(dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC))
    set_budget(team=team, user=bob, period="month", hard_limit=3000, actor=erin, reason="Q4")
    set_budget(team=team, user=None, period="month", hard_limit=10000, actor=erin)
    add_price_version(
        __import__("projects.kinovi.pricing", fromlist=["x"]).SEED_RATES,
        effective_from=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        actor=staff,
        note="Video reference surcharge",
    )
    user = {"bob": bob, "erin": erin, "sam": staff}[role]
    login(user)
    page.set_viewport_size({"width": width, "height": 900})
    for n, path in enumerate(PAGES[role]):
        page.goto(f"{live_server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        print(role, width, path, "overflow", overflow)
        page.screenshot(path=SHOTS / f"{role}-{width}-{n}.png", full_page=True)
