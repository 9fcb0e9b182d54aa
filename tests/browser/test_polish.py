"""The studio's leftovers from a walk with realistic data (tests/fixtures/realistic.py) at
390, 1280 and 1920 px: each test here failed before its fix.

The studio is seeded with the default SITE_URL (port 8000) while the live server listens
on another port, as `manage.py seed_realistic` and `PORT=8001 make run` would be.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from projects.models import Generation, WorkerHeartbeat
from projects.models.credits import set_budget
from tests.fixtures.realistic import seed_realistic_studio
from tests.plugins.users import PASSWORD

SIZES = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
    "wide": {"width": 1920, "height": 1080},
}
SEEDED_SITE = "http://127.0.0.1:8000"
TAKES = re.compile(r"^_take_0[1-9]$")


@pytest.fixture
def studio(alice, team, settings, live_server, local_storage):
    settings.SITE_URL = SEEDED_SITE  # not the live server's address
    return seed_realistic_studio(team, alice, password=PASSWORD)


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


# Every image of the page that should show: loaded, and not from SITE_URL.
IMAGES = """imgs => imgs.filter(i => i.getBoundingClientRect().width > 0).map(i => ({
  src: i.getAttribute('src'), loaded: i.complete && i.naturalWidth > 0}))"""


def test_seeded_thumbnails_load_whatever_port_serves_the_site(login, live_server, studio):
    page = login(studio.owner)
    video = studio.video("success")
    for path in (
        "/library/",
        f"/library/characters/{studio.mira.pk}/",
        f"/library/assets/{studio.assets[0].pk}/",
        f"/videos/{video.pk}/",
    ):
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        images = page.locator("main img, .page img, img").evaluate_all(IMAGES)
        assert images, path
        broken = [image["src"] for image in images if not image["loaded"]]
        assert broken == [], f"{path}: {broken}"
        assert not any(image["src"].startswith(SEEDED_SITE) for image in images), path
    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    page.get_by_role("button", name="Add from library").click()
    picker = page.locator("#picker")
    expect(picker.get_by_test_id("pick-asset").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    thumbs = picker.locator("img").evaluate_all(IMAGES)
    assert thumbs and all(image["loaded"] for image in thumbs), thumbs


# A cut name: its visible end, whether its start is cut, and how much of the start shows.
NAME = """el => {
  const head = el.querySelector('.long-name-head'), tail = el.querySelector('.long-name-tail');
  const box = el.closest('[data-testid]').getBoundingClientRect();
  return {
    title: (el.closest('[title]') || el).getAttribute('title'),
    tail: tail ? tail.innerText : '',
    cut: head ? head.scrollWidth > head.clientWidth : false,
    headShown: head ? head.getBoundingClientRect().width : 0,
    inside: el.getBoundingClientRect().right <= box.right + 0.5,
  };
}"""


def assert_told_apart(names, where: str):
    tails = [name["tail"] for name in names]
    assert len(names) == 9 and len(set(tails)) == 9, f"{where}: {tails}"
    for name in names:
        assert TAKES.match(name["tail"]), f"{where}: the end in view is {name['tail']!r}"
        assert name["title"].startswith("mira_reference_portrait"), f"{where}: {name}"
        assert name["inside"], f"{where}: the name runs out of its card: {name}"
        # The start is cut with an ellipsis that is seen: never the end alone.
        if name["cut"]:
            assert name["headShown"] >= 12, f"{where}: the start is gone: {name}"


@pytest.mark.parametrize("size", SIZES)
def test_look_alike_names_are_cut_in_the_middle_with_their_end_in_view(
    login, live_server, studio, size
):
    page = login(studio.owner)
    page.set_viewport_size(SIZES[size])

    page.goto(f"{live_server.url}/library/?q=mira_reference")
    cards = page.get_by_test_id("asset-card")
    expect(cards).to_have_count(9)
    assert_told_apart(
        cards.locator(".long-name").evaluate_all(f"els => els.map({NAME})"), "library"
    )

    page.goto(f"{live_server.url}/library/characters/{studio.mira.pk}/")
    names = page.get_by_test_id("character-image").locator(".long-name")
    assert_told_apart(names.evaluate_all(f"els => els.map({NAME})"), "character page")
    assert sideways(page) <= 0

    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    page.get_by_role("button", name="Add from library").click()
    picker = page.locator("#picker")
    picker.get_by_label("Search").fill("mira_reference")
    picks = picker.get_by_test_id("pick-asset")
    expect(picks).to_have_count(9)
    assert_told_apart(picks.locator(".long-name").evaluate_all(f"els => els.map({NAME})"), "picker")


def test_a_failed_tile_says_why_in_words_and_shows_its_whole_refund(login, live_server, studio):
    unreachable = studio.video("fail_unreachable")
    assert "ConnectError" in unreachable.error_message
    page = login(studio.owner)
    for staff in (False, True):  # a team admin, then Kinovi Web's own staff
        studio.owner.is_staff = staff
        studio.owner.save()
        for size in SIZES:
            page.set_viewport_size(SIZES[size])
            page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
            for state in ("fail_unreachable", "fail", "fail_instant"):
                tile = page.locator(f"#generation-{studio.video(state).pk}")
                error = tile.get_by_test_id("generation-error")
                expect(error).to_be_visible()
                assert not re.search(r"[A-Z]\w*Error\b|/jobs/|https?://", error.inner_text())
                refund = error.get_by_test_id("refund-line")
                expect(refund).to_have_text(re.compile(r"^[\d,]+ credits refunded\.$"))
                assert not refund.evaluate(CLIPPED), f"{state} at {size}: the refund is cut"
            expect(
                page.locator(f"#generation-{unreachable.pk}").get_by_test_id("generation-error")
            ).to_contain_text("Kinovi could not be reached")
        page.goto(f"{live_server.url}/videos/{unreachable.pk}/")
        error = page.get_by_test_id("generation-error")
        expect(error).to_contain_text("Kinovi could not be reached")
        assert "ConnectError" not in error.inner_text()


# Whether a line is cut: not drawn, or outside its box, or its box cut short.
CLIPPED = """line => { const box = line.closest('.tile-error'), tile = line.closest('.tile');
  const b = line.getBoundingClientRect(), e = box.getBoundingClientRect();
  return b.height === 0 || b.bottom > e.bottom + 0.5
    || b.right > tile.getBoundingClientRect().right + 0.5
    || box.scrollHeight > box.clientHeight + 1; }"""


# A cell shown inside the window; a select wide enough for the option it shows.
CELLS = """(table, width) => [...table.querySelectorAll('tbody td, tbody th')].map(cell => {
  const box = cell.getBoundingClientRect();
  return {text: cell.innerText.trim(), shown: box.width > 0 && box.left >= -0.5
    && box.right <= width + 0.5};
})"""
SELECTS = """selects => selects.map(s => {
  const style = getComputedStyle(s);
  const measure = document.createElement('canvas').getContext('2d');
  measure.font = style.font;
  const needs = measure.measureText(s.selectedOptions[0].text).width
    + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const box = s.getBoundingClientRect();
  return {text: s.selectedOptions[0].text, fits: needs <= s.clientWidth + 1,
    inside: box.right <= window.innerWidth + 0.5};
})"""


@pytest.mark.parametrize("size", SIZES)
def test_members_and_workers_tables_fit_a_phone(login, live_server, studio, size):
    from django.utils import timezone

    studio.owner.is_staff = True
    studio.owner.save()
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        host="render-worker-eu-west-1.internal.northlight-studio.example",
        pid=48213,
        started_at=now,
        last_beat_at=now,
        rows_handled=1234,
    )
    page = login(studio.owner)
    width = SIZES[size]["width"]
    page.set_viewport_size(SIZES[size])
    for path, testid in (("/team/members/", "members-table"), ("/status/", "workers")):
        page.goto(live_server.url + path)
        table = page.get_by_test_id(testid)
        cells = table.evaluate(CELLS, width)
        hidden = [cell["text"] for cell in cells if cell["text"] and not cell["shown"]]
        assert hidden == [], f"{path} at {width} px hides {hidden}"
        assert sideways(page) <= 0, f"{path} scrolls sideways at {width} px"
        scrolls = table.evaluate(
            "t => { const s = t.closest('.table-scroll'); "
            "return s ? s.scrollWidth > s.clientWidth + 1 : false; }"
        )
        assert not scrolls, f"{path}: the table scrolls sideways in its box at {width} px"
    page.goto(live_server.url + "/team/members/")
    selects = page.get_by_test_id("members-table").locator("select").evaluate_all(SELECTS)
    assert selects and all(s["fits"] and s["inside"] for s in selects), selects
    expect(page.get_by_test_id("members-table")).to_contain_text(
        re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4}")
    )


def test_an_archived_projects_video_page_says_so(login, live_server, studio):
    video = studio.video("success")
    page = login(studio.owner)
    page.goto(f"{live_server.url}/videos/{video.pk}/")
    expect(page.get_by_test_id("archived-note")).to_have_count(0)
    studio.project.archive()
    page.reload()
    note = page.get_by_test_id("archived-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("project was archived")
    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    expect(page.get_by_test_id("archived-note")).to_contain_text("project was archived")
    # An archived video of a project in use says so too.
    studio.project.unarchive()
    page.goto(f"{live_server.url}/videos/{studio.video('archived').pk}/")
    expect(page.get_by_test_id("archived-note")).to_contain_text("video was archived")


BADGE = """el => ({text: el.innerText.trim(), background: getComputedStyle(el).backgroundColor,
  color: getComputedStyle(el).color})"""


def test_unknown_has_one_name_and_one_badge_everywhere(login, live_server, studio):
    unknown = studio.video("unknown")
    page = login(studio.owner)
    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    tile = page.locator(f"#generation-{unknown.pk}")
    card = tile.get_by_test_id("generation-status").evaluate(BADGE)
    expect(tile.locator(".placeholder-text")).to_have_text("Unknown")
    page.goto(f"{live_server.url}/videos/{unknown.pk}/")
    video_page = page.get_by_test_id("generation-status").evaluate(BADGE)
    expect(page.locator(".placeholder-text")).to_have_text("Unknown")
    page.goto(f"{live_server.url}/spend/")
    row = page.get_by_test_id("my-generations").locator("tr", has_text=f"#{unknown.pk}")
    report = row.locator(".status").evaluate(BADGE)
    assert card == video_page == report, (card, video_page, report)
    assert card["text"] == "Unknown"


def test_reservations_of_unfinished_videos_are_held_not_used(login, live_server, studio):
    unfinished = Generation.objects.filter(project=studio.project).exclude(
        status__in=Generation.FINISHED_STATES
    )
    held = sum((video.credits_estimated for video in unfinished), Decimal(0))
    assert unfinished.filter(status="unknown").exists() and held > 0
    set_budget(
        team=studio.team,
        user=studio.owner,
        period="month",
        hard_limit=100000,
        actor=studio.owner,
        reason="pilot",
    )
    page = login(studio.owner)
    page.goto(f"{live_server.url}/")
    card = page.get_by_test_id("project-card").filter(has_text="The Long Way Home")
    expect(card.get_by_test_id("project-held")).to_have_text(f"{held:,.0f} held")
    expect(card.get_by_test_id("project-month-spend")).not_to_contain_text(f"{held:,.0f} credits")

    page.goto(f"{live_server.url}/spend/")
    budget = page.get_by_test_id("budget")
    expect(budget.get_by_test_id("budget-held")).to_have_text(f"{held:,.0f} held")
    used = int(budget.get_by_test_id("budget-spent").inner_text().replace(",", ""))
    from projects.models.credits import budget_statuses

    (status,) = budget_statuses(studio.team, studio.owner)
    assert used == status.spent - held


def test_on_a_phone_generate_never_covers_the_control_being_used(login, live_server, studio):
    page = login(studio.owner)
    page.set_viewport_size(SIZES["phone"])
    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    footer = page.get_by_test_id("composer-footer")
    expect(footer).to_be_visible()
    takes = page.locator("#id_takes")
    # A screen as tall as puts "Videos" (how many takes) under the bar as the page opens
    # (a shorter phone, or one with its keyboard out).
    box, bar = takes.bounding_box(), footer.bounding_box()
    height = round(box["y"] + box["height"] + bar["height"] / 2)
    page.set_viewport_size({"width": 390, "height": height})
    page.wait_for_timeout(200)
    box, bar = takes.bounding_box(), footer.bounding_box()
    assert box["y"] + box["height"] > bar["y"], "the control starts out from under the bar"
    # Focused (by a script, a label, a screen reader) or scrolled to, it comes out above.
    for bring in ("el => el.focus()", "el => el.scrollIntoView({block: 'nearest'})"):
        page.evaluate("window.scrollTo(0, 0)")
        takes.evaluate(bring)
        page.wait_for_timeout(200)
        box, bar = takes.bounding_box(), footer.bounding_box()
        assert box["y"] + box["height"] <= bar["y"], (bring, box, bar)


@pytest.mark.parametrize("size", SIZES)
def test_the_video_pages_length_sits_outside_the_player(login, live_server, studio, size):
    video = studio.video("success")
    page = login(studio.owner)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/videos/{video.pk}/")
    length = page.get_by_test_id("video-length")
    expect(length).to_have_text(f"{video.duration} s")
    player = page.get_by_test_id("generation-video").bounding_box()
    box = length.bounding_box()
    overlaps = not (
        box["x"] + box["width"] <= player["x"]
        or box["x"] >= player["x"] + player["width"]
        or box["y"] + box["height"] <= player["y"]
        or box["y"] >= player["y"] + player["height"]
    )
    assert not overlaps, (box, player)
    # A tile keeps its badge over its frame.
    page.goto(f"{live_server.url}/projects/{studio.project.pk}/")
    expect(page.locator(f"#generation-{video.pk} .tile-length")).to_have_text(f"{video.duration} s")
    # Its date is written as every moment is: 2 Dec 2026, 14:05.
    page.goto(f"{live_server.url}/videos/{video.pk}/")
    expect(page.get_by_test_id("video-page").locator("time")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$")
    )


@pytest.mark.parametrize("size", SIZES)
def test_an_empty_projects_tile_is_a_neutral_placeholder(login, live_server, studio, size):
    page = login(studio.owner)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/")
    card = page.get_by_test_id("project-card").filter(has_text="Brand film")
    placeholder = card.get_by_test_id("project-no-videos")
    expect(placeholder).to_have_text(re.compile("No videos yet"))
    posters = card.locator(".project-posters")
    shape = posters.evaluate(
        """p => { const r = p.getBoundingClientRect();
          return {ratio: r.width / r.height, background: getComputedStyle(p).backgroundColor}; }"""
    )
    assert shape["ratio"] == pytest.approx(16 / 9, rel=0.03)
    red, green, blue = (int(n) for n in re.findall(r"\d+", shape["background"])[:3])
    assert min(red, green, blue) > 200, f"the placeholder is dark: {shape['background']}"
    full = page.get_by_test_id("project-card").filter(has_text="The Long Way Home")
    expect(full.get_by_test_id("project-no-videos")).to_have_count(0)
    assert sideways(page) <= 0
