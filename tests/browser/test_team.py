"""A team in a real browser: an admin invites a new person, who follows the email's link
in a browser of their own, sets a password, uploads and makes a video; the admin removes
them; their open tab is signed out on its next request and their project is the admin's.
No page of the walk breaks the Content Security Policy.

With SCREENSHOTS=1 the Members page is saved as docs/members.png (1280 wide) and
docs/members-phone.png (390 wide).
"""

import os
import re
from pathlib import Path

from django.core import mail
from playwright.sync_api import expect

from projects.models import Project
from tests.browser.test_composer import (  # noqa: F401 (fixtures)
    kinovi,
    serious_axe_violations,
    wait_for_status,
    worker,
)

MEDIA = Path(__file__).resolve().parent.parent / "fixtures" / "media"
DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
PASSWORD = "a sturdy new passphrase"
# Every violation of the page's policy, reported back to the test from any page.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', e => window.reportCspViolation(
  `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
  + ` (${e.sourceFile}:${e.lineNumber})`));
"""


def collect_csp_violations(context) -> list[str]:
    found: list[str] = []
    context.expose_function("reportCspViolation", lambda text: found.append(text))
    context.add_init_script(CSP_LISTENER)
    return found


def fits_a_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_invited_person_makes_a_video_and_is_removed(
    login,
    page,
    browser,
    live_server,
    alice,
    team,
    kinovi,  # noqa: F811
    worker,  # noqa: F811
):
    violations = collect_csp_violations(page.context)
    login(alice)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    mail.outbox.clear()
    invite = page.get_by_test_id("invite-form")
    invite.get_by_label("Email address").fill("dana@example.com")
    invite.get_by_label("Role").select_option("member")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#messages")).to_contain_text("Invitation sent to dana@example.com")
    expect(page.get_by_test_id("invitation-row")).to_have_attribute("data-status", "pending")
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)

    # Dana, in a browser of her own.
    dana_context = browser.new_context()
    dana_violations = collect_csp_violations(dana_context)
    dana = dana_context.new_page()
    dana.goto(link)
    expect(dana.get_by_role("heading", level=1)).to_have_text("Join Acme Films")
    dana.get_by_label("Your name").fill("Dana Scully")
    dana.get_by_label("Password", exact=True).fill(PASSWORD)
    dana.get_by_label("Password again").fill(PASSWORD)
    dana.get_by_role("button", name="Join the team").click()
    expect(dana.locator("#messages")).to_contain_text("Welcome to Acme Films.")
    expect(dana.locator(".team-name")).to_have_text("Acme Films")

    # She uploads a reference and starts a project.
    dana.goto(f"{live_server.url}/library/")
    dana.locator("#upload-input").set_input_files(MEDIA / "tiny.png")
    expect(dana.get_by_test_id("asset-card")).to_have_count(1)
    dana.goto(f"{live_server.url}/")
    dana.get_by_label("Name").fill("Dana's first")
    dana.get_by_role("button", name="Create project").click()
    expect(dana.get_by_role("heading", level=1)).to_contain_text("Dana's first")

    # Her first video.
    dana.get_by_role("button", name="Add from library").click()
    picker = dana.locator("#picker")
    picker.get_by_test_id("pick-asset").filter(has_text="tiny").click()
    picker.get_by_role("button", name="Done").click()
    dana.locator("#composer").get_by_label("Prompt").fill("@image1 walks through the rain")
    expect(dana.locator("[data-composer-status]")).to_contain_text("Ready to generate")
    dana.get_by_test_id("composer-submit").click()
    wait_for_status(dana, "queued")
    worker.start()
    wait_for_status(dana, "success")
    project = Project.objects.get(name="Dana's first")

    # The admin sees her, then removes her, handing the project to herself.
    page.reload()
    row = page.get_by_test_id("member-row").filter(has_text="Dana Scully")
    expect(row).to_be_visible()
    draw_members_page(page)
    row.get_by_role("link", name="Remove").click()
    page.get_by_label("Their projects").select_option(label="Hand them to alice")
    page.get_by_role("button", name="Remove from Acme Films").click()
    expect(page.locator("#messages")).to_contain_text("1 of their projects handed to alice")
    expect(page.get_by_test_id("member-row").filter(has_text="Dana Scully")).to_have_count(0)

    # Dana's open tab: its next request is signed out.
    dana.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(dana).to_have_url(re.compile(r"/accounts/login/"))
    project.refresh_from_db()
    assert project.owner == alice
    page.goto(f"{live_server.url}/")
    expect(page.get_by_text("Dana's first")).to_be_visible()

    dana_context.close()
    assert violations == []
    assert dana_violations == []


def draw_members_page(page):
    for size, viewport, name in (
        ("desktop", {"width": 1280, "height": 900}, "members.png"),
        ("phone", {"width": 390, "height": 844}, "members-phone.png"),
    ):
        page.set_viewport_size(viewport)
        page.evaluate("document.getElementById('messages').replaceChildren()")
        assert fits_a_phone(page), f"the Members page scrolls sideways at {size} size"
        assert serious_axe_violations(page) == []
        if os.environ.get("SCREENSHOTS") == "1":
            page.screenshot(path=DOCS / name, full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_no_page_of_the_walk_breaks_the_content_security_policy(
    login,
    page,
    live_server,
    alice,
    team,
    kinovi,  # noqa: F811
):
    from tests.browser.test_composer import upload

    violations = collect_csp_violations(page.context)
    project = Project.objects.create(team=team, owner=alice, name="Walk")
    asset = upload(alice, team, "tiny.png")
    page.goto(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/accounts/password/reset/")
    login(alice)
    for path in (
        "/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/settings/",
        "/library/",
        f"/library/assets/{asset.pk}/",
        "/library/characters/",
        "/library/characters/new/",
        "/spend/",
        "/spend/report/",
        "/spend/budgets/",
        "/spend/pricing/",
        "/team/members/",
        "/accounts/profile/",
        "/accounts/password/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    # HTMX at work: the library's live search and the composer's live check.
    page.goto(f"{live_server.url}/library/")
    with page.expect_response(re.compile(r"/library/\?")):
        page.get_by_label("Search").fill("tiny")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator("#composer").get_by_label("Prompt").fill("a rainy street")
    page.wait_for_load_state("networkidle")
    assert violations == []
    # And the listener does hear a violation: an inline style attribute is refused.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("true")
    page.wait_for_timeout(300)
    assert [v for v in violations if "style-src" in v]
