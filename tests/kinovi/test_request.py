import pytest
from hypothesis import given
from hypothesis import strategies as st

from projects.kinovi.references import Kind, Slot, find_mentions, slots_for
from projects.kinovi.request import (
    ASPECT_RATIOS,
    REQUEST_SHAPES,
    GenerationSpec,
    ReferenceMedia,
    build_request,
    parse_payload,
    resolve_kinds,
    validate,
)

IMAGE, VIDEO, AUDIO = Kind.IMAGE, Kind.VIDEO, Kind.AUDIO


def image(n=1, **fields):
    return ReferenceMedia(IMAGE, f"https://cdn.example.com/{n}.jpg", "image/jpeg", **fields)


def video(n=1, seconds=5.0, **fields):
    return ReferenceMedia(VIDEO, f"https://cdn.example.com/{n}.mp4", "video/mp4", seconds, **fields)


def audio(n=1, seconds=4.0, **fields):
    return ReferenceMedia(
        AUDIO, f"https://cdn.example.com/{n}.mp3", "audio/mpeg", seconds, **fields
    )


def spec(prompt="@image1 walks on the beach", references=(), **fields):
    return GenerationSpec("seedance-20", prompt, list(references or [image()]), **fields)


def rules(built):
    return [problem.rule for problem in built.errors]


def test_it_builds_the_seed_example_with_its_resolution():
    built = build_request(
        spec("A person @image1 walking on the beach at sunset, cinematic lighting")
    )
    assert built.errors == []
    assert built.payload == {
        "model": "seedance-20",
        "inputs": {
            "urls": ["https://cdn.example.com/1.jpg"],
            "prompt": "A person @image1 walking on the beach at sunset, cinematic lighting",
            "duration": "5",
            "aspectRatio": "16:9",
            "mode": "reference",
            "outputResolution": "720p",
        },
    }


def test_it_builds_every_optional_field():
    built = build_request(
        GenerationSpec(
            "seedance2-fast",
            "  @image1 performs the moves from @video1 to @audio1  ",
            [audio(), image(), video()],
            duration=15,
            aspect_ratio="9:16",
            upscale_4k=True,
            callback_url="https://app.example.com/hooks/kinovi/abc",
        )
    )
    assert built.errors == [] and built.warnings == []
    assert built.payload == {
        "model": "seedance2-fast",
        "callBackUrl": "https://app.example.com/hooks/kinovi/abc",
        "inputs": {
            "urls": ["https://cdn.example.com/1.jpg", "https://cdn.example.com/1.mp4"],
            "audioUrls": ["https://cdn.example.com/1.mp3"],
            "prompt": "@image1 performs the moves from @video1 to @audio1",
            "duration": "15",
            "aspectRatio": "9:16",
            "mode": "reference",
            "outputResolution": "720p",
            "upscaleResolution": "4k",
        },
    }


def every_kind(**fields):
    return GenerationSpec(
        "seedance-20",
        "@image2 performs the moves from @video1 to @audio1",
        [audio(), image(1), video(), image(2)],
        **fields,
    )


def test_it_builds_the_typed_shape_of_kinovis_examples():
    built = build_request(every_kind(duration=6, resolution="1080p"), shape="typed")
    assert built.payload == {
        "model": "seedance-20",
        "inputs": {
            "imageUrls": ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"],
            "videoUrls": ["https://cdn.example.com/1.mp4"],
            "audioUrls": ["https://cdn.example.com/1.mp3"],
            "prompt": "@image2 performs the moves from @video1 to @audio1",
            "duration": 6,
            "aspectRatio": "16:9",
            "mode": "reference",
            "outputResolution": "1080p",
        },
    }


@pytest.mark.parametrize("shape", REQUEST_SHAPES)
def test_it_asks_for_the_4k_upscale_from_720p_in_each_shape(shape):
    # outputResolution "4k" is a native 4K render at its own price: never the upscale.
    inputs = build_request(every_kind(upscale_4k=True), shape=shape).payload["inputs"]
    assert (inputs["outputResolution"], inputs["upscaleResolution"]) == ("720p", "4k")
    native = build_request(every_kind(resolution="4k"), shape=shape).payload["inputs"]
    assert native["outputResolution"] == "4k" and "upscaleResolution" not in native


def test_it_leaves_out_empty_kinds_in_the_typed_shape():
    inputs = build_request(spec(), shape="typed").payload["inputs"]
    assert set(inputs) == {
        "imageUrls",
        "prompt",
        "duration",
        "aspectRatio",
        "mode",
        "outputResolution",
    }


def test_it_refuses_a_shape_it_does_not_know():
    with pytest.raises(ValueError, match="shape"):
        build_request(spec(), shape="flat")


@pytest.mark.parametrize("shape", REQUEST_SHAPES)
@pytest.mark.parametrize("upscale_4k", [False, True])
def test_it_reads_each_shape_back(shape, upscale_4k):
    original = every_kind(duration=9, upscale_4k=upscale_4k)
    parsed = parse_payload(build_request(original, shape=shape).payload)
    assert parsed.errors == [] and parsed.shape == shape
    assert parsed.output_resolution == "720p"
    spec_read = parsed.spec
    if shape == "urls":
        # `urls` doesn't say which entries are videos: the fetched bytes will.
        assert [ref.kind for ref in spec_read.references] == [None, None, None, AUDIO]
        spec_read = resolve_kinds(spec_read, [IMAGE, VIDEO, IMAGE])
    assert [(ref.kind, ref.url) for ref in spec_read.references] == [
        (IMAGE, "https://cdn.example.com/1.jpg"),
        (IMAGE, "https://cdn.example.com/2.jpg") if shape == "typed" else (VIDEO, VIDEO_URL),
        (VIDEO, VIDEO_URL) if shape == "typed" else (IMAGE, "https://cdn.example.com/2.jpg"),
        (AUDIO, "https://cdn.example.com/1.mp3"),
    ]
    assert (spec_read.duration, spec_read.upscale_4k) == (9, upscale_4k)
    assert validate(spec_read) == []


VIDEO_URL = "https://cdn.example.com/1.mp4"


def test_it_names_the_primary_reference_when_the_prompt_mentions_none():
    built = build_request(spec("A sunset", [audio(), video(), image()]))
    assert built.primary == Slot(VIDEO, 1)
    assert [p.field for p in built.warnings] == ["images", "audio"]
    assert build_request(spec("@image1 at sunset", [video(), image()])).primary is None


def test_it_keeps_the_chosen_order_of_images_and_videos():
    built = build_request(spec("@video1 then @image1", [video(7), image(3)]))
    assert built.payload["inputs"]["urls"] == [
        "https://cdn.example.com/7.mp4",
        "https://cdn.example.com/3.jpg",
    ]


def test_it_rewrites_handles_of_references():
    built = build_request(
        spec("@Mira hugs @bob", [image(1), image(2, handle="mira"), video(handle="bob")])
    )
    assert built.payload["inputs"]["prompt"] == "@image2 hugs @video1"
    assert [w.message for w in built.warnings] == [
        "Image 1 isn't mentioned in the prompt; write @image1 where it should be used, "
        "or Kinovi decides on its own how to use it."
    ]


def test_it_maps_a_shared_handle_to_its_first_reference():
    # A character's images all carry its handle; its primary image comes first.
    references = [image(1), image(2, handle="mira"), image(3, handle="mira"), video(handle="mira")]
    built = build_request(spec("@mira walks with @image1", references))
    assert built.prompt == "@image2 walks with @image1"
    references = [video(1, handle="mira"), image(1, handle="mira"), image(2, handle="mira")]
    assert build_request(spec("@mira walks", references)).prompt == "@video1 walks"
    # Audio comes after `urls` in request order, whatever its place in the list.
    references = [audio(1, handle="mira"), image(1, handle="mira")]
    assert build_request(spec("@mira sings", references)).prompt == "@image1 sings"


def test_it_counts_a_characters_other_images_as_mentioned_with_its_handle():
    references = [image(1, handle="mira"), image(2, handle="mira"), image(3)]
    built = build_request(spec("@mira walks", references))
    assert built.prompt == "@image1 walks"
    assert [w.message for w in built.warnings] == [
        "Image 3 isn't mentioned in the prompt; write @image3 where it should be used, "
        "or Kinovi decides on its own how to use it."
    ]
    # Without the handle in the prompt, her second image is unmentioned like any other.
    built = build_request(spec("@image1 walks", references))
    assert [w.message.split(" isn't")[0] for w in built.warnings] == ["Image 2", "Image 3"]


def test_it_rejects_unknown_handles():
    built = build_request(spec("@mira and @ghost", [image(handle="mira")]))
    assert built.payload is None
    assert [(p.field, p.message) for p in built.errors] == [
        ("prompt", "The prompt mentions @ghost, but no reference of this video is called that.")
    ]


def test_it_reports_every_problem_at_once():
    built = build_request(
        GenerationSpec(
            "seedance-20",
            "@image10 and @video1 and @audio2",
            [image(n) for n in range(10)] + [audio(1, 9), audio(2, 7)],
            duration=16,
            aspect_ratio="2:1",
            callback_url="ftp://x",
        )
    )
    assert built.payload is None
    assert rules(built) == [
        "unknown_position",
        "too_many_images",
        "audio_length",
        "duration",
        "aspect_ratio",
        "url",
    ]
    messages = [p.message for p in built.errors]
    assert "The prompt mentions @video1, but there are no videos." in messages
    assert "You chose 10 images; Seedance 2.0 takes at most 9." in messages
    assert (
        "The audio files are 16 s long together; "
        "Seedance 2.0 takes at most 15 s of audio in total." in messages
    )


def test_it_names_unknown_positions_in_words():
    built = build_request(
        spec("@image4 @video2 @audio1 @image4", [image(1), image(2), image(3), video()])
    )
    assert [p.message for p in built.errors] == [
        "The prompt mentions @image4, but there are only 3 images.",
        "The prompt mentions @video2, but there is only one video.",
        "The prompt mentions @audio1, but there are no audio files.",
    ]


def test_it_rejects_long_videos_wrong_formats_and_too_many_videos():
    references = [
        image(1),
        ReferenceMedia(IMAGE, "https://x.example/a.gif", "image/gif"),
        video(1, 16.2, label="dance.mp4"),
        video(2),
        video(3),
        ReferenceMedia(VIDEO, "https://x.example/b.mov", "video/quicktime", 3),
    ]
    built = build_request(spec("@image1", references))
    by_rule = {p.rule: p for p in built.errors}
    assert set(by_rule) == {"too_many_videos", "format", "video_length", "video_total_length"}
    assert by_rule["video_length"].field == "videos"
    assert by_rule["video_length"].message == (
        "Video 1 (dance.mp4) is 16.2 s long; "
        "Seedance 2.0 takes reference videos of at most 15 s each."
    )
    formats = [p.message for p in built.errors if p.rule == "format"]
    assert formats == [
        "Image 2 must be JPEG, PNG or WebP; it is 'image/gif'.",
        "Video 4 must be MP4; it is 'video/quicktime'.",
    ]


def test_it_limits_the_total_length_of_videos():
    # Each video is at most 15 s (seed) and all of them together too (Kinovi's errors).
    built = build_request(
        spec("@video1 @video2 @video3", [video(1, 10), video(2, 10), video(3, 10)])
    )
    assert [(p.field, p.rule, p.message) for p in built.errors] == [
        (
            "videos",
            "video_total_length",
            "The reference videos last 30.0 s together; "
            "Seedance 2.0 takes at most 15 s of video in total.",
        )
    ]
    assert build_request(spec("@video1 @video2 @video3", [video(1), video(2), video(3)])).ok
    assert build_request(spec("@video1 @video2", [video(1, 10), video(2, None)])).ok
    # A single long video is reported once, as too long itself.
    assert rules(build_request(spec("@video1", [video(1, 16)]))) == ["video_length"]


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 0.0, -3.0])
def test_it_rejects_lengths_that_are_not_real(seconds):
    built = build_request(spec("@video1 @audio1", [video(1, seconds), audio(1, seconds)]))
    assert rules(built) == ["length_unknown", "length_unknown"]
    assert "Video 1: its length could not be read." in [p.message for p in built.errors]


def test_it_accepts_common_audio_formats():
    for fmt in ["audio/wav", "mp3", ".m4a", "audio/x-aiff", "audio/ogg; codecs=opus"]:
        built = build_request(
            spec("@image1 @audio1", [image(), ReferenceMedia(AUDIO, "https://a/x", fmt, 3)])
        )
        assert built.ok, fmt
    built = build_request(
        spec("@image1 @audio1", [image(), ReferenceMedia(AUDIO, "https://a/x", "png", 3)])
    )
    assert rules(built) == ["format"]


def test_it_rejects_audio_as_the_only_reference_and_no_reference():
    assert rules(build_request(spec("@audio1", [audio()]))) == ["audio_only"]
    assert rules(build_request(GenerationSpec("seedance-20", "A sunset", []))) == ["no_reference"]


def test_it_rejects_blank_and_long_prompts():
    assert rules(build_request(spec("   \n"))) == ["prompt_blank"]
    built = build_request(spec("@image1 " + "x" * 3993))
    assert rules(built) == ["prompt_length"]
    assert built.errors[0].message == (
        "The prompt is 4,001 characters long; Seedance 2.0 takes at most 4,000."
    )
    assert build_request(spec("  @image1 " + "x" * 3992 + "  ")).ok


def test_it_counts_the_prompt_length_after_rewriting_handles():
    prompt = "@m " + "x" * 3995
    assert len(prompt) == 3998
    assert rules(build_request(spec(prompt, [image(handle="m")]))) == ["prompt_length"]


def test_it_rejects_durations_out_of_range_and_non_integers():
    for duration in [3, 16, 0, 5.5, True]:
        assert rules(build_request(spec(duration=duration))) == ["duration"], duration
    for duration in [4, 15]:
        assert build_request(spec(duration=duration)).ok


def test_it_accepts_every_aspect_ratio():
    for ratio in ASPECT_RATIOS:
        assert build_request(spec(aspect_ratio=ratio)).payload["inputs"]["aspectRatio"] == ratio


def test_it_rejects_urls_that_are_not_public_web_addresses():
    built = build_request(spec("@image1", [ReferenceMedia(IMAGE, "/media/a.png", "png")]))
    assert [(p.field, p.rule) for p in built.errors] == [("images", "url")]


def test_it_does_not_judge_a_reference_by_its_url():
    # An image at an address ending in .mp4, a video at a signed URL without extension.
    image_at_mp4 = ReferenceMedia(IMAGE, "https://cdn.example.com/still.mp4", "png")
    signed_video = ReferenceMedia(VIDEO, "https://cdn.example.com/v?sig=1", "mp4", 5.0)
    built = build_request(spec("@image1 and @video1", [image_at_mp4, signed_video]))
    parsed = parse_payload(built.payload)
    assert parsed.errors == [] and parsed.undecided == 2
    assert [ref.kind for ref in parsed.spec.references] == [None, None]
    resolved = resolve_kinds(parsed.spec, [IMAGE, VIDEO])
    assert validate(resolved) == []
    wrong = resolve_kinds(parsed.spec, [VIDEO, VIDEO])
    assert [p.rule for p in validate(wrong)] == ["unknown_position"]


def test_it_checks_what_it_can_before_the_kinds_are_known():
    def body(prompt, count):
        inputs = {"mode": "reference", "prompt": prompt, "urls": ["https://a/x"] * count}
        return {"model": "seedance-20", "inputs": inputs}

    assert parse_payload(body("@video3 and @image3", 3)).errors == []
    assert [p.message for p in parse_payload(body("@image4 @audio1", 3)).errors] == [
        "The prompt mentions @image4, but there are only 3 images and videos.",
        "The prompt mentions @audio1, but there are no audio files.",
    ]
    assert [p.rule for p in parse_payload(body("@image1", 13)).errors] == ["too_many_references"]
    assert parse_payload(body("@image1", 12)).errors == []


def test_it_reports_a_malformed_payload():
    parsed = parse_payload({"model": "seedance-20", "inputs": {"urls": "x", "duration": 5.0}})
    assert parsed.spec is None
    assert [p.message for p in parsed.errors] == [
        "inputs.mode must be 'reference'.",
        "inputs.prompt is required.",
        "inputs.urls must be a list of URLs.",
        'inputs.duration must be a whole number of seconds, like 5 or "5".',
    ]
    assert parse_payload([]).errors[0].field == "body"


def test_it_refuses_a_body_mixing_both_shapes():
    inputs = {"mode": "reference", "prompt": "x", "urls": [], "imageUrls": ["https://a/i"]}
    parsed = parse_payload({"model": "seedance-20", "inputs": inputs})
    assert [p.message for p in parsed.errors] == [
        "Send images and videos either in inputs.urls or in inputs.imageUrls and "
        "inputs.videoUrls, not both."
    ]


def test_it_ignores_fields_it_does_not_know_like_kinovi():
    inputs = {"mode": "reference", "prompt": "@image1", "imageUrls": ["https://a/i"]}
    parsed = parse_payload({"model": "seedance-20", "inputs": inputs | {"seed": 7, "x": []}})
    assert parsed.errors == [] and parsed.spec.references == [ReferenceMedia(IMAGE, "https://a/i")]


def test_it_bounds_the_duration_string_before_reading_it():
    def body(duration):
        return {
            "model": "seedance-20",
            "inputs": {"mode": "reference", "prompt": "x", "urls": [], "duration": duration},
        }

    # int() refuses strings over 4300 digits: that used to raise out of parse_payload.
    for duration in ["9" * 5000, "100", "015", ""]:
        parsed = parse_payload(body(duration))
        assert parsed.spec is None, duration
        assert [(p.field, p.rule) for p in parsed.errors] == [("duration", "shape")]
    assert parse_payload(body("05")).spec.duration == 5
    assert [p.rule for p in parse_payload(body("16")).errors] == ["no_reference", "duration"]


reference_strategy = st.builds(
    ReferenceMedia,
    kind=st.sampled_from(Kind),
    url=st.sampled_from(["https://cdn.example.com/a.png", "http://x/v.mp4", "nope", ""]),
    format=st.sampled_from(["image/png", "jpg", "mp4", "audio/mpeg", "gif", ""]),
    duration_seconds=st.one_of(st.none(), st.floats(0, 40)),
    handle=st.sampled_from(["", "", "mira", "bob"]),
)
spec_strategy = st.builds(
    GenerationSpec,
    model=st.sampled_from(["seedance-20", "seedance2-fast", "other"]),
    prompt=st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(["@image1", "@video2", "@audio1", "@mira", "@bob", " ", "x"])).map(
            "".join
        ),
    ),
    references=st.lists(reference_strategy, max_size=14),
    duration=st.integers(0, 20),
    aspect_ratio=st.sampled_from([*ASPECT_RATIOS, "2:1"]),
    upscale_4k=st.booleans(),
    callback_url=st.sampled_from(["", "https://app/x", "bad"]),
)


@given(spec_strategy, st.sampled_from(REQUEST_SHAPES))
def test_it_never_crashes_and_reports_only_real_problems(generation, shape):
    built = build_request(generation, shape=shape)
    references = generation.references
    kinds = [ref.kind for ref in references]
    for problem in built.errors:
        if problem.rule == "too_many_images":
            assert kinds.count(IMAGE) > 9
        if problem.rule == "too_many_videos":
            assert kinds.count(VIDEO) > 3
        if problem.rule == "too_many_audio":
            assert kinds.count(AUDIO) > 3
        if problem.rule == "video_length":
            assert any(r.kind == VIDEO and (r.duration_seconds or 0) > 15 for r in references)
        if problem.rule == "video_total_length":
            assert sum(r.duration_seconds or 0 for r in references if r.kind == VIDEO) > 15
        if problem.rule == "audio_length":
            assert sum(r.duration_seconds or 0 for r in references if r.kind == AUDIO) > 15
        if problem.rule == "duration":
            assert not 4 <= generation.duration <= 15
        if problem.rule == "model":
            assert generation.model == "other"
    if built.payload is not None:
        ordered = [r for r in references if r.kind != AUDIO] + [
            r for r in references if r.kind == AUDIO
        ]
        slots = set(slots_for([r.kind for r in ordered]))
        assert all(m.slot in slots for m in find_mentions(built.payload["inputs"]["prompt"]))
        # Kinovi's reading: first what the body tells, then what the fetched files tell.
        parsed = parse_payload(built.payload)
        assert parsed.errors == [] and parsed.shape == shape
        visual_kinds = [r.kind for r in ordered if r.kind != AUDIO]
        fetched = resolve_kinds(parsed.spec, visual_kinds if shape == "urls" else [])
        assert sorted(r.kind for r in fetched.references) == sorted(kinds)
        assert validate(fetched) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
inputs_strategy = st.fixed_dictionaries(
    {},
    optional={
        "urls": st.lists(
            st.sampled_from(["https://a/x.png", "https://a/v.mp4", "http://[", 3]), max_size=14
        )
        | json_values,
        "imageUrls": st.lists(st.just("https://a/i"), max_size=11) | json_values,
        "videoUrls": st.lists(st.just("https://a/v"), max_size=5) | json_values,
        "audioUrls": st.lists(st.just("https://a/s.mp3"), max_size=4) | json_values,
        "prompt": st.sampled_from(["@image1", "@video2 x", "", "@audio1"]) | json_values,
        "duration": st.sampled_from(["5", "15", "16", "٣", "-1", "00", 5, 16]) | json_values,
        "aspectRatio": st.sampled_from(["16:9", "2:1"]) | json_values,
        "mode": st.sampled_from(["reference", "keyframe"]) | json_values,
        "upscaleResolution": st.sampled_from(["4k", "8k"]) | json_values,
        "outputResolution": st.sampled_from(["720p", "4k", "8k", ""]) | json_values,
    },
)


@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"inputs": inputs_strategy},
            optional={"model": st.sampled_from(["seedance-20", "x"]), "callBackUrl": json_values},
        ),
    )
)
def test_it_reads_any_json_body_without_crashing(body):
    parsed = parse_payload(body)
    assert (parsed.spec is None) == any(
        p.rule == "shape" or p.rule == "mode" for p in parsed.errors
    )
    if parsed.spec is not None and not parsed.errors:
        # Whatever the fetched files turn out to be, only rules about kinds can fail.
        for kind in (IMAGE, VIDEO):
            fetched = resolve_kinds(parsed.spec, [kind] * parsed.undecided)
            problems = {p.rule for p in build_request(fetched).errors}
            assert problems <= {"too_many_images", "too_many_videos", "unknown_position"}
