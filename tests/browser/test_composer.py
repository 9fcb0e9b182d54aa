"""The composer in a real browser, against the Kinovi simulator and a worker thread.

With SCREENSHOTS=1 the finished page is also saved as docs/composer.png (1280 wide)
and docs/composer-phone.png (390 wide): `make screenshots` refreshes them.
"""

import os
import re
import threading
import time
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from projects.models import Character, Project, ReferenceAsset
from projects.worker import work_once

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
STATUS_TIMEOUT_MS = 40_000
# Records every status a card shows, so the test sees each one the page went through
# however briefly it lasted (cards are morphed in place: their status is an attribute).
RECORD_STATUSES = """
window.seenStatuses = [];
new MutationObserver(() => {
  const card = document.querySelector('[data-testid=generation-card]');
  const status = card && card.dataset.status;
  if (status && window.seenStatuses.at(-1) !== status) { window.seenStatuses.push(status); }
}).observe(document.getElementById('generation-list'), {
  childList: true, subtree: true, attributes: true, attributeFilter: ['data-status'],
});
"""


class WorkerThread(threading.Thread):
    """`manage.py worker` in miniature: claim and handle due generations until stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.is_set():
                if not work_once("browser-test-worker"):
                    time.sleep(0.1)
        finally:
            connection.close()

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)


@pytest.fixture
def kinovi(settings, fresh_kinovi_simulator, live_server, local_storage):
    """The app pointed at the simulator; stages long enough for a 2 s poll to see."""
    settings.SITE_URL = live_server.url
    settings.KINOVI_BASE_URL = fresh_kinovi_simulator.base_url
    settings.KINOVI_API_KEY = fresh_kinovi_simulator.api_key
    settings.KINOVI_POLL_SECONDS = 0.5
    fresh_kinovi_simulator.control(waiting_seconds=3, generating_seconds=3)
    return fresh_kinovi_simulator


@pytest.fixture
def worker():
    thread = WorkerThread()
    yield thread
    if thread.is_alive():
        thread.stop()


def upload(user, team, name: str) -> ReferenceAsset:
    data = (MEDIA / name).read_bytes()
    asset, _ = ReferenceAsset.objects.create_from_upload(
        SimpleUploadedFile(name, data), owner=user, team=team
    )
    return asset


@pytest.fixture
def studio(alice, team, kinovi):
    """Alice's project, two images, an audio file and @mira with her own portrait."""
    project = Project.objects.create(team=team, owner=alice, name="Rain study")
    upload(alice, team, "tiny.png")
    upload(alice, team, "other.png")
    upload(alice, team, "one_second.wav")
    mira = Character.objects.create(
        team=team, owner=alice, created_by=alice, name="Mira", handle="mira"
    )
    portrait = upload(alice, team, "third.png")
    mira.set_images([portrait], portrait, by=alice)
    return project


def serious_axe_violations(page) -> list[str]:
    """axe-core's serious and critical findings (axe-playwright-python bundles it)."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {v['help']} at {[node['target'] for node in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def draw_at_desktop_and_phone_size(page):
    """No sideways scroll nor serious axe finding at either size; with SCREENSHOTS=1,
    the pictures for docs/."""
    for size, viewport, name in (
        ("desktop", {"width": 1280, "height": 1200}, "composer.png"),
        ("phone", {"width": 390, "height": 844}, "composer-phone.png"),
    ):
        page.set_viewport_size(viewport)
        # The messages of the actions above fade anyway; the picture is of the page.
        page.evaluate("document.getElementById('messages').replaceChildren()")
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_function(
            "() => [...document.querySelectorAll('video')].every(v => v.readyState >= 2)"
        )
        # Measured once the page has laid itself out at the new size (a card the live
        # polling swaps in meanwhile is laid out too); a real overflow never settles.
        # A function, not an expression: the CSP refuses the eval an expression needs.
        fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
        try:
            page.wait_for_function(fits, timeout=5_000)
        except PlaywrightTimeoutError:
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            raise AssertionError(
                f"the project page scrolls sideways at {size} size by {overflow} px"
            ) from None
        assert serious_axe_violations(page) == []
        if os.environ.get("SCREENSHOTS") == "1":
            page.screenshot(path=DOCS / name)
    page.set_viewport_size({"width": 1280, "height": 900})


def wait_for_status(page, status: str):
    expect(page.get_by_test_id("generation-card").first).to_have_attribute(
        "data-status", status, timeout=STATUS_TIMEOUT_MS
    )


def test_a_member_composes_submits_watches_and_reruns(
    login, live_server, alice, bob, studio, worker, browser
):
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{studio.pk}/")
    composer = page.locator("#composer")
    checks = page.get_by_test_id("composer-checks")

    # Two images and the audio from the picker, searched and filtered.
    page.get_by_role("button", name="Add from library").click()
    picker = page.locator("#picker")
    expect(picker).to_be_visible()
    picker.get_by_label("Show").select_option("image")
    picker.get_by_test_id("pick-asset").filter(has_text="tiny").click()
    picker.get_by_test_id("pick-asset").filter(has_text="other").click()
    picker.get_by_label("Search").fill("one_second")
    picker.get_by_label("Show").select_option("")
    picker.get_by_test_id("pick-asset").filter(has_text="one_second").click()
    picker.get_by_role("button", name="Done").click()
    references = page.get_by_test_id("composer-reference")
    expect(references).to_have_count(3)
    expect(page.get_by_test_id("reference-token")).to_have_text(["@image1", "@image2", "@audio1"])

    # Reorder with the keyboard buttons: the tokens follow.
    references.nth(1).get_by_role("button", name=re.compile("^Move @image2 .* up$")).click()
    expect(page.get_by_test_id("reference-token")).to_have_text(["@image1", "@image2", "@audio1"])
    expect(references.nth(0)).to_contain_text("other")

    # The prompt: @ offers references and characters; @mira brings her portrait.
    prompt = composer.get_by_label("Prompt")
    prompt.click()
    prompt.press_sequentially("@image1 and @image2 frame a rainy street while @mi")
    menu = page.get_by_role("listbox", name="References and characters")
    expect(menu.get_by_role("option")).to_have_count(1)
    expect(menu).to_contain_text("@mira")
    prompt.press("Enter")
    prompt.press_sequentially("dances to @audio1")
    expect(prompt).to_have_value(
        "@image1 and @image2 frame a rainy street while @mira dances to @audio1"
    )
    expect(page.get_by_test_id("reference-token")).to_have_text(
        ["@image1", "@image2", "@audio1", "@image3"]
    )
    expect(page.get_by_test_id("compiled-prompt")).to_have_text(
        "@image1 and @image2 frame a rainy street while @image3 dances to @audio1"
    )
    expect(checks.get_by_test_id("composer-price")).to_contain_text("200 credits ($1.00)")
    composer.get_by_label("Upscale to 4K").check()
    expect(checks.get_by_test_id("composer-price")).to_contain_text("340 credits ($1.70)")
    composer.get_by_label("Upscale to 4K").uncheck()
    expect(checks.get_by_test_id("composer-price")).to_contain_text("200 credits ($1.00)")
    expect(page.get_by_test_id("composer-errors")).to_have_count(0)
    expect(page.locator("[data-composer-status]")).to_have_text(
        "Ready to generate for 200 credits."
    )

    # Submit: the card appears queued; the worker takes it from there.
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("200 credits reserved")
    # Focus moves to what happened (the button it was on is swapped out), and the live
    # check that follows the submit leaves that message alone.
    expect(page.get_by_test_id("composer-submitted")).to_be_focused()
    wait_for_status(page, "queued")
    expect(page.get_by_test_id("composer-submitted")).to_be_visible()
    page.evaluate(RECORD_STATUSES)
    expect(prompt).to_have_value(re.compile("@mira dances"))  # the composer keeps its content
    worker.start()
    wait_for_status(page, "success")
    seen = page.evaluate("window.seenStatuses")
    assert [s for s in seen if s in ("waiting", "generating", "success")] == [
        "waiting",
        "generating",
        "success",
    ], seen

    card = page.get_by_test_id("generation-card").first
    expect(card.get_by_test_id("generation-result")).to_contain_text("200 credits ($1.00) charged")
    video = card.get_by_test_id("generation-video")
    expect(video).to_have_attribute("poster", re.compile(r"/media/"))
    page.wait_for_function(
        "v => v.readyState >= 1 && v.videoWidth > 0", arg=video.element_handle(), timeout=15_000
    )
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0", arg=video.element_handle(), timeout=15_000)

    # Re-run: a second card, its own reservation, to success again.
    card.get_by_role("button", name="Re-run").click()
    expect(page.get_by_test_id("generation-card")).to_have_count(2)
    wait_for_status(page, "success")

    draw_at_desktop_and_phone_size(page)

    # Continue from the last frame: a new image in the library and in the composer.
    page.get_by_test_id("generation-card").first.get_by_role(
        "button", name="Continue from last frame"
    ).click()
    expect(page.get_by_test_id("reference-token")).to_have_text(
        ["@image1", "@image2", "@audio1", "@image3", "@image4"]
    )
    expect(references.nth(4)).to_contain_text("last frame")
    assert ReferenceAsset.objects.filter(name__contains="last frame").count() == 1
    references.nth(4).get_by_role("button", name=re.compile("^Remove")).click()

    # The policy marker: Kinovi fails it, the card says why and what was refunded.
    prompt.fill("@image1 forbidden scene with @mira")
    expect(page.get_by_test_id("compiled-prompt")).to_have_text(
        "@image1 forbidden scene with @image3"
    )
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("generation-card")).to_have_count(3)
    wait_for_status(page, "fail")
    failed = page.get_by_test_id("generation-card").first
    expect(failed.get_by_test_id("generation-error")).to_contain_text("content policy")
    expect(failed.get_by_test_id("generation-error")).to_contain_text("200 credits refunded")

    worker.stop()

    # A teammate gets 404 on the project.
    other = browser.new_context()
    bob_page = other.new_page()
    bob_page.goto(f"{live_server.url}/accounts/login/")
    from tests.plugins.users import PASSWORD

    bob_page.get_by_label("Username").fill(bob.username)
    bob_page.get_by_label("Password").fill(PASSWORD)
    bob_page.get_by_role("button", name="Log in").click()
    bob_page.wait_for_load_state()
    response = bob_page.goto(f"{live_server.url}/projects/{studio.pk}/")
    assert response.status == 404
    other.close()


def test_references_are_reordered_by_drag_limited_and_uploaded_inline(
    login, live_server, alice, team, settings, local_storage
):
    from tests.library.conftest import make_asset

    settings.SITE_URL = live_server.url
    project = Project.objects.create(team=team, owner=alice, name="Limits")
    for n in range(10):
        make_asset(alice, team, name=f"still {n}")
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")

    # The tenth image is refused as it is added, with the reason.
    page.get_by_role("button", name="Add from library").click()
    picks = page.locator("#picker").get_by_test_id("pick-asset")
    expect(picks).to_have_count(10)
    for n in range(10):
        picks.nth(n).click()
    limit = "Seedance 2.0 takes at most 9 images."
    expect(page.locator("[data-composer-notice]")).to_have_text(limit)
    # The picker stays open and says why (it used to close itself).
    expect(page.get_by_test_id("picker-notice")).to_contain_text(limit)
    references = page.get_by_test_id("composer-reference")
    expect(references).to_have_count(9)
    expect(page.locator("[data-reference-counts]")).to_contain_text("9/9 images")
    page.locator("#picker").get_by_role("button", name="Done").click()

    # Remove two, then drag the last above the first: the tokens follow the order.
    for _ in range(7):
        references.first.get_by_role("button", name=re.compile("^Remove")).click()
    expect(references).to_have_count(2)
    first_name = references.nth(0).locator(".reference-name").inner_text()
    second_name = references.nth(1).locator(".reference-name").inner_text()
    references.nth(1).drag_to(references.nth(0), target_position={"x": 20, "y": 5})
    expect(references.nth(0)).to_contain_text(second_name)
    expect(references.nth(1)).to_contain_text(first_name)
    expect(page.get_by_test_id("reference-token")).to_have_text(["@image1", "@image2"])

    # An upload from the composer lands in the library and in the composer.
    page.locator("[data-composer-upload]").set_input_files(MEDIA / "one_second.wav")
    expect(references).to_have_count(3)
    expect(references.nth(2)).to_contain_text("@audio1")
    expect(references.nth(2)).to_contain_text("one_second")
    assert ReferenceAsset.objects.filter(owner=alice, kind="audio").count() == 1

    # The live check sees the reordered list: the primary is the dragged image.
    page.locator("#composer").get_by_label("Prompt").fill("a quiet morning")
    expect(page.get_by_test_id("primary-reference")).to_contain_text("@image1")
    expect(page.get_by_test_id("composer-warnings")).to_contain_text("Image 2 isn't mentioned")
    assert serious_axe_violations(page) == []

    # The @ menu and the picker dialog pass axe too.
    prompt = page.locator("#composer").get_by_label("Prompt")
    prompt.fill("")
    prompt.press_sequentially("@ima")
    expect(page.get_by_role("listbox", name="References and characters")).to_be_visible()
    assert serious_axe_violations(page) == []
    prompt.press("Escape")
    page.get_by_role("button", name="Add from library").click()
    expect(page.locator("#picker").get_by_test_id("pick-asset").first).to_be_visible()
    assert serious_axe_violations(page) == []


def test_a_change_made_while_a_slow_check_runs_is_checked_too(
    login, live_server, alice, team, monkeypatch
):
    """On a slow server a check can still be running when the user changes the shot
    again: that change is checked after it (not dropped), so what the composer shows
    is always the shot as it now is, never a stale error that leaves Generate off."""
    from projects.views import generations as views

    project = Project.objects.create(team=team, owner=alice, name="Slow server")
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    prompt = page.locator("#composer").get_by_label("Prompt")
    counter = page.get_by_test_id("prompt-counter")
    page.wait_for_load_state("networkidle")  # the check the page sends as it loads

    slow = views._checks_context
    started = threading.Event()

    def slow_checks_context(request, form, *args, **kwargs):
        started.set()
        time.sleep(3)
        return slow(request, form, *args, **kwargs)

    monkeypatch.setattr(views, "_checks_context", slow_checks_context)
    prompt.fill("@image1 walks through the rain")
    # Its check is running on the server (for 3 s) when the shot changes again.
    assert started.wait(timeout=20), "the composer sent no check"
    final = "A walk through the rain at dusk, slowly"
    prompt.fill(final)
    errors = page.get_by_test_id("composer-errors")
    # Then the shot as it is now: its length, and no word of the mention it dropped.
    expect(counter).to_contain_text(f"{len(final)} / ", timeout=20_000)
    expect(errors).not_to_contain_text("@image1")
    expect(errors).to_contain_text("Add at least one image or video")
