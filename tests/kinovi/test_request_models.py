"""Requests per model of the catalogue: limits, resolutions, shapes and options."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.kinovi import catalogue
from projects.kinovi.references import Kind
from projects.kinovi.request import (
    REQUEST_SHAPES,
    GenerationSpec,
    ReferenceMedia,
    build_request,
    parse_payload,
    resolve_kinds,
    validate,
)

IMAGE, VIDEO, AUDIO = Kind.IMAGE, Kind.VIDEO, Kind.AUDIO
V25, MINI, V20, FAST = "seedance2-5", "seedance2.0-mini", "seedance-20", "seedance2-fast"


def image(n=1):
    return ReferenceMedia(IMAGE, f"https://cdn.example.com/{n}.jpg", "image/jpeg")


def video(n=1, seconds=5.0):
    return ReferenceMedia(VIDEO, f"https://cdn.example.com/{n}.mp4", "video/mp4", seconds)


def audio(n=1, seconds=4.0):
    return ReferenceMedia(AUDIO, f"https://cdn.example.com/{n}.mp3", "audio/mpeg", seconds)


def shot(model, references=None, prompt="@image1 walks", **fields):
    return GenerationSpec(model, prompt, list(references or [image()]), **fields)


def problems(spec, shape="urls"):
    return [(p.field, p.rule, p.message) for p in build_request(spec, shape=shape).errors]


def rules(spec):
    return [rule for _, rule, _ in problems(spec)]


def test_seedance_25_takes_thirty_images_and_names_itself_past_them():
    assert rules(shot(V25, [image(n) for n in range(20)])) == []
    assert rules(shot(V25, [image(n) for n in range(30)])) == []
    assert problems(shot(V25, [image(n) for n in range(31)])) == [
        ("images", "too_many_images", "You chose 31 images; Seedance 2.5 takes at most 30.")
    ]
    # The 2.0 family keeps the seed's nine.
    for model in (V20, FAST, MINI):
        assert rules(shot(model, [image(n) for n in range(10)])) == ["too_many_images"], model


def test_seedance_25_takes_ten_videos_and_ten_audio_files_of_30_s():
    videos = [video(n, 3) for n in range(10)]
    sounds = [audio(n, 3) for n in range(10)]
    assert rules(shot(V25, [image(), *videos, *sounds], "@image1 @video1 @audio1")) == []
    assert rules(shot(V25, [image(), *videos, video(11, 2)], "@image1")) == [
        "too_many_videos",
        "video_total_length",
    ]
    assert rules(shot(V25, [image(), *sounds, audio(11, 1)], "@image1")) == [
        "too_many_audio",
        "audio_length",
    ]
    # One video of 20 s: fine for 2.5 (2-30 s each), too long for the 2.0 family.
    assert rules(shot(V25, [video(1, 20)], "@video1")) == []
    assert problems(shot(V20, [video(1, 20)], "@video1")) == [
        (
            "videos",
            "video_length",
            "Video 1 is 20 s long; Seedance 2.0 takes reference videos of at most 15 s each.",
        )
    ]
    assert problems(shot(V25, [video(1, 1.5)], "@video1")) == [
        (
            "videos",
            "video_length",
            "Video 1 is 1.5 s long; Seedance 2.5 takes reference videos of at least 2 s each.",
        )
    ]
    assert problems(shot(V25, [video(1, 20), video(2, 11)], "@video1 @video2"))[0][2] == (
        "The reference videos last 31.0 s together; Seedance 2.5 takes at most 30 s of video "
        "in total."
    )


@pytest.mark.parametrize(
    ("model", "shortest", "longest"), [(V20, 4, 15), (FAST, 4, 15), (V25, 4, 30), (MINI, 4, 15)]
)
def test_each_model_has_its_lengths(model, shortest, longest):
    for duration in (shortest, longest):
        assert rules(shot(model, duration=duration)) == [], duration
    for duration in (shortest - 1, longest + 1):
        assert rules(shot(model, duration=duration)) == ["duration"], duration
    label = catalogue.spec_for(model).label
    assert problems(shot(model, duration=longest + 1))[0][2] == (
        f"Choose a length of {shortest} to {longest} whole seconds: {label} makes no other."
    )


@pytest.mark.parametrize(("model", "limit"), [(V20, 4000), (V25, 30000), (MINI, 10000)])
def test_each_model_has_its_prompt_length(model, limit):
    assert rules(shot(model, prompt="@image1 " + "x" * (limit - 8))) == []
    too_long = problems(shot(model, prompt="@image1 " + "x" * (limit - 7)))
    label = catalogue.spec_for(model).label
    assert too_long == [
        (
            "prompt",
            "prompt_length",
            f"The prompt is {limit + 1:,} characters long; {label} takes at most {limit:,}.",
        )
    ]


@pytest.mark.parametrize(
    ("model", "offered"),
    [
        (V20, {"480p", "720p", "1080p", "4k"}),
        (FAST, {"480p", "720p"}),
        (V25, {"480p", "720p", "1080p"}),
        (MINI, {"480p", "720p"}),
    ],
)
def test_each_model_offers_its_resolutions(model, offered):
    for resolution in catalogue.RESOLUTIONS:
        found = rules(shot(model, resolution=resolution))
        assert found == ([] if resolution in offered else ["resolution"]), resolution


def test_mini_at_1080p_is_refused_in_words():
    assert problems(shot(MINI, resolution="1080p")) == [
        (
            "resolution",
            "resolution",
            "Seedance 2.0 Mini makes videos at 480p or 720p, not '1080p'.",
        )
    ]


def test_the_4k_upscale_is_the_seeds_models_from_720p():
    for model in (V20, FAST):
        assert rules(shot(model, upscale_4k=True)) == [], model
    for model in (V25, MINI):
        assert problems(shot(model, upscale_4k=True)) == [
            (
                "upscale",
                "upscale",
                f"{catalogue.spec_for(model).label} has no 4K upscale; leave it off.",
            )
        ]
    assert problems(shot(V20, upscale_4k=True, resolution="1080p")) == [
        (
            "upscale",
            "upscale",
            "Seedance 2.0's 4K upscale starts from 720p: choose 720p or choose native 4K, "
            "or leave the upscale off.",
        )
    ]
    assert rules(shot(FAST, upscale_4k=True, resolution="480p")) == ["upscale"]


@pytest.mark.parametrize("model", [V20, FAST, V25, MINI])
def test_audio_alone_is_refused_naming_the_model(model):
    label = catalogue.spec_for(model).label
    assert problems(shot(model, [audio()], "@audio1")) == [
        (
            "references",
            "audio_only",
            f"Add at least one image or video: audio can't be the only reference of {label}.",
        )
    ]


def test_an_unknown_model_is_reported_without_guessing_its_limits():
    spec = shot("seedance-99", [image(n) for n in range(40)], duration=99, resolution="8k")
    assert problems(spec) == [
        (
            "model",
            "model",
            "Choose a model: Seedance 2.0, Seedance 2.0 Fast, Seedance 2.5 or Seedance 2.0 Mini.",
        )
    ]


@pytest.mark.parametrize("seed", [True, -2, 4_294_967_296, 2.5])
def test_it_refuses_seeds_out_of_kinovis_range(seed):
    assert problems(shot(V20, seed=seed)) == [
        (
            "seed",
            "seed",
            "A seed is a whole number from 0 to 4,294,967,295; leave it blank for a random one.",
        )
    ]


# Request shapes ---------------------------------------------------------------------------


def test_the_seeds_models_follow_the_shape_setting():
    for model in (V20, FAST):
        urls = build_request(shot(model), shape="urls").payload["inputs"]
        typed = build_request(shot(model), shape="typed").payload["inputs"]
        assert (urls["urls"], urls["duration"]) == (["https://cdn.example.com/1.jpg"], "5")
        assert (typed["imageUrls"], typed["duration"]) == (["https://cdn.example.com/1.jpg"], 5)
        assert "urls" not in typed


@pytest.mark.parametrize("model", [V25, MINI])
@pytest.mark.parametrize("shape", REQUEST_SHAPES)
def test_the_typed_models_are_always_sent_typed(model, shape):
    spec = shot(model, [audio(), video(), image()], "@image1 @video1 @audio1", duration=7)
    assert build_request(spec, shape=shape).payload == {
        "model": model,
        "inputs": {
            "imageUrls": ["https://cdn.example.com/1.jpg"],
            "videoUrls": ["https://cdn.example.com/1.mp4"],
            "audioUrls": ["https://cdn.example.com/1.mp3"],
            "prompt": "@image1 @video1 @audio1",
            "duration": 7,
            "aspectRatio": "16:9",
            "mode": "reference",
            "outputResolution": "720p",
        },
    }


@pytest.mark.parametrize("shape", REQUEST_SHAPES)
def test_resolution_and_upscale_in_both_shapes(shape):
    def inputs(model, **fields):
        return build_request(shot(model, **fields), shape=shape).payload["inputs"]

    assert inputs(V20, resolution="1080p")["outputResolution"] == "1080p"
    assert inputs(V25, resolution="480p")["outputResolution"] == "480p"
    upscaled = inputs(FAST, upscale_4k=True)
    assert (upscaled["outputResolution"], upscaled["upscaleResolution"]) == ("720p", "4k")
    native = inputs(V20, resolution="4k")
    assert native["outputResolution"] == "4k" and "upscaleResolution" not in native


OPTIONS = ("generate_audio", "seed", "bitrate_mode")


@pytest.mark.parametrize("model", [V20, V25])
def test_options_appear_only_when_they_mean_something(model):
    def sent(**fields):
        inputs = build_request(shot(model, **fields)).payload["inputs"]
        return {name: inputs[name] for name in OPTIONS if name in inputs}

    assert sent() == {}
    assert sent(generate_audio=True, seed=None, high_bitrate=False) == {}
    assert sent(seed=-1) == {}  # Kinovi's "random"
    assert sent(generate_audio=False) == {"generate_audio": False}
    assert sent(seed=0) == {"seed": 0}
    assert sent(seed=4_294_967_295) == {"seed": 4_294_967_295}
    assert sent(high_bitrate=True) == {"bitrate_mode": "high"}
    assert sent(generate_audio=False, seed=7, high_bitrate=True) == {
        "generate_audio": False,
        "seed": 7,
        "bitrate_mode": "high",
    }


MODELS_AND_SHAPES = [(V20, "urls"), (V20, "typed"), (FAST, "urls"), (V25, "typed"), (MINI, "typed")]


@pytest.mark.parametrize(("model", "shape"), MODELS_AND_SHAPES)
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"resolution": "480p", "generate_audio": False, "seed": 123, "high_bitrate": True},
        {"upscale_4k": True, "seed": 0},
        {"resolution": "4k"},
    ],
)
def test_it_reads_every_field_back(model, shape, fields):
    spec_model = catalogue.spec_for(model)
    if fields.get("upscale_4k") and not spec_model.upscale_4k:
        return
    if fields.get("resolution", "720p") not in spec_model.resolutions:
        return
    original = shot(model, [image(), video()], "@image1 @video1", duration=6, **fields)
    parsed = parse_payload(build_request(original, shape=shape).payload)
    assert parsed.errors == [] and parsed.shape == shape
    read = parsed.spec
    if shape == "urls":
        read = resolve_kinds(read, [IMAGE, VIDEO])
    assert read == GenerationSpec(
        model,
        "@image1 @video1",
        [
            ReferenceMedia(IMAGE, "https://cdn.example.com/1.jpg"),
            ReferenceMedia(VIDEO, "https://cdn.example.com/1.mp4"),
        ],
        duration=6,
        **fields,
    )


def test_outputresolution_4k_reads_as_native_4k_not_the_upscale():
    body = build_request(shot(V20, resolution="4k"), shape="typed").payload
    parsed = parse_payload(body)
    assert (parsed.spec.resolution, parsed.spec.upscale_4k) == ("4k", False)
    body["inputs"]["upscaleResolution"] = "4k"  # the upscale on a native 4K render
    assert [p.rule for p in parse_payload(body).errors] == ["upscale"]


def test_it_reads_options_as_kinovi_types_them():
    def body(**options):
        inputs = {"mode": "reference", "prompt": "@image1", "imageUrls": ["https://a/i"]}
        return {"model": V25, "inputs": inputs | options}

    assert parse_payload(body(seed=-1)).spec.seed is None
    assert parse_payload(body()).spec.resolution == "720p"  # Kinovi's default
    for options, field in [
        ({"generate_audio": "no"}, "generate_audio"),
        ({"seed": "7"}, "seed"),
        ({"seed": True}, "seed"),
        ({"bitrate_mode": "low"}, "high_bitrate"),
        ({"outputResolution": "2k"}, "resolution"),
    ]:
        parsed = parse_payload(body(**options))
        assert parsed.spec is None, options
        assert [(p.field, p.rule) for p in parsed.errors] == [(field, "shape")], options
    assert [p.rule for p in parse_payload(body(seed=2**32)).errors] == ["seed"]
    assert [p.rule for p in parse_payload(body(outputResolution="1080p")).errors] == []
    mini = body(outputResolution="1080p") | {"model": MINI}
    assert [p.rule for p in parse_payload(mini).errors] == ["resolution"]


def test_a_typed_model_sent_urls_is_refused_rather_than_made_without_references():
    inputs = {"mode": "reference", "prompt": "@image1", "urls": ["https://a/i"]}
    parsed = parse_payload({"model": V25, "inputs": inputs})
    assert parsed.spec is None
    assert [p.message for p in parsed.errors] == [
        "Seedance 2.5 reads images and videos from inputs.imageUrls and inputs.videoUrls, "
        "not inputs.urls."
    ]
    # The seed's models read both.
    assert parse_payload({"model": V20, "inputs": inputs}).errors == []


reference_strategy = st.builds(
    ReferenceMedia,
    kind=st.sampled_from(Kind),
    url=st.just("https://cdn.example.com/a"),
    format=st.just(""),
    duration_seconds=st.one_of(st.none(), st.floats(0.5, 40)),
)
spec_strategy = st.builds(
    GenerationSpec,
    model=st.sampled_from(list(catalogue.CATALOGUE)),
    prompt=st.just("a shot"),
    references=st.lists(reference_strategy, max_size=45),
    duration=st.integers(0, 35),
    resolution=st.sampled_from(catalogue.RESOLUTIONS),
    upscale_4k=st.booleans(),
    seed=st.one_of(st.none(), st.integers(-3, 2**32 + 1)),
)


@given(spec_strategy)
def test_it_reports_a_limit_only_when_the_models_limit_is_broken(generation):
    model = catalogue.spec_for(generation.model)
    counts = {kind: [r.kind for r in generation.references].count(kind) for kind in Kind}
    lengths = {
        kind: [r.duration_seconds or 0 for r in generation.references if r.kind == kind]
        for kind in Kind
    }
    reported = {p.rule for p in validate(generation)}
    expected = {
        "too_many_images": counts[IMAGE] > model.max_images,
        "too_many_videos": counts[VIDEO] > model.max_videos,
        "too_many_audio": counts[AUDIO] > model.max_audio,
        "video_length": any(
            s and not model.video_min_seconds <= s <= model.video_max_seconds
            for s in lengths[VIDEO]
        ),
        "audio_length": sum(lengths[AUDIO]) > model.audio_total_max_seconds,
        "duration": generation.duration not in model.durations,
        "resolution": generation.resolution not in model.resolutions,
        "seed": generation.seed is not None and not -1 <= generation.seed <= 2**32 - 1,
    }
    for rule, broken in expected.items():
        assert (rule in reported) == broken, rule
    if "video_total_length" in reported:
        assert sum(lengths[VIDEO]) > model.video_total_max_seconds
    if "upscale" in reported:
        assert generation.upscale_4k
        assert not model.upscale_4k or generation.resolution != "720p"
