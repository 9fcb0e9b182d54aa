"""The composer's live check: one endpoint, one partial, every rule and the price."""

import pytest
from django.urls import reverse

from projects.models.credits import set_budget
from tests.generations.composer_fixtures import *  # noqa: F403 (fixtures)
from tests.generations.composer_fixtures import composer_post
from tests.library.conftest import make_asset, make_character

pytestmark = pytest.mark.django_db


def check(client, project, data):
    return client.post(
        reverse("composer_check", args=[project.pk]), data, headers={"HX-Request": "true"}
    )


def test_it_prices_5_seconds_standard_at_200_credits(alice_client, project, images):
    response = check(alice_client, project, composer_post(images[:1]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "200 credits</strong> ($1.00)" in html
    assert "4K would add 140" in html
    assert 'data-testid="composer-errors"' not in html
    assert "disabled" not in html.split('data-testid="composer-submit"')[1].split(">")[0]


def test_it_prices_4k_at_340_credits(alice_client, project, images):
    response = check(alice_client, project, composer_post(images[:1], upscale_4k="on"))
    assert "340 credits</strong> ($1.70)" in response.content.decode()
    assert "including 140 for 4K" in response.content.decode()


def test_it_renders_only_the_checks_partial(alice_client, project, images):
    html = check(alice_client, project, composer_post(images[:1])).content.decode()
    assert html.lstrip().startswith('<div id="composer-checks"')
    assert "<html" not in html


def test_it_compiles_handles_and_names_the_primary(alice_client, project, mira):
    data = composer_post(
        [f"{image.asset_id}:{mira.pk}" for image in mira.ordered_images],
        prompt="@mira dances",
    )
    html = check(alice_client, project, data).content.decode()
    assert '<p class="compiled-prompt" data-testid="compiled-prompt">@image1 dances</p>' in html
    # Her second image goes with @mira as another view of her: no warning about it.
    assert "isn&#x27;t mentioned" not in html
    assert 'data-testid="composer-errors"' not in html

    html = check(alice_client, project, {**data, "prompt": "@image1 dances"}).content.decode()
    assert "Image 2 isn&#x27;t mentioned" in html

    html = check(alice_client, project, {**data, "prompt": "a quiet street"}).content.decode()
    assert "Kinovi uses @image1 as the primary reference" in html


def test_it_takes_the_longest_handle(alice_client, alice, team, project):
    mira = make_character(team, alice, owner=alice, handle="mira", images=1)
    mira2 = make_character(team, alice, owner=alice, handle="mira2", images=1)
    refs = [
        f"{mira.ordered_images[0].asset_id}:{mira.pk}",
        f"{mira2.ordered_images[0].asset_id}:{mira2.pk}",
    ]
    html = check(alice_client, project, composer_post(refs, prompt="@mira2 meets @mira")).content
    assert b"@image2 meets @image1" in html


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("", "Describe the video you want"),
        ("@image3 walks", "The prompt mentions @image3, but there are only 2 images."),
        ("@nobody walks", "The prompt mentions @nobody, but no reference"),
        ("x" * 4001, "The prompt is 4,001 characters long; Seedance 2.0 takes at most 4,000."),
    ],
)
def test_it_reports_prompt_problems_and_disables_submit(
    alice_client, project, images, prompt, message
):
    html = check(alice_client, project, composer_post(images, prompt=prompt)).content.decode()
    assert message.replace("'", "&#x27;") in html
    assert 'data-testid="composer-errors"' in html
    submit = html.split('data-testid="composer-submit"')[1].split(">")[0]
    assert "disabled" in submit


def test_it_counts_the_prompt(alice_client, project, images):
    html = check(alice_client, project, composer_post(images, prompt="@image1 " + "a" * 92)).content
    assert b"100 / 4000 characters" in html


def test_it_enforces_the_seed_counts_and_lengths(alice_client, alice, team, project, audio):
    ten = [make_asset(alice, team) for _ in range(10)]
    html = check(alice_client, project, composer_post(ten)).content.decode()
    assert "You chose 10 images; Seedance 2.0 takes at most 9." in html

    only_audio = check(alice_client, project, composer_post([audio], prompt="music")).content
    assert b"audio can&#x27;t be the only reference" in only_audio

    long_video = make_asset(
        alice,
        team,
        kind="video",
        name="long",
        mime_type="video/mp4",
        duration=16.0,
        url="http://testserver/media/refs/long.mp4",
    )
    html = check(alice_client, project, composer_post([long_video], prompt="@video1")).content
    assert b"Seedance 2.0 takes reference videos of at most 15 s" in html


def test_it_prices_a_video_reference(alice_client, project, video):
    html = check(alice_client, project, composer_post([video], prompt="@video1 moves")).content
    assert b"credits</strong>" in html


def test_it_shows_the_budget_left_after_and_the_soft_warning(
    alice_client, alice, team, project, images
):
    set_budget(
        team=team,
        user=alice,
        period="month",
        hard_limit=230,
        soft_limit_percent=50,
        actor=alice,
    )
    html = check(alice_client, project, composer_post(images[:1])).content.decode()
    assert "credits left after this video" in html
    assert ": 30 credits left after this video" in html
    assert "warning level" in html
    assert 'data-testid="soft-limit-warning"' not in html  # not crossed yet: 0 spent

    submit = reverse("generation_submit", args=[project.pk])
    alice_client.post(submit, composer_post(images[:1]), headers={"HX-Request": "true"})
    html = check(alice_client, project, composer_post(images[:1])).content.decode()
    assert 'data-testid="soft-limit-warning"' in html
    assert "past its 115-credit warning mark" in html


def test_it_blocks_past_the_hard_limit(alice_client, alice, team, project, images):
    set_budget(team=team, user=alice, period="month", hard_limit=100, actor=alice)
    html = check(alice_client, project, composer_post(images[:1])).content.decode()
    assert 'data-testid="composer-blocked"' in html
    assert "This video costs 200 credits" in html
    assert "disabled" in html.split('data-testid="composer-submit"')[1].split(">")[0]


@pytest.mark.parametrize(
    "references",
    [["not-a-number"], ["999999"], ["1:999999"], ["9" * 40], [str(n) for n in range(40)]],
)
def test_it_refuses_hostile_references_with_a_message(alice_client, project, images, references):
    html = check(alice_client, project, composer_post(references)).content.decode()
    assert 'data-testid="composer-errors"' in html


def test_it_refuses_a_teammates_private_file(alice_client, bob, team, project):
    private = make_asset(bob, team)
    html = check(alice_client, project, composer_post([private])).content.decode()
    assert "no longer in your library" in html


def test_it_accepts_a_teammates_shared_file(alice_client, bob, team, project):
    shared = make_asset(bob, team, shared=True)
    html = check(alice_client, project, composer_post([shared])).content.decode()
    assert 'data-testid="composer-errors"' not in html
