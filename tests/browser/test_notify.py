"""The project page while a video is being made: a count in the title when the tab is
hidden, a browser notification when allowed, the permission asked after the first
Generate only."""

import pytest

from projects.models import Generation, Project

# A hidden tab, and a Notification that records what it is asked.
FAKE_BROWSER = """
let hidden = true;
Object.defineProperty(document, 'hidden', {get: () => hidden});
window.setHidden = (value) => {
  hidden = value;
  document.dispatchEvent(new Event('visibilitychange'));
};
window.shown = []; window.asked = 0;
class FakeNotification { constructor(title) { window.shown.push(title); } }
FakeNotification.permission = window.fakePermission || 'granted';
FakeNotification.requestPermission = () => {
  window.asked += 1;
  return Promise.resolve('granted');
};
window.Notification = FakeNotification;
"""


@pytest.fixture
def making(alice, team):
    project = Project.objects.create(team=team, owner=alice, name="Pilot")
    generation = Generation.objects.create(
        project=project,
        created_by=alice,
        model="seedance-20",
        prompt="p",
        status=Generation.Status.GENERATING,
    )
    return project, generation


def _finish_on_the_page(page, generation):
    page.eval_on_selector(f"#generation-{generation.pk}", "card => card.dataset.status = 'success'")


def test_a_finished_video_counts_in_the_title_and_notifies(login, live_server, page, alice, making):
    project, generation = making
    page.add_init_script(FAKE_BROWSER)
    login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    title = page.title()
    _finish_on_the_page(page, generation)
    page.wait_for_function("() => document.title.startsWith('(1) ')")
    assert page.evaluate("window.shown") == [f"Video {generation.pk} is done"]
    page.evaluate("window.setHidden(false)")
    assert page.title() == title


def test_permission_is_asked_once_after_the_first_generate(login, live_server, page, alice, making):
    project, _ = making
    page.add_init_script("window.fakePermission = 'default';" + FAKE_BROWSER)
    login(alice)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert page.evaluate("window.asked") == 0
    fire = """() => document.dispatchEvent(new CustomEvent('htmx:afterRequest',
        {detail: {elt: document.getElementById('composer'), successful: true}}))"""
    page.evaluate(fire)
    page.evaluate(fire)
    assert page.evaluate("window.asked") == 1
