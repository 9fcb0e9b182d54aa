"""The studio with a month of real work in it (tests/fixtures/realistic.py), at 1920, 1280
and 390 px: the project page's grid of videos, a video's own page and the composer.

Each size: no sideways scroll, no serious or critical axe finding. With SCREENSHOTS=1 the
pictures of docs/ are saved too (`make screenshots`).
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.browser.test_composer import serious_axe_violations
from tests.fixtures.realistic import seed_realistic_studio
from tests.plugins.users import PASSWORD

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
    return seed_realistic_studio(team, alice, password=PASSWORD)


def fits_the_width(page, what: str):
    """No sideways scroll, measured once the page has laid out at its new size."""
    try:
        page.wait_for_function(
            "() => document.documentElement.scrollWidth <= window.innerWidth", timeout=5_000
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


def test_the_studio_with_a_month_of_work_in_it(login, live_server, browser, realistic):
    """One seeded studio for every page of it (seeding it takes seconds)."""
    page = login(realistic.owner)
    the_project_page_is_a_grid_of_videos_in_their_own_shapes(page, live_server, realistic)
    a_videos_own_page_plays_with_the_keyboard_and_steps_through_the_project(
        page, live_server, realistic
    )
    the_composer_keeps_its_price_in_view_and_its_menus_inside(page, live_server, realistic)
    context = browser.new_context()
    try:
        a_member_at_the_hard_limit_is_told_before_writing(
            context.new_page(), live_server, realistic
        )
    finally:
        context.close()


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def the_project_page_is_a_grid_of_videos_in_their_own_shapes(page, live_server, realistic):
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
        if size != "wide":  # the same markup as at 1280, laid out wider
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


def a_videos_own_page_plays_with_the_keyboard_and_steps_through_the_project(
    page, live_server, realistic
):
    done = sorted(realistic.videos["success"], key=lambda v: v.pk)
    middle = done[5]
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
        if size != "wide":
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


def in_view(page, locator) -> bool:
    """Whether `locator` is wholly on the screen, once the page has settled (resized,
    scrolled) within 2 s."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """el => { const r = el.getBoundingClientRect();
              return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 1
                && r.right <= innerWidth + 1; }""",
            arg=locator.element_handle(),
            timeout=2_000,
        )
    box = locator.bounding_box()
    viewport = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= viewport["height"] + 1
        and box["x"] >= 0
        and box["x"] + box["width"] <= viewport["width"] + 1
    )


def the_composer_keeps_its_price_in_view_and_its_menus_inside(page, live_server, realistic):
    page.goto(f"{live_server.url}/projects/{realistic.project.pk}/")
    composer = page.locator("#composer")
    submit = page.get_by_test_id("composer-submit")
    references = page.get_by_test_id("composer-reference")
    picker = page.locator("#picker")
    notice = page.get_by_test_id("picker-notice")

    # Mira's nine portraits, then one image too many: the picker stays open and says why.
    page.get_by_role("button", name="Add from library").click()
    picker.get_by_test_id("pick-character").filter(has_text="@mira").click()
    expect(references).to_have_count(9)
    harbour = picker.get_by_test_id("pick-asset").filter(has_text="harbour_lighthouse").first
    harbour.click()
    expect(picker).to_be_visible()
    expect(notice).to_contain_text("can't be added: Seedance 2.0 takes at most 9 images.")
    expect(references).to_have_count(9)
    assert serious_axe_violations(page) == []
    # Choosing an added tile again removes it; the refusal goes with the next success.
    picker.get_by_test_id("pick-character").filter(has_text="@mira").click()
    expect(references).to_have_count(0)
    harbour.click()
    expect(references).to_have_count(1)
    expect(notice).not_to_contain_text("can't")
    expect(page.locator("[data-composer-notice]")).to_have_text("")
    expect(harbour).to_have_attribute("aria-pressed", "true")
    picker.get_by_test_id("pick-asset").filter(has_text="pier_run").click()
    picker.get_by_test_id("pick-asset").filter(has_text="storm_theme").click()
    picker.get_by_role("button", name="Done").click()
    expect(references).to_have_count(3)

    prompt = composer.get_by_label("Prompt")
    for size in ("desktop", "phone", "wide"):
        page.set_viewport_size(SIZES[size])
        page.evaluate("window.scrollTo(0, 0)")
        # Price and Generate are in view at the top of the page, and with the prompt.
        expect(page.get_by_test_id("composer-price")).to_be_visible()
        assert in_view(page, submit), f"Generate is out of view at {size} size"
        prompt.scroll_into_view_if_needed()
        assert in_view(page, submit), f"Generate leaves the prompt's view at {size} size"

        # The @ menu at the end of a long line stays inside the screen and the composer.
        prompt.fill("A long line of prompt that runs right to the edge of the box @")
        prompt.press("End")
        prompt.press_sequentially("i")
        menu = page.get_by_role("listbox", name="References and characters")
        expect(menu).to_be_visible()
        page.wait_for_timeout(50)
        box, form = menu.bounding_box(), composer.bounding_box()
        assert (
            box["x"] >= form["x"] - 1 and box["x"] + box["width"] <= form["x"] + form["width"] + 1
        )
        assert in_view(page, menu), f"the @ menu runs off the screen at {size} size"
        if size == "phone":
            assert serious_axe_violations(page) == []
        # Past the last option ArrowDown stays there, so Enter still chooses it.
        options = menu.get_by_role("option")
        for _ in range(options.count() + 2):
            prompt.press("ArrowDown")
        expect(options.last).to_have_attribute("aria-selected", "true")
        prompt.press("Enter")
        expect(prompt).not_to_have_value(re.compile("\n"))
        fits_the_width(page, f"the composer at {size} size")

    # Narrowing the window while the menu is open keeps it inside the screen too.
    page.set_viewport_size(SIZES["desktop"])
    prompt.fill("A long line of prompt that runs right to the edge of the box @")
    prompt.press("End")
    prompt.press_sequentially("i")
    expect(menu).to_be_visible()
    page.set_viewport_size(SIZES["phone"])
    page.wait_for_function(
        "el => el.getBoundingClientRect().right <= document.documentElement.clientWidth + 1",
        arg=menu.element_handle(),
        timeout=2_000,
    )
    box = menu.bounding_box()
    assert box["x"] >= 0, "the open @ menu runs off the left of a narrowed window"
    prompt.press("Escape")

    # A mention still being typed isn't reported as unknown; once finished it is.
    page.set_viewport_size(SIZES["desktop"])
    prompt.fill("")
    prompt.press_sequentially("@image1 at dawn with @th")
    page.wait_for_timeout(700)
    expect(page.get_by_test_id("prompt-counter")).to_be_visible()
    expect(page.get_by_test_id("composer-checks")).not_to_contain_text("@th")
    prompt.press_sequentially("x ")
    expect(page.get_by_test_id("composer-errors")).to_contain_text("@thx")
    screenshot(page, "composer-sticky-desktop.png")


def a_member_at_the_hard_limit_is_told_before_writing(page, live_server, realistic):
    log_in(page, live_server, realistic.hard_member)
    page.goto(f"{live_server.url}/projects/{realistic.hard_project.pk}/")
    page.locator("#composer").get_by_label("Prompt").fill("@image1 in the rain")
    expect(page.get_by_test_id("composer-blocked")).to_be_visible()
    expect(page.get_by_test_id("composer-submit")).to_be_disabled()
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        fits_the_width(page, f"the over-budget composer at {size} size")
        if size != "wide":
            assert serious_axe_violations(page) == []
        if size == "phone":
            screenshot(page, "composer-sticky-phone.png")


def test_the_composer_keeps_an_unsent_draft_per_project_until_cleared(
    login, live_server, alice, team, settings, local_storage
):
    from projects.models import Project
    from tests.library.conftest import make_asset, make_character

    settings.SITE_URL = live_server.url
    project = Project.objects.create(team=team, owner=alice, name="Drafts")
    other = Project.objects.create(team=team, owner=alice, name="Elsewhere")
    make_asset(alice, team, name="harbour at dawn")
    make_character(team, alice, owner=alice, handle="mira", images=3)
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    composer = page.locator("#composer")
    page.get_by_role("button", name="Add from library").click()
    page.locator("#picker").get_by_test_id("pick-asset").filter(has_text="harbour").click()
    page.locator("#picker").get_by_test_id("pick-character").click()
    page.locator("#picker").get_by_role("button", name="Done").click()

    # A character is one item: its images together, their tokens shown together.
    character = page.get_by_test_id("composer-character")
    expect(character).to_have_count(1)
    expect(character.locator(".group-tokens")).to_have_text("@image2\u2013@image4")
    expect(character.get_by_test_id("composer-reference").first).to_be_hidden()
    character.locator(".group-toggle").click()
    expect(character.get_by_test_id("composer-reference")).to_have_count(3)
    expect(character.get_by_test_id("composer-reference").first).to_be_visible()
    character.get_by_role("button", name=re.compile(r"^Move @mira .* up$")).click()
    expect(character.locator(".group-tokens")).to_have_text("@image1\u2013@image3")
    expect(page.get_by_test_id("reference-token")).to_have_text(
        ["@image1", "@image2", "@image3", "@image4"]
    )
    expect(page.locator("[data-composer-status]")).to_contain_text("Moved @mira")
    values = page.locator("input[name=references]").evaluate_all("i => i.map(x => x.value)")
    assert [v.partition(":")[2] != "" for v in values] == [True, True, True, False]
    composer.get_by_label("Prompt").fill("@image1 under a slow sunrise")
    composer.get_by_label("Length").select_option("8")

    # Away and back: the draft is there; another project starts empty.
    page.goto(f"{live_server.url}/projects/{other.pk}/")
    expect(page.locator("#composer").get_by_label("Prompt")).to_have_value("")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    expect(composer.get_by_label("Prompt")).to_have_value("@image1 under a slow sunrise")
    expect(composer.get_by_label("Length")).to_have_value("8")
    expect(page.get_by_test_id("composer-reference")).to_have_count(4)
    expect(page.get_by_test_id("composer-character")).to_have_count(1)
    expect(page.get_by_test_id("draft-note")).to_contain_text("draft is back")
    expect(page.get_by_test_id("composer-price")).to_contain_text("320 credits")

    # Clear: the project's defaults again, and nothing comes back.
    page.get_by_test_id("composer-clear").click()
    expect(composer.get_by_label("Prompt")).to_have_value("")
    expect(page.get_by_test_id("composer-reference")).to_have_count(0)
    expect(composer.get_by_label("Length")).to_have_value("5")
    page.reload()
    expect(composer.get_by_label("Prompt")).to_have_value("")


def project_with_a_done_video(owner, team, name: str):
    """A project of `owner` with one image and one finished video of it (200 credits)."""
    from projects.models import Project
    from tests.fixtures.realistic import compose, finish
    from tests.library.conftest import make_asset

    project = Project.objects.create(team=team, owner=owner, name=name)
    image = make_asset(owner, team, name="harbour at dawn")
    done = compose(project, owner, "@image1 at dawn", [str(image.pk)])
    finish(done, "success")
    return project, image, done


def test_polls_keep_focus_and_a_double_clicked_re_run_makes_one_video(
    login, live_server, alice, team, settings, local_storage
):
    from projects.models import Generation
    from tests.fixtures.realistic import compose, finish

    settings.SITE_URL = live_server.url
    project, image, done = project_with_a_done_video(alice, team, "Polls")
    busy = compose(project, alice, "@image1 at dusk", [str(image.pk)])
    finish(busy, "generating")

    page = login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.evaluate(
        """window.polls = 0;
        document.body.addEventListener('htmx:afterSwap', e => {
          if (e.detail.target.dataset.testid === 'generation-card') { window.polls += 1; }
        });"""
    )
    card = page.locator(f"#generation-{busy.pk}")
    button = card.get_by_role("button", name="Re-run")
    button.focus()
    card.hover()
    page.wait_for_function("() => window.polls >= 3", timeout=15_000)
    expect(button).to_be_focused()
    assert page.evaluate(f"document.querySelector('#generation-{busy.pk}').matches(':hover')")

    # A double click on Re-run: one new video, its note beside the card, the card shown.
    page.locator(f"#generation-{done.pk}").get_by_role("button", name="Re-run").dblclick()
    note = page.locator(f"#generation-{done.pk}").get_by_test_id("tile-note")
    expect(note).to_contain_text("credits reserved")
    expect(page.get_by_test_id("generation-card")).to_have_count(3)
    page.wait_for_timeout(500)
    assert Generation.objects.filter(project=project).count() == 3
    new = Generation.objects.filter(project=project).order_by("-pk").first()
    expect(page.locator(f"#generation-{new.pk}")).to_be_in_viewport()


def test_a_re_run_after_a_price_change_says_the_new_price_and_takes_it_on_the_next_click(
    login, live_server, alice, team, settings, local_storage
):
    from projects.models import Generation, LedgerEntry
    from tests.generations.test_rerun import raise_the_720p_price

    settings.SITE_URL = live_server.url
    project, _, done = project_with_a_done_video(alice, team, "Prices")
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    card = page.locator(f"#generation-{done.pk}")
    reserved = LedgerEntry.objects.count()

    raise_the_720p_price("50")  # the page shows 200 credits; 5 s now cost 250
    card.get_by_role("button", name="Re-run").click()
    note = card.get_by_test_id("tile-note")
    expect(note).to_contain_text("would now cost 250 credits")
    expect(note).to_contain_text("Nothing was reserved")
    assert Generation.objects.filter(project=project).count() == 1
    assert LedgerEntry.objects.count() == reserved

    card.get_by_role("button", name="Re-run").click()
    expect(note).to_contain_text("queued again: 250 credits reserved")
    expect(page.get_by_test_id("generation-card")).to_have_count(2)
    assert Generation.objects.filter(project=project).order_by("-pk")[0].credits_estimated == 250
