"""The review pages in every state at 390, 1280 and 1920 px: axe-core finds no serious or
critical violation and nothing scrolls sideways (the board, compare of 2 and of 4
videos, a video with comments, the Share page, a client link: open, asking its
password, expired, revoked); the board and compare letterbox each video in its own
ratio in frames of one shape; the verdict buttons' key hints never run into their
labels nor into another button."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from projects.models import Membership, Project, ReviewLink
from projects.models.review import Role, add_comment, client_decide, set_state, share
from tests.browser.test_accessibility import blocking_violations
from tests.plugins.users import _user
from tests.review.conftest import make_take

SIZES = {
    "390": {"width": 390, "height": 844},
    "1280": {"width": 1280, "height": 800},
    "1920": {"width": 1920, "height": 1080},
}
RATIOS = ["16:9", "9:16", "1:1", "4:3", "3:4", "21:9"]


@pytest.fixture
def review(alice, team, local_storage):
    """alice's project: a video in each ratio, in every verdict, one with comments;
    shared with rex; a client link open, one with a password, one expired, one revoked."""
    project = Project.objects.create(team=team, owner=alice, name="Lighthouse")
    takes = [
        make_take(project, n, files=True, aspect_ratio=ratio) for n, ratio in enumerate(RATIOS, 1)
    ]
    rex = _user("rex")
    team.add_member(rex, Membership.Role.MEMBER)
    share(project, rex, Role.REVIEWER)
    set_state(takes[0], "selected", by=alice)
    set_state(takes[2], "changes", by=rex)
    set_state(takes[3], "rejected", by=rex)
    add_comment(takes[1], "The hand blurs here, @rex", "2.4", author=alice)
    add_comment(takes[1], "About the whole video: warmer light", None, author=rex)
    add_comment(takes[1], "Fixed in the next take", "0.5", author=rex).resolve(by=alice)
    live, live_token = ReviewLink.create(project, by=alice, generations=takes[:3], title="Cut 1")
    add_comment(takes[0], "Lovely", "1.0", link=live, name="Zoe")
    client_decide(takes[0], live, "approved", "Zoe")
    _, locked_token = ReviewLink.create(project, by=alice, whole_project=True, password="sesame")
    expired, expired_token = ReviewLink.create(project, by=alice, whole_project=True)
    ReviewLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, revoked_token = ReviewLink.create(project, by=alice, whole_project=True)
    revoked.revoke()
    return {
        "project": project,
        "takes": takes,
        "tokens": {
            "live": live_token,
            "locked": locked_token,
            "expired": expired_token,
            "revoked": revoked_token,
        },
    }


def _check(page, size: str, what: str, problems: list[str]):
    """Adds what axe and the page's width say is wrong with `what` to `problems`."""
    page.wait_for_load_state("networkidle")
    problems += [f"{what}: {violation}" for violation in blocking_violations(page)]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{what} scrolls {overflow} px sideways at {size} px")


def _compare_url(project, takes) -> str:
    return f"/projects/{project.pk}/compare/?" + "&".join(f"v={take.pk}" for take in takes)


@pytest.mark.parametrize("size", SIZES)
def test_every_review_page_passes_axe_without_sideways_scroll(
    browser, login, live_server, review, size
):
    project, takes = review["project"], review["takes"]
    page = login(project.owner)
    page.set_viewport_size(SIZES[size])
    problems: list[str] = []
    for what, path in (
        ("the review board", f"/projects/{project.pk}/review/"),
        ("the board filtered", f"/projects/{project.pk}/review/?state=rejected"),
        ("compare of 2", _compare_url(project, takes[:2])),
        ("compare of 4", _compare_url(project, takes[:4])),
        ("a video with comments", f"/videos/{takes[1].pk}/review/"),
        ("the Share page", f"/projects/{project.pk}/sharing/"),
        ("Shared with me", "/shared/"),
    ):
        page.goto(live_server.url + path)
        _check(page, size, what, problems)
    page.goto(live_server.url + _compare_url(project, takes[:1]))
    _check(page, size, "compare of too few", problems)
    # The Share page refusing a link for nothing, then showing a new link.
    page.goto(f"{live_server.url}/projects/{project.pk}/sharing/")
    page.get_by_role("button", name="Make a link").click()
    expect(page.locator(".form-error")).to_be_visible()
    _check(page, size, "the Share page with an error", problems)
    page.get_by_label("The whole project").check()
    page.get_by_role("button", name="Make a link").click()
    expect(page.get_by_test_id("new-link-url")).to_be_visible()
    _check(page, size, "the Share page with a new link", problems)
    # A comment refused (empty), on the video with comments.
    page.goto(f"{live_server.url}/videos/{takes[1].pk}/review/")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#review-comments .field-error")).to_have_text("Write a comment first.")
    _check(page, size, "a comment refused", problems)
    # The board with videos ticked for compare, and a verdict given by key.
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    for take in takes[:2]:
        page.locator(f'[data-compare-pick][value="{take.pk}"]').check()
    expect(page.get_by_role("button", name="Compare 2")).to_be_enabled()
    page.locator(f"#take-{takes[4].pk}").focus()
    page.keyboard.press("2")
    expect(page.locator(f"#take-{takes[4].pk}").get_by_test_id("verdict")).to_have_text(
        "Changes requested"
    )
    _check(page, size, "the board after a verdict", problems)

    visitor = browser.new_context(viewport=SIZES[size])
    client = visitor.new_page()
    tokens = review["tokens"]
    client.goto(f"{live_server.url}/r/{tokens['live']}/")
    first = client.get_by_test_id("client-take").first
    first.get_by_role("button", name="Approve").click()
    expect(client.get_by_text("Say who you are.")).to_be_visible()
    _check(client, size, "a client's answer refused", problems)
    first = client.get_by_test_id("client-take").first
    first.locator(".decision-form").get_by_label("Your name").fill("Zoe")
    first.get_by_role("button", name="Ask for changes").click()
    expect(client.locator("#messages")).to_contain_text("the team has your answer")
    for what, token in (("an open client link", "live"), ("a password prompt", "locked")):
        client.goto(f"{live_server.url}/r/{tokens[token]}/")
        _check(client, size, what, problems)
    client.get_by_label("Password").fill("wrong")
    client.get_by_role("button", name="Open").click()
    _check(client, size, "a password refused", problems)
    for token in ("expired", "revoked"):
        response = client.goto(f"{live_server.url}/r/{tokens[token]}/")
        assert response.status == 410
        expect(client.get_by_role("heading", level=1)).to_have_text("This review link is closed")
        _check(client, size, f"a {token} link", problems)
    visitor.close()
    assert not problems, "\n".join(problems)


def _box_ratio(locator) -> float:
    box = locator.bounding_box()
    return box["width"] / box["height"]


@pytest.mark.parametrize("size", SIZES)
def test_each_video_is_letterboxed_in_its_own_ratio(login, live_server, review, size):
    project, takes = review["project"], review["takes"]
    page = login(project.owner)
    page.set_viewport_size(SIZES[size])
    tall, square = takes[1], takes[2]
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    frames = page.locator("[data-take-frame]")
    expect(frames).to_have_count(len(takes))
    # Every tile's frame has one shape; the video inside it has its own.
    assert {round(_box_ratio(frames.nth(n)), 2) for n in range(len(takes))} == {round(4 / 3, 2)}
    for take in takes:
        shape = page.locator(f"#take-{take.pk} [data-take-shape]")
        width, height = (int(part) for part in take.aspect_ratio.split(":"))
        assert _box_ratio(shape) == pytest.approx(width / height, rel=0.02), take.aspect_ratio
    page.goto(live_server.url + _compare_url(project, [takes[0], tall, square, takes[5]]))
    videos = page.locator("[data-compare-video]")
    expect(videos).to_have_count(4)
    for video, ratio in zip(videos.all(), (16 / 9, 9 / 16, 1, 21 / 9), strict=True):
        assert _box_ratio(video) == pytest.approx(ratio, rel=0.02)
    frames = page.locator("[data-take-frame]")
    assert len({round(frames.nth(n).bounding_box()["height"]) for n in range(4)}) == 1
    # A video's own player, and a client's, are in the video's ratio too.
    page.goto(f"{live_server.url}/videos/{tall.pk}/review/")
    assert _box_ratio(page.get_by_test_id("review-player")) == pytest.approx(9 / 16, rel=0.02)
    page.goto(f"{live_server.url}/r/{review['tokens']['live']}/")
    players = page.locator("[data-review-player]")
    expect(players).to_have_count(3)
    # Selected first (16:9), then changes requested (1:1), then pending (9:16).
    for player, ratio in zip(players.all(), (16 / 9, 1, 9 / 16), strict=True):
        assert _box_ratio(player) == pytest.approx(ratio, rel=0.02)


def _intersect(a, b) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def _boxes(page, selector: str):
    return page.eval_on_selector_all(
        selector,
        """elements => elements.map(element => {
            const box = element.getBoundingClientRect();
            return {x: box.x, y: box.y, width: box.width, height: box.height};
        })""",
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_key_hints_never_run_into_the_labels(login, live_server, review, size):
    project = review["project"]
    page = login(project.owner)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    tiles = page.get_by_test_id("take-tile")
    for n in range(tiles.count()):
        buttons = tiles.nth(n).locator(".verdict-buttons button")
        expect(buttons).to_have_count(3)
        button_boxes = []
        for button in buttons.all():
            hint, label = button.locator("kbd"), button.locator(".verdict-label")
            expect(hint).to_have_count(1)
            hint_box, label_box = hint.bounding_box(), label.bounding_box()
            assert not _intersect(hint_box, label_box), (size, button.inner_text())
            box = button.bounding_box()
            # The hint and the label stay inside their button.
            for inner in (hint_box, label_box):
                assert (
                    box["x"] <= inner["x"]
                    and inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5
                ), (size, button.inner_text())
            button_boxes.append(box)
        for i, first in enumerate(button_boxes):
            for second in button_boxes[i + 1 :]:
                assert not _intersect(first, second), size
    # The keys' help above the grid: each hint clear of the words around it and of
    # the Compare button.
    help_boxes = _boxes(page, ".keys-help kbd")
    assert len(help_boxes) == 5
    (compare_box,) = _boxes(page, "[data-compare-submit]")
    for i, first in enumerate(help_boxes):
        assert not _intersect(first, compare_box)
        for second in help_boxes[i + 1 :]:
            assert not _intersect(first, second)
