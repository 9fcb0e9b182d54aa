"""The composer's models, resolutions and quote lock in a real browser (issue 14): 480p
costs less and generates; 1080p costs more; Seedance 2.5 takes 20 images where 2.0
refuses them; a price changed between the check and Generate is answered with the new
price, confirmed with one click. Axe finds nothing serious, and the page never scrolls
sideways at 390, 1280 or 1920 px. Seedance 2.5 with a reference video reserves its
reference seconds rounded up plus the length (the worst case, 30 s plus the length, when
the reference's length is unknown), shows "final cost pending" after success and, once
the simulator's late creditsUsed is final, the charge without a reload."""

import datetime as dt
import io
from decimal import Decimal

import av
import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from projects.models import Generation, LedgerEntry, PriceVersion, Project, ReferenceAsset
from projects.models import generation as generation_module
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


def mp4_of(frames: int, fps: int) -> bytes:
    """A real H.264 MP4 of frames / fps seconds (PyAV), 32 px square."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for number in range(frames):
            picture = Image.new("RGB", (32, 32), (number * 40 % 255, 0, 0))
            container.mux(
                stream.encode(av.VideoFrame.from_image(picture).reformat(format="yuv420p"))
            )
        container.mux(stream.encode(None))
    return out.getvalue()


def compose_25_with(page, live_server, project, video_name):
    """The composer with tiny.png and a reference video, Seedance 2.5 at 720p, 5 s."""
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    composer = page.locator("#composer")
    composer.get_by_label("Seedance 2.5", exact=True).check()
    add_from_picker(page, ["tiny", video_name])
    composer.get_by_label("Prompt").fill("@image1 moves like @video1, slowly")
    composer.get_by_label("Resolution").select_option("720p")
    composer.get_by_test_id("composer-duration").select_option("5")
    return composer


def reserved(generation) -> Decimal:
    return LedgerEntry.objects.get(generation=generation, kind=LedgerEntry.Kind.RESERVE).credits


def test_a_reference_video_of_unknown_length_reserves_the_worst_case(
    login, live_server, alice, team, shots
):
    make_asset(
        alice,
        team,
        name="clip of no length",
        kind=ReferenceAsset.Kind.VIDEO,
        mime_type="video/mp4",
        duration=None,
    )
    page = login(alice)
    compose_25_with(page, live_server, shots, "clip of no length")
    price = page.get_by_test_id("composer-price")
    # (30 + 5) s x 35 credits/s, and the composer says it is the most it can cost.
    expect(price).to_contain_text("1,225 credits")
    expect(price).to_contain_text("The most it can cost")
    expect(price).to_contain_text("for 35 s at 35 credits/s")
    for width in (390, 1280):
        fits(page, width)
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("1,225 credits reserved")
    made = Generation.objects.get(model="seedance2-5")
    assert made.estimate_worst_case
    assert made.credits_estimated == reserved(made) == 1225


def test_a_reference_video_reserves_its_seconds_and_settles_to_kinovis_final_charge(
    login,
    live_server,
    alice,
    team,
    shots,
    kinovi,  # noqa: F811
    worker,  # noqa: F811
    monkeypatch,
):
    """Waits, each bounded: success (2 s of simulated stages, the card polled every 2 s;
    40 s at most), the simulator's late creditsUsed (8 s after success, so the pending
    tile is seen before it), the worker's settle (the same figure for 1 s, the wait
    shortened), then the tile's next 10 s poll (30 s at most). About 16 s in all."""
    clip, _ = ReferenceAsset.objects.create_from_upload(
        SimpleUploadedFile("clip.mp4", mp4_of(5, 2)), owner=alice, team=team
    )
    assert clip.kind == ReferenceAsset.Kind.VIDEO and clip.duration == 2.5
    kinovi.control(waiting_seconds=1, generating_seconds=1, settle_delay_seconds=8)
    monkeypatch.setattr(generation_module, "LATE_CHARGE_STABLE", dt.timedelta(seconds=1))

    page = login(alice)
    composer = compose_25_with(page, live_server, shots, "clip")
    price = page.get_by_test_id("composer-price")
    # (2.5 s rounded up + 5 s) x 35 credits/s; the length is known, so no worst case.
    expect(price).to_contain_text("280 credits")
    expect(price).not_to_contain_text("most it can cost")
    expect(price).to_contain_text("for 8 s at 35 credits/s")
    expect(composer.get_by_test_id("composer-errors")).to_have_count(0)
    worker.start()
    page.get_by_test_id("composer-submit").click()
    expect(page.get_by_test_id("composer-submitted")).to_contain_text("280 credits reserved")
    made = Generation.objects.get(model="seedance2-5")
    assert not made.estimate_worst_case
    assert made.credits_estimated == reserved(made) == 280

    # Made; its final cost pending while Kinovi's creditsUsed is still length x rate.
    page.evaluate("window.notReloaded = true")
    wait_for_status(page, "success")
    result = page.get_by_test_id("generation-card").first.get_by_test_id("generation-result")
    expect(result).to_contain_text("280 credits reserved · final cost pending")
    made.refresh_from_db()
    record = httpx.get(
        f"{kinovi.base_url}/jobs/recordInfo",
        params={"taskId": made.task_id},
        headers={"Authorization": f"Bearer {kinovi.api_key}"},
    ).json()
    assert record["status"] == "success" and record["creditsUsed"] == 5 * 35
    assert made.settle_pending

    # Kinovi's late figure, settled once final; the tile's 10 s poll shows it.
    expect(result).to_contain_text("280 credits ($1.40) charged", timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
    final = httpx.get(
        f"{kinovi.base_url}/jobs/recordInfo",
        params={"taskId": made.task_id},
        headers={"Authorization": f"Bearer {kinovi.api_key}"},
    ).json()["creditsUsed"]
    assert final == (3 + 5) * 35
    made.refresh_from_db()
    assert not made.settle_pending and made.credits_used == final
    entries = LedgerEntry.objects.filter(generation=made)
    settle = entries.get(kind=LedgerEntry.Kind.SETTLE)
    assert settle.credits_used == final
    assert entries.total_credits() == final
