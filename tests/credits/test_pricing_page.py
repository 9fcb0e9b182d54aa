"""The pricing page: the rates in effect, the seed's table, adding a version."""

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from projects.kinovi.pricing import MODEL_LABELS
from projects.models import AuditEntry, PriceVersion
from tests.kinovi.test_pricing import SEED_TABLE

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
    assert PriceVersion.objects.count() == 1


def _version_form(moment):
    return {
        "effective_from": moment.strftime("%Y-%m-%dT%H:%M"),
        "dollars_per_credit": "0.005",
        "note": "Invoice of November",
        "seedance-20__credits_per_second": "40",
        "seedance-20__upscale_4k_credits_per_second": "28",
        "seedance-20__video_reference_credits_per_second": "8",
        "seedance2-fast__credits_per_second": "28",
        "seedance2-fast__upscale_4k_credits_per_second": "28",
        "seedance2-fast__video_reference_credits_per_second": "6",
    }


def test_staff_add_a_version_in_the_future(staff_client, staff):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 302
    version = PriceVersion.objects.order_by("-effective_from").first()
    assert version.effective_from == moment
    assert version.rates.for_model("seedance-20").video_reference_credits_per_second == 8
    assert version.created_by == staff
    assert AuditEntry.objects.get().action == AuditEntry.Action.PRICE_VERSION_ADDED
    assert b"scheduled" in staff_client.get(reverse("pricing")).content


def test_a_second_version_at_the_same_moment_is_refused(staff_client):
    moment = (timezone.now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
    assert staff_client.post(reverse("pricing"), _version_form(moment)).status_code == 302
    response = staff_client.post(reverse("pricing"), _version_form(moment))
    assert response.status_code == 400
    assert b"already takes effect at that moment" in response.content
    assert PriceVersion.objects.count() == 2


def test_a_version_in_the_past_is_refused(staff_client):
    response = staff_client.post(
        reverse("pricing"), _version_form(timezone.now() - dt.timedelta(hours=1))
    )
    assert response.status_code == 400
    assert b"never change retroactively" in response.content
    assert PriceVersion.objects.count() == 1


def test_bad_rates_are_refused(staff_client):
    form = _version_form(timezone.now() + dt.timedelta(days=1))
    form["seedance-20__credits_per_second"] = "-1"
    form["dollars_per_credit"] = "abc"
    response = staff_client.post(reverse("pricing"), form)
    assert response.status_code == 400
    assert PriceVersion.objects.count() == 1
