"""axe-core (axe-playwright-python bundles it: no network) finds no serious or
critical violation on the library, characters and project pages, at desktop and
phone width, and none of them scrolls sideways on a phone."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from projects.models import Project
from tests.browser.library_data import make_library

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def assert_accessible(page, size: str):
    page.wait_for_load_state("networkidle")
    assert blocking_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls {overflow} px sideways at {size} size"


@pytest.fixture
def library_page(login, live_server, alice, bob, team, s3_storage):
    library = make_library(alice, bob, team)
    page = login(alice)
    return page, library


@pytest.mark.parametrize("size", SIZES)
def test_the_library_pages_pass_axe(library_page, live_server, size):
    page, library = library_page
    page.set_viewport_size(SIZES[size])
    for path in (
        "/library/",
        f"/library/assets/{library.assets[0].pk}/",
        "/library/characters/",
        f"/library/characters/{library.team_character.pk}/",
    ):
        page.goto(live_server.url + path)
        assert_accessible(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_the_character_dialog_passes_axe(library_page, live_server, size):
    page, _ = library_page
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/library/characters/")
    page.get_by_role("link", name="New character").click()
    expect(page.locator("#character-dialog").get_by_label("Name")).to_be_focused()
    assert_accessible(page, size)


@pytest.mark.parametrize("size", SIZES)
def test_the_project_pages_pass_axe(library_page, live_server, alice, team, size):
    page, _ = library_page
    project = Project.objects.create(team=team, owner=alice, name="Night market teaser")
    page.set_viewport_size(SIZES[size])
    for path in ("/", f"/projects/{project.pk}/"):
        page.goto(live_server.url + path)
        assert_accessible(page, size)
