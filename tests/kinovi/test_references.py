import re

from hypothesis import given
from hypothesis import strategies as st

from projects.kinovi.references import (
    Kind,
    Slot,
    check_mentions,
    find_handles,
    find_mentions,
    rewrite_handles,
    slots_for,
    validate_handle,
)

IMAGE, VIDEO, AUDIO = Kind.IMAGE, Kind.VIDEO, Kind.AUDIO


def tokens(prompt):
    return [mention.slot.token for mention in find_mentions(prompt)]


def test_it_finds_positional_mentions_case_insensitively():
    prompt = "@Image1 dances like @VIDEO2 to @audio1."
    assert tokens(prompt) == ["@image1", "@video2", "@audio1"]
    assert [m.text for m in find_mentions(prompt)] == ["@Image1", "@VIDEO2", "@audio1"]


def test_it_needs_a_boundary_on_both_sides():
    assert tokens("email@image1.com") == []
    assert tokens("@image1x and @image12") == ["@image12"]
    assert tokens("(@image1) @image2, @image3-style") == ["@image1", "@image2", "@image3"]
    assert tokens("é@image1 @image1é") == []


def test_it_reads_only_ascii_names_and_digits():
    assert tokens("@\u0131mage1 @image\u0661") == []  # dotless i, Arabic-Indic one


def test_it_counts_images_and_videos_separately():
    assert slots_for([VIDEO, IMAGE, AUDIO, IMAGE, VIDEO]) == [
        Slot(VIDEO, 1),
        Slot(IMAGE, 1),
        Slot(AUDIO, 1),
        Slot(IMAGE, 2),
        Slot(VIDEO, 2),
    ]


def test_it_reports_unknown_positions():
    report = check_mentions("@image4 with @video1 and @image0", [IMAGE, IMAGE, IMAGE])
    assert [m.slot.token for m in report.unknown] == ["@image4", "@video1", "@image0"]


def test_it_warns_about_unmentioned_references():
    report = check_mentions("@image2 sings @audio1", [IMAGE, IMAGE, VIDEO, AUDIO])
    assert report.unknown == []
    assert report.unmentioned == [Slot(IMAGE, 1), Slot(VIDEO, 1)]
    assert report.primary is None


def test_it_makes_the_first_reference_primary_without_mentions():
    report = check_mentions("A sunset", [AUDIO, VIDEO, IMAGE])
    assert report.primary == Slot(VIDEO, 1)
    assert report.unmentioned == [Slot(AUDIO, 1), Slot(IMAGE, 1)]


def test_it_makes_audio_primary_only_without_images_or_videos():
    assert check_mentions("A sunset", [AUDIO]).primary == Slot(AUDIO, 1)
    assert check_mentions("A sunset", []).primary is None


def test_it_rewrites_handles_to_positions():
    handles = {"mira": Slot(IMAGE, 2), "@Bob-2": Slot(VIDEO, 1)}
    rewrite = rewrite_handles("@Mira meets @bob-2, then @mira. @mira-", handles)
    assert rewrite.prompt == "@image2 meets @video1, then @image2. @image2-"
    assert rewrite.unknown_handles == []


def test_it_reports_unknown_handles_once_and_leaves_them():
    rewrite = rewrite_handles("@mira and @ghost and @Ghost", {})
    assert rewrite.prompt == "@mira and @ghost and @Ghost"
    assert rewrite.unknown_handles == ["mira", "ghost"]


def test_it_never_takes_positional_tokens_or_emails_for_handles():
    assert [m.handle for m in find_handles("@image1 @image1x me@mira.com @video2-x @imagery")] == [
        "imagery"
    ]


def test_it_validates_handles():
    assert validate_handle("mira") is None
    assert validate_handle("mira_2-b") is None
    assert validate_handle("image") is None
    for bad in ["", "Mira", "2mira", "mira-", "mi ra", "mïra", "x" * 41]:
        assert validate_handle(bad), bad
    for positional in ["image3", "video1", "audio2", "image3d"]:
        assert "image, video or audio" in validate_handle(positional)


handle_strategy = st.from_regex(r"[a-z][a-z0-9_-]{0,10}[a-z0-9]", fullmatch=True).filter(
    lambda handle: validate_handle(handle) is None
)
# Prompts made of the pieces mentions are made of, so that mentions actually occur.
prompt_text = st.lists(
    st.sampled_from([*"@ ._-,xé1290aioIVA", "image", "video", "audio", "mira", "@image1"]),
    max_size=30,
).map("".join)


@given(prompt=st.one_of(st.text(max_size=80), prompt_text), kinds=st.lists(st.sampled_from(Kind)))
def test_it_reports_only_real_problems(prompt, kinds):
    report = check_mentions(prompt, kinds)
    slots = slots_for(kinds)
    for mention in report.unknown:
        assert mention.slot not in slots
        assert re.fullmatch(r"@(image|video|audio)[0-9]+", mention.text, re.I)
        assert prompt[mention.start : mention.end] == mention.text
    mentioned = {m.slot for m in report.mentions}
    for slot in report.unmentioned:
        assert slot in slots and slot not in mentioned


@given(
    prompt=prompt_text,
    handles=st.dictionaries(
        handle_strategy, st.sampled_from(slots_for([IMAGE, IMAGE, VIDEO, AUDIO])), max_size=4
    ),
)
def test_it_rewrites_known_handles_to_known_positions_only(prompt, handles):
    known = set(handles.values())
    original = {m.slot for m in find_mentions(prompt)}
    rewrite = rewrite_handles(prompt, handles)
    for mention in find_mentions(rewrite.prompt):
        assert mention.slot in known or mention.slot in original
    remaining = {m.handle for m in find_handles(rewrite.prompt)}
    assert remaining == set(rewrite.unknown_handles)
    assert not remaining & set(handles)


@given(
    handle=handle_strategy,
    before=st.sampled_from(["", " ", "(", "\n"]),
    after=st.sampled_from(["", " ", ".", ",", "-", "!"]),
)
def test_it_turns_every_valid_handle_mention_into_its_slot(handle, before, after):
    rewrite = rewrite_handles(f"{before}@{handle}{after}", {handle: Slot(VIDEO, 3)})
    assert rewrite.prompt == f"{before}@video3{after}"
