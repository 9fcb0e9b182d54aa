"""Long names in the library at 390, 1280 and 1920 px: media stay inside their cards,
names are cut with the full name in a tooltip, nine look-alike files are told apart
by the end of their names, and no page scrolls sideways.

With SCREENSHOTS=1 the page is saved as docs/character-nine-images-<size>.png."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.studio_data import (
    LONG_CHARACTER,
    LONG_PROJECT,
    MIRA_FILES,
    long_named_project,
    nine_image_character,
)

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
SIZES = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
    "wide": {"width": 1920, "height": 1080},
}

# Each card's box, its media frame's box, and whether its name is cut and how.
CARD_GEOMETRY = """cards => cards.map(card => {
  const box = card.getBoundingClientRect();
  const frame = card.querySelector(".media-frame").getBoundingClientRect();
  const name = card.querySelector("[data-testid=image-name]") || card.querySelector("span a");
  const tail = card.querySelector("[data-testid=image-name-tail]");
  return {
    inside: frame.left >= box.left - 0.5 && frame.right <= box.right + 0.5
      && frame.top >= box.top - 0.5 && frame.bottom <= box.bottom + 0.5,
    frameWidth: frame.width, cardWidth: box.width,
    nameFits: name.getBoundingClientRect().right <= box.right + 0.5,
    title: name.getAttribute("title"),
    tail: tail ? tail.innerText : "",
  };
})"""

# How many lines an element's text takes.
LINES = """el => Math.round(
  el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"""


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("size", SIZES)
def test_a_nine_image_character_with_long_file_names(
    login, live_server, alice, team, s3_storage, size
):
    character = nine_image_character(alice, team)
    page = login(alice)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/library/characters/{character.pk}/")
    cards = page.get_by_test_id("character-image")
    expect(cards).to_have_count(9)

    geometry = cards.evaluate_all(CARD_GEOMETRY)
    for number, card in enumerate(geometry, start=1):
        assert card["inside"], f"image {number}'s frame leaves its card: {card}"
        assert card["nameFits"], f"image {number}'s name runs out of its card: {card}"
        assert card["frameWidth"] > 100
        assert card["title"] == MIRA_FILES[number - 1].removesuffix(".png")
    # What is left in view of each name tells the nine apart.
    tails = [card["tail"] for card in geometry]
    assert len(set(tails)) == 9, tails
    assert all(f"{number:02d}" in tail for number, tail in enumerate(tails, start=1))
    # Their order and size are said too.
    expect(cards.nth(4)).to_contain_text("5.")
    expect(cards.nth(4)).to_contain_text("480\u00d7270")

    # The title keeps to a few lines and never breaks a word.
    title = page.get_by_role("heading", level=1)
    expect(title).to_contain_text(LONG_CHARACTER)
    lines = title.evaluate(LINES)
    assert lines <= 3, f"the title wraps to {lines} lines"
    assert horizontal_overflow(page) <= 0
    if os.environ.get("SCREENSHOTS") == "1":
        page.wait_for_function("[...document.images].every(img => img.complete)")
        page.screenshot(path=DOCS / f"character-nine-images-{size}.png", full_page=True)


# An element's lines, whether it is cut sideways, and how it may wrap.
SHAPE = """el => ({
  lines: Math.round(
    el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)),
  clipped: el.scrollWidth > el.clientWidth + 1,
  wrap: getComputedStyle(el).overflowWrap + " " + getComputedStyle(el).wordBreak,
  title: el.getAttribute("title") || "",
})"""


def assert_title(locator, name: str, max_lines: int):
    shape = locator.evaluate(SHAPE)
    assert shape["lines"] <= max_lines, shape
    assert not shape["clipped"], shape
    # Words wrap whole (at spaces, or between the parts of a file name), never inside.
    assert shape["wrap"] == "normal normal", shape
    assert shape["title"].startswith(name), shape


def assert_one_line(locator, name: str):
    shape = locator.evaluate(SHAPE)
    assert shape["lines"] == 1, shape
    assert shape["title"] == name, shape


@pytest.mark.parametrize("size", SIZES)
def test_long_names_keep_titles_short_and_breadcrumbs_on_one_line(
    login, live_server, alice, team, s3_storage, size
):
    character = nine_image_character(alice, team)
    project = long_named_project(alice, team)
    asset = character.ordered_images[0].asset
    page = login(alice)
    page.set_viewport_size(SIZES[size])

    page.goto(f"{live_server.url}/library/")
    for card in page.get_by_test_id("asset-card").all():
        name = card.locator(".asset-name")
        assert_one_line(name, name.get_attribute("title"))
    assert horizontal_overflow(page) <= 0

    page.goto(f"{live_server.url}/library/assets/{asset.pk}/")
    assert_title(page.get_by_role("heading", level=1), asset.name, 3)
    assert_one_line(page.locator("#asset-crumb"), asset.name)
    assert horizontal_overflow(page) <= 0

    page.goto(f"{live_server.url}/library/characters/")
    card = page.get_by_test_id("character-card").first
    assert_title(card.locator(".card-title"), LONG_CHARACTER, 2)
    assert horizontal_overflow(page) <= 0

    page.goto(f"{live_server.url}/library/characters/{character.pk}/")
    assert_title(page.get_by_role("heading", level=1), LONG_CHARACTER, 3)

    page.goto(f"{live_server.url}/projects/{project.pk}/settings/")
    assert_title(page.get_by_role("heading", level=1), LONG_PROJECT, 3)
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    assert crumbs.evaluate(SHAPE)["lines"] == 1
    assert_one_line(crumbs.get_by_role("link", name=LONG_PROJECT), LONG_PROJECT)
    assert horizontal_overflow(page) <= 0
