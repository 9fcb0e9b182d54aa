"""The pricing page: the rates in effect, the seed's table, adding a version."""

import datetime as dt
import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from projects.forms.credits import PriceVersionForm
from projects.kinovi import catalogue
from projects.kinovi.pricing import MODEL_LABELS, SHIPPED_RATES, plain_credits
from projects.models import AuditEntry, PriceVersion
from tests.kinovi.test_pricing import SEED_TABLE

# Migration 0003 writes the seed's version, 0013 the shipped one.
VERSIONS_AT_START = 2

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


def test_the_pricing_page_shows_the_seed_table(erin_client):
    response = erin_client.get(reverse("pricing"))
    html = response.content.decode()
    table = re.search(r'data-testid="duration-table".*?<tbody>(.*?)</tbody>', html, re.S)[1]
    rows = [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table)
    ]
    # 4, 5, 8, 10 and 15 s of both models, without and with 4K: the seed's table.
    assert rows == [
        [MODEL_LABELS[model], f"{s} s", f"{credits:,}", f"${dollars}", f"{c4k:,}", f"${d4k}"]
        for model, s, credits, dollars, c4k, d4k in SEED_TABLE
    ]
    assert 'data-testid="price-form"' not in html


def test_an_admin_cannot_add_a_version(erin_client):
    response = erin_client.post(reverse("pricing"), {})
    assert response.status_code == 403
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def _version_form(moment, rates=SHIPPED_RATES):
    """The price form filled in with `rates` (the shipped ones): a field per cell."""
    form = {
        "effective_from": moment.strftime("%Y-%m-%dT%H:%M"),
        "dollars_per_credit": str(rates.dollars_per_credit),
        "note": "Invoice of November",
    }
    for model, rate in rates.models.items():
        for resolution in rate.resolutions:
            form[PriceVersionForm.rate_name(model, resolution)] = plain_credits(
                rate.rate(resolution, has_video_reference=False)
            )
            form[PriceVersionForm.video_rate_name(model, resolution)] = plain_credits(
                rate.rate(resolution, has_video_reference=True)
            )
        if rate.upscale_4k_credits_per_second is not None:
            form[PriceVersionForm.upscale_name(model)] = plain_credits(
                rate.upscale_4k_credits_per_second
            )
    return form


def test_the_form_has_a_field_per_priced_cell_starting_at_the_prices_in_effect(staff_client):
    html = staff_client.get(reverse("pricing")).content.decode()
    cells = re.search(r'data-testid="price-cells".*?<tbody>(.*?)</tbody>', html, re.S)[1]
    lines = re.findall(r"<tr>(.*?)</tr>", cells, re.S)
    offered = [
        (spec.id, resolution)
        for spec in catalogue.CATALOGUE.values()
        for resolution in spec.resolutions
    ]
    assert len(lines) == len(offered) == 11
    inputs = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    expected = _version_form(timezone.now())
    for name, value in expected.items():
        if name in ("effective_from", "note"):
            continue
        assert Decimal(inputs[name]) == Decimal(value), name
    # 2.5 at 1080p with a reference video and the 4K upscale of 2.0 Fast are cells too.
    assert inputs["seedance2-5__1080p__with_reference_video"] == "85.68"
    assert inputs["seedance2-fast__upscale_4k"] == "28"
    assert inputs["dollars_per_credit"] == "0.005"
    assert "seedance2-5__upscale_4k" not in inputs


def test_a_new_version_prices_every_model_and_resolution(staff_client, staff):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    form = _version_form(moment)
    form["seedance2-5__1080p__with_reference_video"] = "90.125"
    form["seedance2.0-mini__480p"] = "8"
    assert staff_client.post(reverse("pricing"), form).status_code == 302
    rates = PriceVersion.objects.get(effective_from=moment).rates
    assert rates.for_model("seedance2-5").rate("1080p", has_video_reference=True) == Decimal(
        "90.125"
    )
    assert rates.for_model("seedance2.0-mini").rate("480p", has_video_reference=False) == 8
    assert rates.for_model("seedance2-5").upscale_4k_credits_per_second is None
    # Every other cell is the shipped one.
    for model, rate in SHIPPED_RATES.models.items():
        if model not in ("seedance2-5", "seedance2.0-mini"):
            assert rates.for_model(model) == rate
    audit = AuditEntry.objects.get(action=AuditEntry.Action.PRICE_VERSION_ADDED)
    assert audit.old_value == (
        "Seedance 2.5 1080p with a reference video 85.68/s; Seedance 2.0 Mini 480p 7.5/s"
    )
    assert audit.new_value == (
        "Seedance 2.5 1080p with a reference video 90.125/s; Seedance 2.0 Mini 480p 8/s"
    )


def test_a_cell_left_empty_is_refused(staff_client):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form["seedance-20__4k__with_reference_video"] = ""
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def test_more_than_three_decimals_is_refused(staff_client):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form["seedance2-5__720p"] = "59.0001"
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def test_staff_add_a_version_in_the_future(staff_client, staff):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 302
    version = PriceVersion.objects.order_by("-effective_from").first()
    assert version.effective_from == moment
    assert version.rates.for_model("seedance-20").video_reference_credits_per_second == 8
    assert version.rates == SHIPPED_RATES
    assert version.created_by == staff
    assert AuditEntry.objects.get().action == AuditEntry.Action.PRICE_VERSION_ADDED
    assert b"scheduled" in staff_client.get(reverse("pricing")).content


def test_a_second_version_at_the_same_moment_is_refused(staff_client):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    assert staff_client.post(reverse("pricing"), _version_form(moment)).status_code == 302
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 400
    assert b"already takes effect at that moment" in response.content
    assert PriceVersion.objects.count() == VERSIONS_AT_START + 1


def test_a_version_in_the_past_is_refused(staff_client):
    response = staff_client.post(
        reverse("pricing"), _version_form(timezone.now() - dt.timedelta(hours=1))
    )
    assert response.status_code == 400
    assert b"never change retroactively" in response.content
    assert PriceVersion.objects.count() == VERSIONS_AT_START


def test_bad_rates_are_refused(staff_client):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form["seedance-20__720p"] = "-1"
    form["dollars_per_credit"] = "abc"
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert PriceVersion.objects.count() == VERSIONS_AT_START
