"""An upload answered by a server error or by a proxy's own HTML page shows one line
with its status and a retry, in the library and in the composer; the page's markup is
never written into the row. The app's own refusal (plain text, 4xx) is shown as it is."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from projects.models import Project, ReferenceAsset

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
PROXY_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title>"
    "<style>body{font:16px serif}</style></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx/1.25.3</center></body></html>"
)
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def answer_uploads_with(page, status: int, body: str, content_type="text/html", times=1):
    """The upload URL answers `times` requests with `status` and `body`, then the app."""
    left = {"count": times}

    def handle(route):
        if route.request.method == "POST" and left["count"] > 0:
            left["count"] -= 1
            route.fulfill(status=status, body=body, content_type=content_type)
        else:
            route.continue_()

    page.route("**/library/upload/", handle)


def assert_no_markup(row):
    text = row.inner_text()
    assert "<" not in text and "nginx" not in text and "DOCTYPE" not in text, text
    assert row.locator("center, h1, hr, style").count() == 0


@pytest.mark.parametrize(("size", "status"), [("phone", 502), ("desktop", 500), ("desktop", 504)])
def test_the_library_says_the_server_had_a_problem_and_retries(
    login, live_server, alice, team, s3_storage, size, status
):
    page = login(alice)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/library/")
    answer_uploads_with(page, status, PROXY_PAGE.replace("502 Bad Gateway", f"{status} Error"))
    page.locator("#upload-input").set_input_files(MEDIA / "tiny.png")

    row = page.get_by_test_id("upload-item")
    alert = row.get_by_role("alert")
    expect(alert).to_have_text(f"Upload failed: the server had a problem ({status}). Try again.")
    assert_no_markup(row)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # Retry sends the same file again; this time the app answers and the card arrives.
    row.get_by_role("button", name="Retry tiny.png").click()
    expect(page.get_by_test_id("asset-card")).to_have_count(1)
    expect(page.get_by_test_id("upload-item").filter(has_text="Uploaded")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert ReferenceAsset.objects.filter(owner=alice).count() == 1


def test_the_library_keeps_the_apps_own_refusal_and_names_a_lost_connection(
    login, live_server, alice, team, s3_storage
):
    page = login(alice)
    page.goto(f"{live_server.url}/library/")
    # A refusal of the app's own (plain text, 400) is the message; no retry for it.
    page.locator("#upload-input").set_input_files(MEDIA / "archive.zip")
    refused = page.get_by_test_id("upload-item").filter(has_text="archive.zip")
    expect(refused.get_by_role("alert")).not_to_contain_text("server had a problem")
    expect(refused.get_by_role("alert")).not_to_be_empty()
    expect(refused.get_by_role("button", name="Retry archive.zip")).to_have_count(0)

    # An HTML page that comes with a 4xx is not the app's either.
    answer_uploads_with(page, 400, PROXY_PAGE.replace("502 Bad Gateway", "400 Bad Request"))
    page.locator("#upload-input").set_input_files(MEDIA / "tiny.png")
    row = page.get_by_test_id("upload-item").filter(has_text="tiny.png")
    expect(row.get_by_role("alert")).to_have_text(
        "Upload failed: the server had a problem (400). Try again."
    )
    assert_no_markup(row)

    page.route("**/library/upload/", lambda route: route.abort("connectionreset"))
    page.locator("#upload-input").set_input_files(MEDIA / "other.png")
    lost = page.get_by_test_id("upload-item").filter(has_text="other.png")
    expect(lost.get_by_role("alert")).to_have_text(
        "Upload failed: the connection broke. Try again."
    )
    expect(lost.get_by_role("button", name="Retry other.png")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_the_composer_never_prints_a_proxy_page(login, live_server, alice, team, s3_storage, size):
    project = Project.objects.create(team=team, owner=alice, name="Rain study")
    page = login(alice)
    page.set_viewport_size(SIZES[size])
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    answer_uploads_with(page, 502, PROXY_PAGE)
    page.locator("[data-composer-upload]").set_input_files(MEDIA / "tiny.png")

    row = page.locator("[data-composer-uploads] li")
    expect(row.get_by_role("alert")).to_contain_text("Upload failed: the server had a problem")
    assert_no_markup(row)
    # Trying again can help with a proxy's 502: the row offers it, and it works.
    page.unroute("**/library/upload/")
    row.get_by_role("button", name="Retry tiny.png").click()
    expect(row).to_contain_text("Added")
    expect(row.get_by_role("alert")).to_have_count(0)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
