"""The library in a real browser; files go to the moto S3 server so that
thumbnails load from real public URLs."""

import re
from pathlib import Path

from playwright.sync_api import expect

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"


def test_it_uploads_an_image_with_progress_and_a_thumbnail(login, live_server, bob, s3_storage):
    page = login(bob)
    # Playwright turns on Chromium's file-chooser interception when the first
    # listener arrives; turned on only as the key is pressed, it sometimes misses.
    page.on("filechooser", lambda chooser: None)
    page.get_by_role("link", name="Library").click()
    page.wait_for_load_state()  # upload.js wires the drop zone on DOMContentLoaded
    expect(page.get_by_role("heading", level=1)).to_contain_text("Library")
    expect(page.get_by_test_id("assets-empty")).to_be_visible()

    # The drop zone is a button: the keyboard opens the file picker.
    zone = page.get_by_role("button", name=re.compile("Drop files here"))
    expect(zone).to_be_visible()
    zone.focus()
    expect(zone).to_be_focused()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(MEDIA / "tiny.png")

    item = page.get_by_test_id("upload-item")
    expect(item).to_contain_text("tiny.png")
    expect(item).to_contain_text("Uploaded")
    expect(item.locator("progress")).to_have_js_property("value", 100)
    card = page.get_by_test_id("asset-card")
    expect(card).to_contain_text("tiny")
    thumbnail = card.locator("img")
    expect(thumbnail).to_have_attribute("src", re.compile(r"/thumbs/.+\.webp$"))
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    expect(page.get_by_test_id("assets-empty")).to_have_count(0)


def test_it_says_why_a_16_second_video_is_refused(login, live_server, bob, s3_storage):
    page = login(bob)
    page.goto(f"{live_server.url}/library/")
    page.locator("#upload-input").set_input_files(
        [MEDIA / "sixteen_seconds.mp4", MEDIA / "one_second.mp4"]
    )
    refused = page.get_by_test_id("upload-item").filter(has_text="sixteen_seconds.mp4")
    expect(refused.get_by_role("alert")).to_have_text(
        "The video is 16.0 s long; Kinovi accepts videos of at most 15 s."
    )
    accepted = page.get_by_test_id("upload-item").filter(has_text="one_second.mp4")
    expect(accepted).to_contain_text("Uploaded")
    expect(page.get_by_test_id("asset-card")).to_have_count(1)


def test_it_shares_a_team_character_with_teammates_only(
    login, live_server, alice, bob, charlie, s3_storage
):
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    page.locator("#upload-input").set_input_files(
        [MEDIA / "tiny.png", MEDIA / "other.png", MEDIA / "third.png"]
    )
    expect(page.get_by_test_id("asset-card")).to_have_count(3)

    page.get_by_role("link", name="Characters").click()
    page.get_by_role("link", name="New character").click()
    dialog = page.locator("#character-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Name").fill("Mira")
    dialog.get_by_label("Handle").fill("mira")
    dialog.get_by_label("Team library").check()
    for name in ("third", "tiny", "other"):
        dialog.get_by_role("checkbox", name=name).check()
    dialog.get_by_role("button", name="Create character").click()
    expect(dialog).to_be_hidden()
    card = page.get_by_test_id("character-card")
    expect(card).to_contain_text("@mira")
    expect(card).to_contain_text("Team library · 3 images")

    page.context.clear_cookies()
    page = login(bob)
    page.goto(f"{live_server.url}/library/characters/")
    page.get_by_test_id("character-card").get_by_role("link", name="Mira").click()
    expect(page.get_by_test_id("character-image")).to_have_count(3)
    expect(page.get_by_test_id("character-image")).to_have_text(
        [
            re.compile(r"1\. third\s.*· primary", re.S),
            re.compile(r"2\. tiny\s"),
            re.compile(r"3\. other\s"),
        ]
    )
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    character_url = page.url
    page.get_by_role("button", name="Copy to my library").click()
    expect(page.get_by_role("status")).to_contain_text("@mira copied to your library")
    expect(page.get_by_text("My library · created by bob")).to_be_visible()

    page.context.clear_cookies()
    page = login(charlie)
    page.goto(f"{live_server.url}/library/characters/")
    expect(page.get_by_test_id("characters-empty")).to_be_visible()
    expect(page.get_by_text("@mira")).to_have_count(0)
    response = page.goto(character_url)
    assert response.status == 404
