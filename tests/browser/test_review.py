"""Review in a real browser: alice shares her project with rex as a reviewer; rex
compares three videos, selects one and comments at 2.4 s; alice clicks the comment and
the player seeks to 2.4 s; a client link shows the selected video without prompt or
price and records the client's approval. Every page also at 390 px, without sideways
scroll. With SCREENSHOTS=1 the board, compare and client pages are saved under docs/
(review-board.png, review-compare.png, review-client.png), as the README shows them."""

import os
import re
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from projects.models import Generation, Membership, Project, VerdictRecord
from tests.plugins.users import PASSWORD, _user

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
PROMPT = "A lighthouse keeper climbs the stairs, take"


@pytest.fixture
def rex(team):
    user = _user("rex")
    team.add_member(user, Membership.Role.MEMBER)
    return user


@pytest.fixture
def takes(alice, team, local_storage):
    project = Project.objects.create(team=team, owner=alice, name="Lighthouse")
    made = []
    for n in (1, 2, 3):
        video = default_storage.save(
            f"outputs/take{n}.mp4", ContentFile((MEDIA / "sixteen_seconds.mp4").read_bytes())
        )
        made.append(
            Generation.objects.create(
                project=project,
                created_by=alice,
                model="seedance-20",
                prompt=f"{PROMPT} {n}",
                status=Generation.Status.SUCCESS,
                duration=5,
                credits_estimated=200,
                credits_used=200,
                seed=4000 + n,
                # The fixture's video is square: each shows in its own frame, letterboxed.
                aspect_ratio="1:1",
                output_file=video,
            )
        )
    return made


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def _screenshot(page, name: str):
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=DOCS / name, full_page=True)


def _no_sideways_scroll(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, (page.url, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_share_compare_select_comment_seek_and_a_client_approves(
    browser, live_server, page, alice, rex, takes
):
    project = takes[0].project
    # alice shares the project with rex as a reviewer.
    _log_in(page, live_server, alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/sharing/")
    page.get_by_label("Teammate", exact=True).select_option(label="rex")
    page.get_by_label("Role", exact=True).select_option(value="reviewer")
    page.get_by_role("button", name="Share", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Shared with rex as reviewer")
    _no_sideways_scroll(page)

    # rex finds it under Shared with me, compares three videos and selects the second.
    rex_context = browser.new_context()
    rex_page = rex_context.new_page()
    _log_in(rex_page, live_server, rex)
    rex_page.goto(f"{live_server.url}/shared/")
    rex_page.get_by_role("link", name="Lighthouse").click()
    expect(rex_page.get_by_test_id("take-tile")).to_have_count(3)
    _no_sideways_scroll(rex_page)
    for take in takes:
        rex_page.locator(f'[data-compare-pick][value="{take.pk}"]').check()
    rex_page.get_by_role("button", name="Compare 3").click()
    expect(rex_page.get_by_test_id("compare-take")).to_have_count(3)
    expect(rex_page.get_by_test_id("compare")).to_contain_text(f"{PROMPT} 2")
    expect(rex_page.get_by_test_id("compare")).to_contain_text("4002")
    _no_sideways_scroll(rex_page)
    # One play button plays all three, kept together.
    rex_page.get_by_role("button", name="Play").click()
    rex_page.wait_for_timeout(800)
    times = rex_page.eval_on_selector_all(
        "[data-compare-video]", "videos => videos.map(video => video.currentTime)"
    )
    rex_page.get_by_role("button", name="Pause").click()
    assert max(times) - min(times) <= 1 / 24 + 0.02, times
    second = rex_page.get_by_test_id("compare-take").nth(1)
    second.get_by_role("button", name="Choose this one").click()
    expect(second.get_by_test_id("verdict")).to_have_text("Selected")
    _screenshot(rex_page, "review-compare.png")
    rex_page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    _screenshot(rex_page, "review-board.png")

    # rex comments at 2.4 s on the selected video.
    rex_page.goto(f"{live_server.url}/videos/{takes[1].pk}/review/")
    rex_page.get_by_label("Comment", exact=True).fill("The hand blurs here")
    rex_page.get_by_label("At (seconds)").fill("2.4")
    rex_page.get_by_role("button", name="Comment", exact=True).click()
    expect(rex_page.get_by_test_id("comment")).to_contain_text("The hand blurs here")

    # alice sees the comment and its time; clicking it seeks the player to 2.4 s.
    page.goto(f"{live_server.url}/videos/{takes[1].pk}/review/")
    expect(page.get_by_test_id("verdict").first).to_have_text("Selected")
    player = page.get_by_test_id("review-player")
    player.evaluate(
        "video => new Promise(done => video.readyState >= 1 ? done() :"
        " video.addEventListener('loadedmetadata', done, {once: true}))"
    )
    page.get_by_test_id("comment-time").click()
    page.wait_for_function(
        "() => Math.abs(document.querySelector('[data-review-player]').currentTime - 2.4) < 0.05"
    )
    _no_sideways_scroll(page)

    # alice makes a client link for the selected video.
    page.goto(f"{live_server.url}/projects/{project.pk}/sharing/")
    page.get_by_label("Videos", exact=True).select_option(label=f"Video {takes[1].pk}")
    page.get_by_role("button", name="Make a link").click()
    link_url = page.get_by_test_id("new-link-url").input_value()
    assert re.match(rf"{re.escape(live_server.url)}/r/[\w-]+/$", link_url)

    # A client without an account sees the selected video, no prompt, no price.
    client_context = browser.new_context()
    client_page = client_context.new_page()
    client_page.goto(link_url)
    take = client_page.get_by_test_id("client-take")
    expect(take).to_have_count(1)
    expect(take).to_contain_text("Selected by the team")
    html = client_page.content()
    for hidden in (PROMPT, "4002", "credit", "$", "rex", "alice", "Lighthouse"):
        assert hidden not in html, hidden
    _no_sideways_scroll(client_page)
    _screenshot(client_page, "review-client.png")
    take.locator(".decision-form").get_by_label("Your name").fill("Zoe")
    take.get_by_role("button", name="Approve").click()
    expect(client_page.get_by_test_id("client-decision")).to_contain_text("Approved by Zoe")
    record = VerdictRecord.objects.get(link__isnull=False)
    assert (record.decision, record.name, record.generation_id) == ("approved", "Zoe", takes[1].pk)
    for context in (rex_context, client_context):
        context.close()
