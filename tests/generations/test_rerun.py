"""Re-run: one video per click of a rendered button, its note beside the card re-run."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.models import Generation, LedgerEntry, PriceVersion
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.test_composer_pages import add_reference, make_generation

pytestmark = pytest.mark.django_db


def rendered(client, generation, field: str) -> str:
    """The value of the Re-run button's hidden `field` in the card as polled."""
    html = client.get(
        reverse("generation_detail", args=[generation.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    return re.search(rf'name="{field}"(?: id="[^"]+")? value="([^"]+)"', html).group(1)


def rendered_key(client, generation) -> str:
    return rendered(client, generation, "idempotency_key")


def done_video(project, images) -> Generation:
    """A finished 5 s video of one image at 720p: 200 credits at the seed's prices."""
    old = make_generation(project, status="success", credits_used=200)
    add_reference(old, images[0])
    Generation.objects.filter(pk=old.pk).update(prompt="@image1 at dawn")
    return old


def test_a_double_click_on_re_run_makes_one_video(alice_client, project, images):
    old = done_video(project, images)
    key = rendered_key(alice_client, old)
    assert key == rendered_key(alice_client, old)  # a poll keeps the button's key
    url = reverse("generation_rerun", args=[old.pk])
    first = alice_client.post(url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    second = alice_client.post(url, {"idempotency_key": key}, headers={"HX-Request": "true"})
    new = Generation.objects.exclude(pk=old.pk).get()
    assert LedgerEntry.objects.filter(kind="reserve").count() == 1
    html = first.content.decode()
    assert f'id="tile-note-{old.pk}"' in html and 'hx-swap-oob="true"' in html
    assert f"Video {new.pk} queued again: 200 credits reserved." in html
    assert f'id="generation-{new.pk}"' in html
    assert json.loads(first.headers["HX-Trigger"])["videoQueued"]["id"] == new.pk
    assert "queued already: nothing more was reserved" in second.content.decode()
    assert f'id="generation-{new.pk}"' not in second.content.decode()

    # Once a video was made, the button renders a new key: the next click is a new take.
    again = rendered_key(alice_client, old)
    assert again != key
    alice_client.post(url, {"idempotency_key": again}, headers={"HX-Request": "true"})
    assert Generation.objects.count() == 3


def test_a_refused_re_run_says_why_beside_the_card(alice_client, project):
    old = make_generation(project, status="success", prompt="")
    response = alice_client.post(
        reverse("generation_rerun", args=[old.pk]),
        {"idempotency_key": "k"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="tile-note-{old.pk}"' in html and "is-error" in html
    assert "made again as it was" in html
    assert Generation.objects.count() == 1


def raise_the_720p_price(to: str = "50") -> None:
    """A new price version, in effect now: Seedance 2.0 at 720p costs `to` a second."""
    version = PriceVersion.objects.in_effect()
    rates = dict(version.model_rates)
    rates["seedance-20"] = {
        **rates["seedance-20"],
        "per_second": {**rates["seedance-20"]["per_second"], "720p": to},
    }
    PriceVersion.objects.create(
        effective_from=timezone.now() - dt.timedelta(seconds=1),
        dollars_per_credit=version.dollars_per_credit,
        model_rates=rates,
    )


def test_re_run_reserves_only_the_price_its_button_was_shown_with(alice_client, project, images):
    old = done_video(project, images)
    key, shown = rendered_key(alice_client, old), rendered(alice_client, old, "credits")
    assert Decimal(shown) == 200
    raise_the_720p_price("50")  # 5 s now cost 250
    url = reverse("generation_rerun", args=[old.pk])
    data = {"idempotency_key": key, "credits": shown}
    refused = alice_client.post(url, data, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "would now cost 250 credits" in html and "Nothing was reserved" in html
    assert "is-error" not in html  # a price to confirm, not a failure
    oob = re.search(rf'id="rerun-credits-{old.pk}" value="([^"]+)" hx-swap-oob="true"', html)
    assert Decimal(oob.group(1)) == 250
    assert Generation.objects.count() == 1 and not LedgerEntry.objects.exists()

    confirmed = alice_client.post(url, {**data, "credits": "250"}, headers={"HX-Request": "true"})
    assert confirmed.status_code == 200
    new = Generation.objects.exclude(pk=old.pk).get()
    assert new.credits_estimated == Decimal(250)
    assert "queued again: 250 credits reserved" in confirmed.content.decode()


def test_without_javascript_a_repriced_re_run_shows_the_video_page_with_the_new_price(
    alice_client, project, images
):
    old = done_video(project, images)
    raise_the_720p_price("50")
    url = reverse("generation_rerun", args=[old.pk])
    response = alice_client.post(url, {"idempotency_key": "plain-form", "credits": "200"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "would now cost 250 credits" in html
    assert 'name="idempotency_key" value="plain-form"' in html
    assert Decimal(re.search(r'name="credits" value="([^"]+)"', html).group(1)) == 250
    assert Generation.objects.count() == 1
    again = alice_client.post(url, {"idempotency_key": "plain-form", "credits": "250"})
    assert again.status_code == 302
    assert Generation.objects.exclude(pk=old.pk).get().credits_estimated == Decimal(250)


@pytest.mark.parametrize(
    "forged", ["abc", "NaN", "Infinity", "-1", "1e999999", "1e-999999", "2" * 40, "٢٠٠"]
)
def test_a_forged_re_run_price_is_a_400_and_reserves_nothing(alice_client, project, images, forged):
    old = done_video(project, images)
    response = alice_client.post(
        reverse("generation_rerun", args=[old.pk]),
        {"idempotency_key": "forged", "credits": forged},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert Generation.objects.count() == 1 and not LedgerEntry.objects.exists()


def test_a_re_run_posted_at_a_lower_price_than_today_reserves_nothing(
    alice_client, project, images
):
    old = done_video(project, images)
    response = alice_client.post(
        reverse("generation_rerun", args=[old.pk]),
        {"idempotency_key": "cheap", "credits": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert "would now cost 200 credits" in response.content.decode()
    assert Generation.objects.count() == 1 and not LedgerEntry.objects.exists()
