"""Smaller things of the library: the team switcher switches on a pick, the character
dialog says the app's own messages and orders its images by drag and keyboard, a touch
screen is not told to drop files, and video and audio cards tell themselves apart.

With SCREENSHOTS=1 the library's video and audio cards are saved as
docs/library-media-cards.png."""

import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from projects.models import Character, Membership, ReferenceAsset, Team
from tests.browser.library_data import image

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def test_the_team_switcher_switches_when_a_team_is_picked(login, live_server, alice, team):
    other = Team.objects.create(name="Globex Pictures", slug="globex")
    other.add_member(alice, Membership.Role.MEMBER)
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    page.get_by_label("Team").select_option(label="Globex Pictures")
    expect(page.get_by_role("status")).to_contain_text("You are now working in Globex Pictures")
    # The keyboard steps through teams without leaving; Enter switches.
    select = page.get_by_label("Team")
    select.focus()
    select.press("ArrowUp")
    expect(page.get_by_label("Team")).to_have_value(str(team.pk))
    expect(page.get_by_role("status")).to_contain_text("Globex Pictures")
    select.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"You are now working in {team.name}")
    expect(page.get_by_role("button", name="Switch")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_character_dialog_says_its_own_messages_and_orders_images(
    login, live_server, alice, team, s3_storage, size
):
    names = ["front", "profile", "back"]
    for index, name in enumerate(names):
        image(alice, team, "square", f"{name}.png", shade=index * 30)
    page = login(alice)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/library/characters/")
    page.get_by_role("link", name="New character").click()
    dialog = page.locator("#character-dialog")
    expect(dialog.get_by_label("Name")).to_be_focused()

    # Sent empty, the form answers with the app's messages, not the browser's bubble.
    dialog.get_by_role("button", name="Create character").click()
    expect(dialog.get_by_text("Give the character a name.")).to_be_visible()
    expect(dialog.get_by_text("Choose between 1 and 9 images.")).to_be_visible()
    assert dialog.locator("form").evaluate("form => form.noValidate")

    dialog.get_by_label("Name").fill("Juno")
    dialog.get_by_label("Handle").fill("juno")
    for name in names:
        dialog.get_by_role("checkbox", name=name).check()
    # The keyboard moves "back" two places earlier; a screen reader hears where it went.
    earlier = dialog.get_by_role("button", name="Move back earlier")
    earlier.focus()
    earlier.press("Enter")
    earlier.press("Enter")
    expect(earlier).to_be_focused()
    expect(dialog.locator("[data-reorder-status]")).to_have_text("back: image 1 of 3.")
    # A drag puts "profile" before "front".
    items = dialog.locator("[data-reorder-list] > li")
    items.nth(2).drag_to(items.nth(1), target_position={"x": 5, "y": 40})
    expect(dialog.get_by_test_id("image-choice").locator(".choice-name")).to_have_text(
        ["back", "profile", "front"]
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    dialog.get_by_role("button", name="Create character").click()
    expect(dialog).to_be_hidden()
    juno = Character.objects.get(handle="juno")
    assert [image.asset.name for image in juno.ordered_images] == ["back", "profile", "front"]


def test_a_touch_screen_is_asked_to_choose_files(browser, live_server, alice, team):
    from tests.plugins.users import PASSWORD

    context = browser.new_context(has_touch=True, is_mobile=True, viewport=SIZES["phone"])
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(alice.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/library/")
    zone = page.locator("[data-dropzone]")
    expect(zone).to_contain_text("Choose files")
    assert "Drop files here" not in zone.inner_text()
    context.close()


def test_video_and_audio_cards_tell_themselves_apart(login, live_server, alice, team, s3_storage):
    for name in ("one_second.mp4", "one_second.wav", "one_second.mp3"):
        ReferenceAsset.objects.create_from_upload(
            SimpleUploadedFile(name, (MEDIA / name).read_bytes()), owner=alice, team=team
        )
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("video-badge").first).to_contain_text("1 s")
    faces = page.get_by_test_id("audio-face").all_inner_texts()
    assert len(faces) >= 2 and len(set(faces)) == len(faces), faces
    assert all("one_second" in face for face in faces)
    if os.environ.get("SCREENSHOTS") == "1":
        page.set_viewport_size(SIZES["desktop"])
        page.screenshot(path=DOCS / "library-media-cards.png")
