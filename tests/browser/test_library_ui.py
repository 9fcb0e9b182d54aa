"""The library in Chromium at desktop (1280x800) and phone (390x844) size:
media in their own shape, the phone header and dialog, uploads that clear,
keyboard use, alignment, and the name that changes everywhere on a rename."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from projects.models import Membership, Team
from tests.browser.library_data import make_library
from tests.plugins.users import PASSWORD

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ACCENT = "rgb(67, 56, 202)"

# How an <img> is drawn: its drawn aspect ratio over its file's (1.0: never
# stretched) and whether any of it falls outside its frame (cut off).
DRAWN = """img => {
  const box = img.getBoundingClientRect();
  const frame = img.parentElement.getBoundingClientRect();
  const fit = getComputedStyle(img).objectFit;
  const nw = img.naturalWidth, nh = img.naturalHeight;
  let w = box.width, h = box.height;
  if (fit === "contain" || fit === "cover" || fit === "scale-down") {
    const scale = (fit === "cover" ? Math.max : Math.min)(box.width / nw, box.height / nh);
    w = nw * scale; h = nh * scale;
  }
  return {
    src: img.currentSrc, ratio: (w / h) / (nw / nh),
    cut: w > Math.min(box.width, frame.width) + 1 || h > Math.min(box.height, frame.height) + 1,
  };
}"""


@pytest.fixture
def library(login, live_server, alice, bob, team, s3_storage):
    return make_library(alice, bob, team)


def loaded(page, selector: str):
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].every(i => i.complete && i.naturalWidth)",
        arg=selector,
    )
    return page.locator(selector)


def assert_drawn_in_own_shape(images):
    assert images.count() > 0
    for drawn in images.evaluate_all(f"imgs => imgs.map({DRAWN})"):
        assert drawn["ratio"] == pytest.approx(1, abs=0.02), drawn
        assert not drawn["cut"], drawn


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_it_draws_every_image_in_its_own_aspect_ratio(login, live_server, alice, library, viewport):
    page = login(alice)
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/library/")
    assert_drawn_in_own_shape(loaded(page, "[data-testid=asset-card] img"))

    for asset in (library.assets[0], library.assets[2], library.assets[3]):
        page.goto(f"{live_server.url}/library/assets/{asset.pk}/")
        preview = loaded(page, ".asset-preview img")
        assert_drawn_in_own_shape(preview)
        # The frame is the page's, the picture keeps its shape inside it.
        box = preview.bounding_box()
        assert box["width"] > 200 and box["height"] > 200

    page.goto(f"{live_server.url}/library/characters/{library.team_character.pk}/")
    assert_drawn_in_own_shape(loaded(page, "[data-testid=character-image] img"))

    page.goto(f"{live_server.url}/library/characters/")
    assert_drawn_in_own_shape(loaded(page, ".character-card img"))
    page.get_by_role("link", name="New character").click()
    expect(page.get_by_test_id("image-choice")).to_have_count(7)
    assert_drawn_in_own_shape(loaded(page, "#character-dialog .image-choice img"))


def test_it_folds_the_header_into_one_row_on_a_phone(login, live_server, alice, library):
    page = login(alice)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/library/")
    header = page.locator("header.topbar")
    assert header.bounding_box()["height"] < 70
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    heading = page.get_by_role("heading", level=1).bounding_box()
    assert heading["y"] >= header.bounding_box()["height"]

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Library")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("alice", exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")

    page.set_viewport_size(DESKTOP)
    expect(nav).to_be_visible()
    expect(menu).to_be_hidden()
    assert header.bounding_box()["height"] < 70


def test_it_does_not_scroll_sideways_on_a_phone_after_uploads(
    login, live_server, alice, team, s3_storage, tmp_path
):
    page = login(alice)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/library/")
    long_name = tmp_path / ("a-very-long-file-name-from-a-camera-" * 4 + ".png")
    long_name.write_bytes((MEDIA / "tiny.png").read_bytes())
    page.locator("#upload-input").set_input_files(
        [long_name, MEDIA / "sixteen_seconds.mp4", MEDIA / "archive.zip"]
    )
    expect(page.get_by_test_id("upload-item").get_by_role("alert")).to_have_count(2)
    expect(page.get_by_test_id("asset-card")).to_have_count(1)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_it_keeps_the_dialog_actions_in_view_with_many_images(login, live_server, alice, library):
    page = login(alice)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/library/characters/")
    page.get_by_role("link", name="New character").click()
    dialog = page.locator("#character-dialog")
    expect(dialog.get_by_test_id("image-choice")).to_have_count(7)
    create = dialog.get_by_role("button", name="Create character")
    cancel = dialog.get_by_role("button", name="Cancel")
    for scroll in ("0", "dialog.scrollHeight / 2", "dialog.scrollHeight"):
        dialog.evaluate(f"dialog => dialog.scrollTop = {scroll}")
        for button in (create, cancel):
            box = button.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], scroll
    expect(create).to_be_in_viewport()


def test_it_focuses_the_first_field_and_says_a_team_character_shares_its_images(
    login, live_server, alice, library
):
    page = login(alice)
    page.goto(f"{live_server.url}/library/characters/")
    page.get_by_role("link", name="New character").click()
    dialog = page.locator("#character-dialog")
    expect(dialog.get_by_label("Name")).to_be_focused()

    note = dialog.get_by_test_id("team-share-note")
    expect(note).to_be_hidden()
    dialog.get_by_label("Team library").check()
    expect(note).to_be_visible()
    expect(note).to_contain_text("shared with everyone in Acme Films")
    dialog.get_by_label("My library").check()
    expect(note).to_be_hidden()

    # A form that comes back with errors puts the cursor in the first one.
    dialog.get_by_label("Name").fill("Juno")
    dialog.get_by_role("button", name="Create character").click()
    expect(dialog.get_by_label("Handle")).to_be_focused()

    dialog.get_by_label("Handle").fill("juno")
    dialog.get_by_role("checkbox", name="street at dusk").check()
    dialog.get_by_role("button", name="Create character").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("status")).to_contain_text("@juno created.")
    expect(page.get_by_test_id("character-card").filter(has_text="@juno")).to_be_visible()


def test_it_clears_finished_upload_rows_and_lets_errors_be_dismissed(
    login, live_server, alice, team, s3_storage
):
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    page.locator("#upload-input").set_input_files([MEDIA / "tiny.png", MEDIA / "archive.zip"])
    rows = page.get_by_test_id("upload-item")
    done = rows.filter(has_text="tiny.png")
    refused = rows.filter(has_text="archive.zip")
    expect(done).to_contain_text("Uploaded")
    expect(refused.get_by_role("alert")).to_be_visible()
    assert done.locator("progress").evaluate("bar => getComputedStyle(bar).accentColor") == ACCENT

    expect(done).to_have_count(0, timeout=10_000)
    expect(page.get_by_test_id("asset-card")).to_have_count(1)
    expect(refused).to_be_visible()
    refused.get_by_role("button", name="Dismiss archive.zip").click()
    expect(rows).to_have_count(0)


def test_it_closes_the_user_menu_with_escape(login, live_server, alice, team):
    page = login(alice)
    summary = page.locator("details.usermenu summary")
    summary.click()
    logout = page.get_by_role("button", name="Log out")
    expect(logout).to_be_visible()
    page.keyboard.press("Escape")
    expect(logout).to_be_hidden()
    expect(summary).to_be_focused()

    summary.click()
    logout.click()
    expect(page.get_by_role("status")).to_contain_text("You are logged out.")


def test_it_makes_each_asset_card_one_tab_stop_with_a_whole_focus_ring(
    login, live_server, alice, library
):
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    page.locator("#filter-tag").focus()
    cards = page.get_by_test_id("asset-card")
    for index in range(2):
        page.keyboard.press("Tab")
        focused = cards.nth(index).get_by_role("link")
        expect(focused).to_be_focused()
        name = cards.nth(index).locator(".asset-name").inner_text()
        expect(focused).to_have_accessible_name(re.compile(re.escape(name)))
        ring = focused.evaluate(
            """link => {
              const style = getComputedStyle(link);
              const grow = parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset);
              const r = link.getBoundingClientRect();
              const clipped = [];
              for (let el = link.parentElement; el; el = el.parentElement) {
                if (getComputedStyle(el).overflow === "visible") continue;
                const c = el.getBoundingClientRect();
                const outside = r.left - grow < c.left || r.top - grow < c.top ||
                  r.right + grow > c.right || r.bottom + grow > c.bottom;
                if (outside) clipped.push(el.tagName);
              }
              return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), clipped};
            }"""
        )
        assert ring["style"] != "none" and ring["width"] >= 2, ring
        assert ring["clipped"] == [], ring


def test_it_puts_the_cursor_in_the_password_field_after_a_wrong_password(page, live_server, bob):
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Username")).to_be_focused()
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    expect(page.get_by_label("Password")).to_be_focused()


def test_it_renames_an_asset_everywhere_on_the_page(login, live_server, alice, library):
    page = login(alice)
    asset = library.assets[2]
    page.goto(f"{live_server.url}/library/assets/{asset.pk}/")
    page.get_by_role("link", name="Rename or tag").click()
    page.get_by_label("Name").fill("night street")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("asset-name")).to_have_text("night street")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_have_text("Library / night street")
    expect(page).to_have_title("night street · Kinovi Web")
    expect(page.get_by_role("status")).to_contain_text("Saved “night street”.")
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete “night street”?")).to_be_visible()


def test_it_lines_up_filters_checkboxes_and_picker_cards(login, live_server, alice, library):
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    boxes = [
        page.locator(selector).bounding_box() for selector in ("#id_q", "#id_kind", "#filter-tag")
    ]
    assert {round(b["height"]) for b in boxes} == {round(boxes[0]["height"])}
    assert {round(b["y"] + b["height"]) for b in boxes} == {
        round(boxes[0]["y"] + boxes[0]["height"])
    }

    page.goto(f"{live_server.url}/library/assets/{library.assets[0].pk}/edit/")
    checkbox = page.get_by_role("checkbox", name="Share with my team").bounding_box()
    label = page.locator("label[for=id_shared]").bounding_box()
    assert abs((checkbox["y"] + checkbox["height"] / 2) - (label["y"] + label["height"] / 2)) < 3
    assert label["height"] < 2.5 * checkbox["height"]

    page.goto(f"{live_server.url}/library/characters/new/")
    choices = page.get_by_test_id("image-choice")
    before = [round(choices.nth(i).bounding_box()["height"]) for i in range(3)]
    page.get_by_role("checkbox", name="street at dusk").check()
    after = [round(choices.nth(i).bounding_box()["height"]) for i in range(3)]
    assert len(set(before + after)) == 1, (before, after)


def test_it_switches_team_from_a_detail_page_to_its_list(login, live_server, alice, library):
    other = Team.objects.create(name="Globex Pictures", slug="globex")
    other.add_member(alice, Membership.Role.MEMBER)
    page = login(alice)
    page.goto(f"{live_server.url}/library/characters/{library.team_character.pk}/")
    # Picking a team switches to it: no button to press.
    page.get_by_label("Team").select_option(label="Globex Pictures")
    expect(page).to_have_url(f"{live_server.url}/library/characters/")
    expect(page.get_by_role("status")).to_contain_text("You are now working in Globex Pictures")
    expect(page.get_by_test_id("characters-empty")).to_be_visible()
