"""The studio with a month of real work in it (tests/fixtures/realistic.py), at 1920, 1280
and 390 px: the project page's grid of videos, a video's own page and the composer.

Each size: no sideways scroll, no serious or critical axe finding. With SCREENSHOTS=1 the
pictures of docs/ are saved too (`make screenshots`).
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.test_composer import serious_axe_violations
from tests.fixtures.realistic import seed_realistic_studio

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
SIZES = {
    "wide": {"width": 1920, "height": 1080},
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
}
# Tiles side by side on the project page, at least.
ACROSS = {"wide": 3, "desktop": 2, "phone": 1}


@pytest.fixture
def realistic(alice, team, settings, live_server, local_storage):
    settings.SITE_URL = live_server.url
    return seed_realistic_studio(team, alice)


def fits_the_width(page, what: str):
    """No sideways scroll, measured once the page has laid out at its new size."""
    try:
        page.wait_for_function(
            "document.documentElement.scrollWidth <= window.innerWidth", timeout=5_000
        )
    except PlaywrightTimeoutError:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        raise AssertionError(f"{what} scrolls sideways by {overflow} px") from None


def screenshot(page, name: str, **options):
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=DOCS / name, **options)


def tiles_in_first_row(page) -> int:
    return page.evaluate(
        """() => {
        const tiles = [...document.querySelectorAll('[data-testid=generation-card]')];
        const top = tiles[0].getBoundingClientRect().top;
        return tiles.filter(t => Math.abs(t.getBoundingClientRect().top - top) < 2).length;
    }"""
    )


def shape_ratio(tile) -> float:
    return tile.locator(".tile-shape").evaluate(
        "s => { const r = s.getBoundingClientRect(); return r.width / r.height; }"
    )


def test_the_project_page_is_a_grid_of_videos_in_their_own_shapes(login, live_server, realistic):
    page = login(realistic.owner)
    page.goto(f"{live_server.url}/projects/{realistic.project.pk}/")
    tiles = page.get_by_test_id("generation-card")
    expect(tiles).to_have_count(20)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        fits_the_width(page, f"the project page at {size} size")
        assert tiles_in_first_row(page) >= ACROSS[size], size
        if size == "phone":
            assert tiles_in_first_row(page) == 1
        # Every tile has one frame; what will play in it already has its shape.
        frames = page.locator(".tile-frame").evaluate_all(
            "fs => fs.map(f => Math.round(100 * f.clientWidth / f.clientHeight))"
        )
        assert set(frames) == {133}, frames
        for state in ("queued", "generating", "fail", "success"):
            video = realistic.video(state)
            tile = page.locator(f"#generation-{video.pk}")
            width, _, height = video.aspect_ratio.partition(":")
            assert shape_ratio(tile) == pytest.approx(int(width) / int(height), rel=0.03), state
        assert serious_axe_violations(page) == []
        screenshot(page, f"studio-{size}.png")

    # A tile previews its video on hover, and names it for screen readers.
    page.set_viewport_size(SIZES["desktop"])
    done = page.locator(f"#generation-{realistic.video('success').pk}")
    video = done.get_by_test_id("generation-video")
    expect(video).to_have_attribute(
        "aria-label", re.compile(rf"^Video {realistic.video('success').pk}: ")
    )
    expect(done.get_by_test_id("generation-result")).to_contain_text("credits")
    expect(done).to_contain_text(f"{realistic.video('success').duration} s")
    video.scroll_into_view_if_needed()
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=15_000)
    video.hover()
    page.wait_for_function("v => !v.paused && v.muted", arg=video.element_handle())
    page.mouse.move(0, 0)
    page.wait_for_function("v => v.paused", arg=video.element_handle())


def test_a_videos_own_page_plays_with_the_keyboard_and_steps_through_the_project(
    login, live_server, realistic
):
    done = sorted(realistic.videos["success"], key=lambda v: v.pk)
    middle = done[5]
    page = login(realistic.owner)
    page.goto(f"{live_server.url}/projects/{realistic.project.pk}/")
    page.locator(f"#generation-{middle.pk}").get_by_role(
        "link", name=f"Video {middle.pk}", exact=True
    ).click()
    expect(page).to_have_url(re.compile(rf"/videos/{middle.pk}/$"))
    player = page.get_by_test_id("generation-video")
    expect(player).to_have_attribute("aria-label", re.compile(rf"^Video {middle.pk}: "))
    details = page.get_by_test_id("video-page")
    expect(details).to_contain_text("charged")
    expect(details.locator(".video-refs li").first).to_be_visible()
    expect(details.locator(".video-refs img").first).to_have_attribute("src", re.compile("/media/"))
    page.wait_for_function("v => v.readyState >= 2", arg=player.element_handle(), timeout=15_000)

    # Space plays and pauses, the arrows skip; from anywhere but a field.
    player.evaluate("v => { v.muted = true; }")
    page.locator("h1").click()
    page.keyboard.press("Space")
    page.wait_for_function("v => !v.paused", arg=player.element_handle())
    page.keyboard.press("Space")
    page.wait_for_function("v => v.paused", arg=player.element_handle())
    player.evaluate("v => { v.currentTime = 0.8; }")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("v => v.currentTime === 0", arg=player.element_handle())

    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        screenshot(page, f"video-{size}.png")
        fits_the_width(page, f"a video's page at {size} size")
        box = player.bounding_box()
        assert box["width"] <= viewport["width"]
        assert serious_axe_violations(page) == []
        screenshot(page, f"video-{size}.png")

    # J goes to the older video, K back to the newer one.
    page.set_viewport_size(SIZES["desktop"])
    newer, older = middle.neighbours()
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/videos/{older}/$"))
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/videos/{middle.pk}/$"))
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/videos/{newer}/$"))
