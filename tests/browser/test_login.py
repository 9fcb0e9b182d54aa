import re

from playwright.sync_api import expect

from tests.plugins.users import PASSWORD


def test_it_shows_empty_projects_page_after_login(login, live_server, bob):
    page = login(bob)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My projects in Acme Films")
    expect(page.get_by_test_id("projects-empty")).to_contain_text("No projects yet")
    expect(page.get_by_text("Acme Films", exact=True)).to_be_visible()


def test_it_rejects_a_wrong_password(page, live_server, bob):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
