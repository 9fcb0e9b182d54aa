"""The composer's models, resolutions and quote lock in a real browser (issue 14): 480p
costs less and generates; 1080p costs more; Seedance 2.5 takes 20 images where 2.0
refuses them; a price changed between the check and Generate is answered with the new
price, confirmed with one click. Axe finds nothing serious, and the page never scrolls
sideways at 390, 1280 or 1920 px."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from projects.models import Generation, PriceVersion, Project
from tests.browser.test_composer import (
    kinovi,  # noqa: F401 (fixture)
    serious_axe_violations,
    upload,
    wait_for_status,
    worker,  # noqa: F401 (fixture)
)
from tests.library.conftest import make_asset

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shots(alice, team, kinovi):  # noqa: F811
    project = Project.objects.create(team=team, owner=alice, name="Resolutions")
    upload(alice, team, "tiny.png")
    for n in range(19):
        make_asset(alice, team, name=f"still {n:02}")
    return project


def add_from_picker(page, names):
    page.get_by_role("button", name="Add from library").click()
    picker = page.locator("#picker")
    expect(picker).to_be_visible()
    for name in names:
        picker.get_by_test_id("pick-asset").filter(has_text=name).first.click()
    notice = picker.get_by_test_id("picker-notice").text_content()
    picker.get_by_role("button", name="Done").click()
    return notice


def fits(page, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_axe_violations(page) == []


def test_resolutions_models_and_the_quote_lock(login, live_server, alice, shots, worker):  # noqa: F811
    page = login(alice)
    page.goto(f"{live_server.url}/projects/{shots.pk}/")
    composer = page.locator("#composer")
    price = page.get_by_test_id("composer-price")
    add_from_picker(page, ["tiny"])
    composer.get_by_label("Prompt").fill("@image1 in the rain")
    expect(price).to_contain_text("200 credits")
    for width in (390, 1280, 1920):
        fits(page, width)

    # 480p: the lower price, and generate.
    composer.get_by_label("Resolution").select_option("480p")
    expect(price).to_contain_text("75 credits")
    expect(composer.get_by_label("Upscale to 4K")).to_be_hidden()
    worker.start()
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("75 credits reserved")
    expect(page.get_by_test_id("card-resolution").first).to_have_text("480p")
    wait_for_status(page, "success")
    card = page.get_by_test_id("generation-card").first
    expect(card.get_by_test_id("generation-result")).to_contain_text("75 credits")
    assert Generation.objects.get().resolution == "480p"

    # 1080p: the higher price.
    composer.get_by_label("Resolution").select_option("1080p")
    expect(price).to_contain_text("450 credits")

    # The quote lock: the price changes between the check and Generate.
    version = PriceVersion.objects.in_effect()
    rates = dict(version.model_rates)
    rates["seedance-20"] = {
        **rates["seedance-20"],
        "per_second": {**rates["seedance-20"]["per_second"], "1080p": "100"},
    }
    PriceVersion.objects.create(
        effective_from=timezone.now() - dt.timedelta(seconds=1),
        dollars_per_credit=version.dollars_per_credit,
        model_rates=rates,
    )
    page.get_by_test_id("composer-submit").click()
    changed = page.get_by_test_id("quote-changed")
    expect(changed).to_contain_text("450 credits then, 500 credits now")
    assert Generation.objects.count() == 1
    assert serious_axe_violations(page) == []
    changed.get_by_role("button", name="Generate for 500 credits").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("500 credits reserved")
    assert Generation.objects.filter(resolution="1080p").get().credits_estimated == 500

    # Seedance 2.5 takes 20 images; 2.0 refuses the tenth.
    composer.get_by_label("Resolution").select_option("720p")
    expect(price).to_contain_text("200 credits")
    notice = add_from_picker(page, [f"still {n:02}" for n in range(9)])
    assert "can't be added" in notice and "Seedance 2.0 takes at most 9 images" in notice
    composer.get_by_label("Seedance 2.5", exact=True).check()
    expect(page.get_by_test_id("model-limits")).to_contain_text("up to 30 images")
    expect(composer.get_by_label("Resolution").locator("option")).to_have_count(3)
    add_from_picker(page, [f"still {n:02}" for n in range(8, 19)])
    expect(page.get_by_test_id("composer-reference")).to_have_count(20)
    expect(page.locator("[data-reference-counts]")).to_contain_text("20/30 images")
    expect(price).to_contain_text("295 credits")  # 5 s at 59 credits/s
    expect(page.get_by_test_id("composer-errors")).to_have_count(0)
    for width in (390, 1280, 1920):
        fits(page, width)
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("295 credits reserved")
    made = Generation.objects.get(model="seedance2-5")
    assert made.references.count() == 20 and made.credits_estimated == 295
