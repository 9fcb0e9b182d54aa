"""What the composer tests share: alice's project, her files, a character, a post."""

import pytest

from projects.forms.generations import QuoteTerms, reference_video_seconds
from projects.kinovi import pricing
from projects.models import PriceVersion, Project, ReferenceAsset
from tests.library.conftest import make_asset, make_character


@pytest.fixture
def project(alice, team):
    return Project.objects.create(team=team, owner=alice, name="Pilot")


@pytest.fixture
def images(alice, team):
    return [make_asset(alice, team, name=f"frame {n}") for n in (1, 2)]


@pytest.fixture
def video(alice, team):
    return make_asset(
        alice,
        team,
        kind="video",
        name="motion",
        mime_type="video/mp4",
        duration=4.0,
        url="http://testserver/media/refs/motion.mp4",
        thumbnail_url="",
    )


@pytest.fixture
def audio(alice, team):
    return make_asset(
        alice,
        team,
        kind="audio",
        name="theme",
        mime_type="audio/mpeg",
        duration=3.0,
        url="http://testserver/media/refs/theme.mp3",
        thumbnail_url="",
    )


@pytest.fixture
def mira(alice, team):
    return make_character(team, alice, owner=alice, handle="mira", images=2)


def composer_post(references, **fields) -> dict:
    """A composer form as the browser posts it: 5 s standard 16:9 unless told otherwise."""
    data = {
        "model": "seedance-20",
        "resolution": "720p",
        "duration": "5",
        "aspect_ratio": "16:9",
        "generate_audio": "on",
        "prompt": "@image1 walks through the rain",
        "idempotency_key": "key-1",
        "references": [str(getattr(ref, "pk", ref)) for ref in references],
    }
    data.update(fields)
    for box in ("upscale_4k", "generate_audio", "high_bitrate"):
        if data.get(box) is False:
            del data[box]
    if "quote" not in data:
        data["quote"] = quote_token(data)
    elif data["quote"] is None:
        del data["quote"]
    return data


def quote_token(data: dict) -> str:
    """The quote lock the live check would render for `data`, priced as the server
    prices it (the version in effect now); "" for a shot that has no price."""
    try:
        ids = [int(str(value).partition(":")[0]) for value in data.get("references", [])]
        assets = list(ReferenceAsset.objects.filter(pk__in=[i for i in ids if i < 2**62]))
    except (ValueError, TypeError):
        return ""
    seconds = reference_video_seconds(assets)
    has_video = any(asset.kind == "video" for asset in assets)
    version = PriceVersion.objects.in_effect()
    try:
        cost = pricing.price(
            data["model"],
            int(data["duration"]),
            bool(data.get("upscale_4k")),
            resolution=data.get("resolution", "720p"),
            has_video_reference=has_video,
            reference_video_seconds=seconds,
            rates=version.rates,
        )
    except (ValueError, KeyError, TypeError):
        return ""
    takes = str(data.get("takes") or "1")
    return QuoteTerms(
        model=data["model"],
        resolution=data.get("resolution", "720p"),
        duration=int(data["duration"]),
        upscale_4k=bool(data.get("upscale_4k")),
        has_video_reference=has_video,
        reference_video_seconds=None if seconds is None else f"{seconds:.3f}",
        takes=int(takes) if takes.isdigit() else 1,
        credits=str(cost.credits),
        price_version=version.pk,
    ).token()
