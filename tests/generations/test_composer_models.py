"""The composer offers each model's resolutions, lengths, limits and options; the
quote lock; models hidden for a team or switched off for the site (issue 14)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.kinovi import pricing
from projects.models import AuditEntry, Generation, LedgerEntry, ModelAvailability, PriceVersion
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post
from tests.library.conftest import make_asset

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def check(client, project, data):
    return client.post(reverse("composer_check", args=[project.pk]), data, headers=HTMX)


def submit(client, project, data, htmx=True):
    return client.post(
        reverse("generation_submit", args=[project.pk]), data, headers=HTMX if htmx else {}
    )


def token_in(html: str) -> str:
    return html.split('name="quote" value="')[1].split('"')[0]


def test_the_price_follows_the_resolution(alice_client, project, images):
    draft = check(alice_client, project, composer_post(images[:1], resolution="480p")).content
    full = check(alice_client, project, composer_post(images[:1], resolution="1080p")).content
    assert b"<strong>75 credits</strong>" in draft and b"at 480p" in draft
    assert b"<strong>450 credits</strong>" in full and b"at 1080p" in full


def test_a_resolution_the_model_lacks_is_refused(alice_client, project, images):
    response = submit(
        alice_client, project, composer_post(images[:1], model="seedance2-fast", resolution="1080p")
    )
    assert response.status_code == 400
    assert "Seedance 2.0 Fast is made at 480p, 720p" in response.content.decode()
    assert not Generation.objects.exists() and not LedgerEntry.objects.exists()


def test_the_upscale_only_from_720p_on_the_seed_models(alice_client, project, images):
    html = check(
        alice_client, project, composer_post(images[:1], resolution="480p", upscale_4k="on")
    ).content.decode()
    assert "Upscale to 4K starts from 720p" in html
    html = check(
        alice_client, project, composer_post(images[:1], model="seedance2-5", upscale_4k="on")
    ).content.decode()
    assert "offered at 720p on Seedance 2.0 and 2.0 Fast only" in html


def test_the_options_and_the_seed_are_stored(alice_client, project, images):
    data = composer_post(
        images[:1], resolution="480p", generate_audio=False, high_bitrate="on", seed="4294967295"
    )
    assert submit(alice_client, project, data).status_code == 200
    generation = Generation.objects.get()
    assert generation.resolution == "480p"
    assert generation.generate_audio is False and generation.high_bitrate is True
    assert generation.seed_requested == 4294967295
    assert generation.request_payload["inputs"]["seed"] == 4294967295
    assert generation.credits_estimated == Decimal(75)


@pytest.mark.parametrize("seed", ["-1", "4294967296", "12.5", "abc"])
def test_a_seed_out_of_range_is_refused(alice_client, project, images, seed):
    response = submit(alice_client, project, composer_post(images[:1], seed=seed))
    assert response.status_code == 422
    assert "A seed is a whole number from 0 to 4294967295, or blank." in response.content.decode()
    assert not Generation.objects.exists()


def test_seedance_25_takes_20_images_and_30_seconds(alice, alice_client, team, project):
    twenty = [make_asset(alice, team, name=f"still {n}") for n in range(20)]
    html = check(
        alice_client, project, composer_post(twenty, model="seedance2-5", duration="30")
    ).content.decode()
    assert "takes at most" not in html and "makes videos of" not in html
    assert "<strong>1,770 credits</strong>" in html  # 30 s at 59 credits/s
    html = check(alice_client, project, composer_post(twenty)).content.decode()
    assert "You chose 20 images; Seedance 2.0 takes at most 9." in html
    html = check(alice_client, project, composer_post(twenty[:1], duration="30")).content.decode()
    assert "Seedance 2.0 makes videos of 4 to 15 s." in html


def test_the_quote_lock_refuses_a_changed_price_and_takes_the_confirmation(
    alice_client, project, images
):
    data = composer_post(images[:1])  # the price seen: 200 credits
    version = PriceVersion.objects.in_effect()
    rates = dict(version.model_rates)
    rates["seedance-20"] = {
        **rates["seedance-20"],
        "per_second": {**rates["seedance-20"]["per_second"], "720p": "50"},
    }
    PriceVersion.objects.create(
        effective_from=timezone.now() - dt.timedelta(seconds=1),
        dollars_per_credit=version.dollars_per_credit,
        model_rates=rates,
    )
    response = submit(alice_client, project, data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "200 credits then, <strong>250 credits</strong> now" in html
    assert 'data-testid="quote-confirm"' in html and "Generate for 250 credits" in html
    assert not Generation.objects.exists() and not LedgerEntry.objects.exists()
    confirmed = submit(alice_client, project, {**data, "quote": token_in(html)})
    assert confirmed.status_code == 200
    assert Generation.objects.get().credits_estimated == Decimal(250)


def test_a_stale_quote_of_other_terms_is_a_409(alice_client, project, images):
    seen = composer_post(images[:1], duration="5")["quote"]
    response = submit(alice_client, project, composer_post(images[:1], duration="8", quote=seen))
    assert response.status_code == 409
    assert "<strong>320 credits</strong> now" in response.content.decode()
    assert not Generation.objects.exists()


def test_a_missing_quote_is_a_409_with_the_price(alice_client, project, images):
    response = submit(alice_client, project, composer_post(images[:1], quote=None), htmx=False)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Check the price first: <strong>200 credits</strong>" in html
    assert not Generation.objects.exists()
    assert submit(alice_client, project, composer_post(images[:1], quote=token_in(html)))


@pytest.mark.parametrize("forged", ["x", "e30:1tPqZx:forged", "a" * 1999])
def test_a_forged_quote_is_a_400(alice_client, project, images, forged):
    response = submit(alice_client, project, composer_post(images[:1], quote=forged))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This price could not be verified" in html
    assert 'name="quote" value="' in html  # a fresh one, to Generate again
    assert not Generation.objects.exists()


def test_a_hidden_model_is_not_offered_and_refused(alice_client, project, images, team):
    ModelAvailability.objects.set_off(["seedance2-5"], team=team)
    page = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'value="seedance2-fast"' in page and 'value="seedance2-5"' not in page
    response = submit(alice_client, project, composer_post(images[:1], model="seedance2-5"))
    assert response.status_code == 400
    assert "Seedance 2.5 is not offered in this team" in response.content.decode()
    assert not Generation.objects.exists()


def test_a_model_off_for_the_site_is_refused_in_every_team(alice_client, project, images):
    ModelAvailability.objects.set_off(["seedance-20"])
    response = submit(alice_client, project, composer_post(images[:1]))
    assert response.status_code == 400
    page = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'value="seedance-20"' not in page
    # The project's default model is off: the composer starts from the first offered.
    assert 'value="seedance2-fast" id="id_model_0" checked' in page


def test_team_admins_hide_models_audited(alice_client, bob_client, team):
    url = reverse("team_models")
    response = alice_client.post(url, {"scope": "team", "team-off": ["seedance2.0-mini"]})
    assert response.status_code == 302
    assert ModelAvailability.objects.hidden_for(team) == {"seedance2.0-mini"}
    entry = AuditEntry.objects.get(subject="Models")
    assert entry.new_value == "Not offered: Seedance 2.0 Mini"
    assert entry.old_value == "Every model offered" and entry.team == team
    # Members don't; nor does a team admin for the whole site.
    assert bob_client.post(url, {"scope": "team", "team-off": []}).status_code in (403, 404)
    site = alice_client.post(url, {"scope": "site", "site-off": ["seedance-20"]})
    assert site.status_code == 404 and not ModelAvailability.objects.site_disabled()
    alice_client.post(url, {"scope": "team", "team-off": []})
    assert ModelAvailability.objects.hidden_for(team) == set()


def test_rerun_keeps_the_options(alice_client, project, images):
    data = composer_post(images[:1], resolution="480p", generate_audio=False, seed="7")
    submit(alice_client, project, data)
    first = Generation.objects.get()
    response = alice_client.post(
        reverse("generation_rerun", args=[first.pk]), {"idempotency_key": "again"}, headers=HTMX
    )
    assert response.status_code == 200
    again = Generation.objects.exclude(pk=first.pk).get()
    assert (again.resolution, again.generate_audio, again.seed_requested) == ("480p", False, 7)


def test_the_card_and_the_video_page_show_resolution_and_seed(alice_client, project, images):
    submit(alice_client, project, composer_post(images[:1], resolution="1080p", seed="42"))
    generation = Generation.objects.get()
    Generation.objects.filter(pk=generation.pk).update(seed=42)
    page = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert 'data-testid="card-resolution">1080p<' in page and "seed 42" in page
    assert 'data-reuse-seed="42"' in page
    video = alice_client.get(reverse("generation_detail", args=[generation.pk])).content.decode()
    assert 'data-testid="generation-resolution">1080p<' in video
    assert "?seed=42#composer" in video


def test_project_settings_offer_the_models_resolutions(alice_client, project):
    url = reverse("project_settings", args=[project.pk])
    fields = {"name": "Pilot", "default_duration": "5", "default_aspect_ratio": "16:9"}
    response = alice_client.post(
        url, {**fields, "default_model": "seedance-20", "default_resolution": "1080p"}
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.default_resolution == "1080p"
    page = alice_client.get(reverse("project_detail", args=[project.pk])).content.decode()
    assert '<option value="1080p" selected>' in page
    refused = alice_client.post(
        url, {**fields, "default_model": "seedance2-fast", "default_resolution": "1080p"}
    )
    assert refused.status_code == 200 and b"Select a valid choice" in refused.content


def test_the_checks_token_is_what_the_submit_takes(alice_client, project, images, video):
    data = composer_post([images[0], video], prompt="@image1 moves like @video1", quote=None)
    html = check(alice_client, project, data).content.decode()
    assert "<strong>240 credits</strong>" in html  # 5 s at the reference-video tier, 48/s
    response = submit(alice_client, project, {**data, "quote": token_in(html)})
    assert response.status_code == 200
    assert Generation.objects.get().credits_estimated == Decimal(240)


def test_a_shot_without_a_price_is_refused_not_priced_at_another_rate(
    alice_client, project, images
):
    PriceVersion.from_rates(
        pricing.SEED_RATES, effective_from=timezone.now() - dt.timedelta(seconds=1)
    ).save()
    html = check(alice_client, project, composer_post(images[:1], resolution="1080p")).content
    assert b"has no price" in html and b'data-testid="composer-price"' not in html
    response = submit(alice_client, project, composer_post(images[:1], resolution="1080p"))
    assert response.status_code == 400 and b"has no price" in response.content
    assert not Generation.objects.exists() and not LedgerEntry.objects.exists()
