"""The library's pages at desktop and phone size, drawn without sideways scroll.

With SCREENSHOTS=1 each page is also saved under docs/ (docs/library-desktop.png,
docs/library-phone.png, ...), the pictures the README shows:
SCREENSHOTS=1 .venv/bin/python -m pytest tests/browser/test_library_screenshots.py
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.library_data import make_library

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def settle(page):
    """Every image decoded and the web fonts in: a screenshot of the final page."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "[...document.images].every(img => img.complete) && document.fonts.status === 'loaded'"
    )


def shoot(page, name: str, size: str):
    assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {size} size"
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=DOCS / f"{name}-{size}.png")


@pytest.mark.parametrize("size", SIZES)
def test_it_draws_the_library_pages(login, live_server, alice, bob, team, s3_storage, size):
    library = make_library(alice, bob, team)
    page = login(alice)
    page.set_viewport_size(SIZES[size])

    pages = {
        "library": "/library/",
        "asset-detail": f"/library/assets/{library.assets[2].pk}/",
        "character-detail": f"/library/characters/{library.team_character.pk}/",
        "characters": "/library/characters/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        settle(page)
        shoot(page, name, size)

    page.get_by_role("link", name="New character").click()
    dialog = page.locator("#character-dialog")
    expect(dialog.get_by_label("Name")).to_be_focused()
    dialog.get_by_label("Name").fill("Juno")
    dialog.get_by_label("Handle").fill("juno")
    dialog.get_by_label("Team library").check()
    for name in ("mira close-up", "street at dusk"):
        dialog.get_by_role("checkbox", name=name).check()
    settle(page)
    shoot(page, "character-dialog", size)
