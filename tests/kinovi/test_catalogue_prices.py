"""Every price of the catalogue against the numbers of Kinovi's model READMEs
(kinovi-ai/kinovi-models, models/<id>/README.md), and the simulator charging the same.

The READMEs' dollar figures use Kinovi's own dollars per credit; the seed's $0.005 a
credit stands, so only credits are checked against them.
"""

import math
import re
from decimal import Decimal

import pytest

from projects.kinovi import catalogue
from projects.kinovi.pricing import SHIPPED_RATES, price
from projects.kinovi.references import Kind
from projects.kinovi.request import GenerationSpec, ReferenceMedia
from projects.kinovi.simulator import charged_credits, reserved_credits

D = Decimal
# The READMEs' pricing tables: credits per second (without, with a reference video).
README_RATES = {
    ("seedance-20", "480p"): (D("15"), D("19")),
    ("seedance-20", "720p"): (D("40"), D("48")),
    ("seedance-20", "1080p"): (D("90"), D("108")),
    ("seedance-20", "4k"): (D("200"), D("240")),
    ("seedance2-fast", "480p"): (D("14"), D("18")),
    ("seedance2-fast", "720p"): (D("28"), D("34")),
    ("seedance2-5", "480p"): (D("26"), D("16")),
    ("seedance2-5", "720p"): (D("59"), D("35")),
    ("seedance2-5", "1080p"): (D("143.4"), D("85.68")),
    ("seedance2.0-mini", "480p"): (D("7.5"), D("9.5")),
    ("seedance2.0-mini", "720p"): (D("20"), D("24")),
}
# The seed's 4K upscale: +28 credits/s on the seed's models, from 720p.
UPSCALE_PER_SECOND = {"seedance-20": D(28), "seedance2-fast": D(28)}
# The seed's table: (model, seconds, credits, 4K credits), at 720p without a reference video.
SEED_TABLE = [
    ("seedance-20", 4, 160, 272),
    ("seedance-20", 5, 200, 340),
    ("seedance-20", 8, 320, 544),
    ("seedance-20", 10, 400, 680),
    ("seedance-20", 15, 600, 1020),
    ("seedance2-fast", 4, 112, 224),
    ("seedance2-fast", 5, 140, 280),
    ("seedance2-fast", 8, 224, 448),
    ("seedance2-fast", 10, 280, 560),
    ("seedance2-fast", 15, 420, 840),
]
# The READMEs' worked examples: (model, seconds, resolution, reference video seconds or
# None without one, credits).
README_EXAMPLES = [
    ("seedance2-5", 5, "720p", None, 295),
    ("seedance2-5", 5, "720p", 10, 525),  # 15 s x 35
    ("seedance2.0-mini", 5, "720p", None, 100),
    ("seedance2.0-mini", 5, "720p", 5, 120),
    ("seedance2.0-mini", 10, "720p", 10, 240),  # video-edit matches its 10 s source
    ("seedance-20", 5, "720p", None, 200),
    ("seedance-20", 5, "720p", 5, 240),
]


def test_the_readme_tables_cover_every_resolution_of_the_catalogue():
    offered = {(m.id, res) for m in catalogue.CATALOGUE.values() for res in m.resolutions}
    assert offered == set(README_RATES)
    priced = {
        (model, res) for model, rate in SHIPPED_RATES.models.items() for res in rate.per_second
    }
    assert priced == set(README_RATES)


@pytest.mark.parametrize(("model", "resolution"), list(README_RATES))
@pytest.mark.parametrize("with_video", [False, True], ids=["plain", "reference-video"])
@pytest.mark.parametrize("seconds", [4, 5, 15])
def test_every_rate_is_the_readmes(model, resolution, with_video, seconds):
    rate = README_RATES[model, resolution][with_video]
    quoted = price(model, seconds, resolution=resolution, has_video_reference=with_video)
    assert quoted.credits_per_second == rate
    if with_video and catalogue.spec_for(model).settles_after_success:
        # Seedance 2.5: reference seconds too, the worst case (30) while unknown.
        assert (quoted.charged_seconds, quoted.worst_case) == (30 + seconds, True)
        assert quoted.credits == rate * (30 + seconds)
    else:
        assert quoted.credits == rate * seconds
    assert quoted.dollars == quoted.credits * D("0.005")


@pytest.mark.parametrize(("model", "resolution"), list(README_RATES))
@pytest.mark.parametrize("with_video", [False, True], ids=["plain", "reference-video"])
def test_the_4k_upscale_exists_only_on_the_seeds_models_from_720p(model, resolution, with_video):
    plain = price(model, 5, resolution=resolution, has_video_reference=with_video)
    if model in UPSCALE_PER_SECOND and resolution == "720p":
        upscaled = price(model, 5, True, resolution=resolution, has_video_reference=with_video)
        assert upscaled.credits == plain.credits + UPSCALE_PER_SECOND[model] * 5
    else:
        with pytest.raises(ValueError, match=r"4K upscale|Upscale to 4K"):
            price(model, 5, True, resolution=resolution, has_video_reference=with_video)


@pytest.mark.parametrize(("model", "seconds", "credits", "credits_4k"), SEED_TABLE)
def test_the_shipped_prices_keep_the_seeds_table(model, seconds, credits, credits_4k):
    assert price(model, seconds).credits == credits
    assert price(model, seconds).dollars == D(credits) * D("0.005")
    assert price(model, seconds, upscale_4k=True).credits == credits_4k


@pytest.mark.parametrize(
    ("model", "seconds", "resolution", "reference", "credits"), README_EXAMPLES
)
def test_the_readme_examples(model, seconds, resolution, reference, credits):
    quoted = price(
        model,
        seconds,
        resolution=resolution,
        has_video_reference=reference is not None,
        reference_video_seconds=reference,
    )
    assert quoted.credits == credits


def test_a_resolution_a_model_does_not_offer_has_no_price():
    mini_offers = re.escape("Seedance 2.0 Mini offers 480p, 720p, not '1080p'")
    with pytest.raises(ValueError, match=mini_offers):
        price("seedance2.0-mini", 5, resolution="1080p")
    with pytest.raises(ValueError, match=r"Seedance 2\.0 Fast"):
        price("seedance2-fast", 5, resolution="4k")


def shot(model, seconds, resolution, reference=None, upscale_4k=False):
    references = [ReferenceMedia(Kind.IMAGE, "https://cdn.example.com/1.png")]
    if reference is not None:
        references.append(ReferenceMedia(Kind.VIDEO, "https://cdn.example.com/1.mp4"))
    return GenerationSpec(
        model, "@image1", references, seconds, resolution=resolution, upscale_4k=upscale_4k
    )


@pytest.mark.parametrize(("model", "resolution"), list(README_RATES))
@pytest.mark.parametrize("reference", [None, 2.0, 12.4, 45.0])
@pytest.mark.parametrize("upscale_4k", [False, True])
def test_the_simulator_charges_what_the_app_prices(model, resolution, reference, upscale_4k):
    if upscale_4k and (model not in UPSCALE_PER_SECOND or resolution != "720p"):
        return  # refused above: no price
    spec = shot(model, 6, resolution, reference, upscale_4k)
    with_video = reference is not None
    quoted = price(
        model,
        6,
        upscale_4k,
        resolution=resolution,
        has_video_reference=with_video,
        reference_video_seconds=reference,
    )
    reserved = reserved_credits(spec, has_video_reference=with_video)
    charged = charged_credits(
        spec, has_video_reference=with_video, reference_video_seconds=reference or 0.0
    )
    assert charged == quoted.credits
    if quoted.settles_after_success:
        # Kinovi reserves the length times rate, and settles on the reference seconds
        # (capped at 30, rounded up) plus the length.
        assert reserved == quoted.credits_per_second * 6
        assert charged == quoted.credits_per_second * (min(30, math.ceil(reference)) + 6)
    else:
        assert reserved == charged


def test_decimal_prices_stay_exact():
    assert reserved_credits(shot("seedance2-5", 5, "1080p", 0), has_video_reference=True) == D(
        "428.4"
    )
    assert price("seedance2.0-mini", 5, resolution="480p").credits == D("37.5")
