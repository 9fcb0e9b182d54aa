"""What the library pages say: look-alikes told apart, limits from their one
definition, confirmations, and the refusals shown before anything is saved."""

import re

from django.urls import reverse

from projects import media
from projects.models import Character, Project, ReferenceAsset
from projects.models.library import MAX_CHARACTER_IMAGES, upload_limits
from tests.library.conftest import make_asset, make_character


def _card(html: str, asset) -> str:
    start = html.index(f'id="asset-{asset.pk}"')
    return html[start : html.index("</li>", start)]


def test_it_tells_look_alike_cards_apart(alice_client, bob_client, alice, bob, team):
    png = make_asset(alice, team, name="portrait", mime_type="image/png", shared=True)
    jpeg = make_asset(alice, team, name="portrait", mime_type="image/jpeg")
    bobs = make_asset(bob, team, name="portrait", mime_type="image/png", shared=True)

    html = alice_client.get("/library/").content.decode()
    assert "PNG image · 64\N{MULTIPLICATION SIGN}64" in _card(html, png)
    assert "Shared with team" in _card(html, png)
    assert "JPEG image · 64\N{MULTIPLICATION SIGN}64" in _card(html, jpeg)
    assert "Personal" in _card(html, jpeg)
    assert "Shared by bob" in _card(html, bobs)

    html = bob_client.get("/library/").content.decode()
    assert "Shared by alice" in _card(html, png)
    assert "Shared with team" in _card(html, bobs)
    assert f'id="asset-{jpeg.pk}"' not in html


def test_it_makes_each_asset_card_one_link(alice_client, alice, team):
    asset = make_asset(alice, team, name="portrait")
    card = _card(alice_client.get("/library/").content.decode(), asset)
    assert card.count("<a ") == 1
    assert f'href="/library/assets/{asset.pk}/"' in card


def test_it_tells_a_team_character_from_its_personal_copy(alice_client, alice, team):
    team_character = make_character(team, alice, owner=None)
    team_character.copy_to(owner=alice, user=alice)
    html = alice_client.get("/library/characters/").content.decode()
    assert re.search(r'class="badge badge-team">Team library<', html)
    assert re.search(r'class="badge">My library<', html)


def test_it_points_to_the_copy_that_already_exists_without_an_error(alice_client, alice, team):
    team_character = make_character(team, alice, owner=None)
    copy = team_character.copy_to(owner=alice, user=alice)
    response = alice_client.post(f"/library/characters/{team_character.pk}/copy/", follow=True)
    html = response.content.decode()
    message = re.search(r'<div class="message message-(\w+)"[^>]*>(.*?)</div>', html)
    assert message.group(1) == "info"
    assert "@mira already exists in your library" in message.group(2)
    assert f'<a href="/library/characters/{copy.pk}/">open that copy</a>' in message.group(2)


def test_it_shows_format_and_owner_in_the_image_picker(alice_client, alice, bob, team):
    make_asset(alice, team, name="portrait", mime_type="image/jpeg")
    make_asset(bob, team, name="portrait", mime_type="image/png", shared=True)
    html = alice_client.get("/library/characters/new/").content.decode()
    facts = re.findall(r'class="small choice-facts"[^>]*>([^<]+)<', html)
    assert sorted(facts) == ["JPEG · personal", "PNG · by bob"]


def test_it_says_before_saving_that_a_team_characters_images_are_shared(alice_client, alice, team):
    make_asset(alice, team)
    html = alice_client.get("/library/characters/new/").content.decode()
    note = re.search(r'<p class="notice team-share-note"[^>]*>(.*?)</p>', html, re.S)
    assert "shared with everyone in Acme Films" in note.group(1)
    # Shown by CSS when "Team library" is checked (tests/browser), and always
    # when editing a team character.
    team_character = make_character(team, alice, owner=None)
    edit = alice_client.get(f"/library/characters/{team_character.pk}/edit/")
    assert 'class="character-form is-team"' in edit.content.decode()


def test_it_disables_create_and_points_to_the_upload_without_images(alice_client):
    html = alice_client.get("/library/characters/new/").content.decode()
    assert re.search(
        r'<button type="submit" class="button primary" disabled aria-describedby="no-images">'
        r"Create character</button>",
        html,
    )
    assert re.search(r'id="no-images".*href="/library/"', html)


def test_it_enables_create_with_images(alice_client, alice, team):
    make_asset(alice, team)
    html = alice_client.get("/library/characters/new/").content.decode()
    assert '<button type="submit" class="button primary">Create character</button>' in html


def test_it_takes_accept_and_limits_from_their_definitions(alice_client, settings):
    settings.UPLOAD_MAX_VIDEO_MB = 123
    html = alice_client.get("/library/").content.decode()
    accept = re.search(r'type="file"[^>]*accept="([^"]+)"', html).group(1).split(",")
    for file_format in media.FORMATS.values():
        assert file_format.mime in accept
        assert f".{file_format.extension}" in accept
    rules = re.search(r'data-testid="upload-rules">(.*?)</span>', html).group(1)
    seconds = upload_limits().max_video_seconds
    assert f"MP4 videos up to {seconds:g} s and 123 MB" in rules
    assert "JPEG, PNG or WebP images up to 20 MB" in rules
    help_text = f"1 to {MAX_CHARACTER_IMAGES} images"
    assert help_text in alice_client.get("/library/characters/new/").content.decode()


def test_it_confirms_a_rename_in_the_title_breadcrumb_and_a_message(alice_client, alice, team):
    asset = make_asset(alice, team, name="old name")
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/",
        {"name": "new name", "tags": "", "shared": ""},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="panel" id="asset-info">')
    assert "<title>new name · Kinovi Web</title>" in html
    assert re.search(r'<span id="asset-crumb"[^>]*hx-swap-oob="true">new name</span>', html)
    assert re.search(r'<h2 id="delete-asset-title" hx-swap-oob="true">Delete “new name”\?', html)
    assert 'hx-swap-oob="beforeend:#messages"' in html
    assert "Saved “new name”." in html
    assert "old name" not in html


def test_it_confirms_a_rename_without_htmx_on_the_page(alice_client, alice, team):
    asset = make_asset(alice, team, name="old name")
    response = alice_client.post(
        f"/library/assets/{asset.pk}/edit/", {"name": "new name", "tags": ""}, follow=True
    )
    assert "Saved “new name”." in response.content.decode()


def test_it_confirms_a_new_character_on_the_page(alice_client, alice, team):
    asset = make_asset(alice, team)
    response = alice_client.post(
        "/library/characters/new/",
        {"name": "Mira", "handle": "mira", "library": "personal", "images": [asset.pk]},
        follow=True,
    )
    assert "@mira created." in response.content.decode()
    assert Character.objects.get().handle == "mira"


def test_it_sends_vary_hx_request_where_a_url_answers_a_page_or_a_part(alice_client, alice, team):
    asset = make_asset(alice, team)
    character = make_character(team, alice, owner=alice)
    for url in (
        "/library/",
        f"/library/assets/{asset.pk}/",
        f"/library/assets/{asset.pk}/edit/",
        "/library/characters/",
        "/library/characters/new/",
        f"/library/characters/{character.pk}/edit/",
    ):
        for headers in ({}, {"HX-Request": "true"}):
            vary = alice_client.get(url, headers=headers).get("Vary", "")
            assert "HX-Request" in vary, url


def test_it_deletes_without_an_htmx_answer_no_template_asks_for(alice_client, alice, team):
    asset = make_asset(alice, team)
    response = alice_client.post(
        f"/library/assets/{asset.pk}/delete/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 302
    assert "HX-Redirect" not in response
    assert not ReferenceAsset.objects.exists()
    character = make_character(team, alice, owner=alice)
    response = alice_client.post(
        f"/library/characters/{character.pk}/delete/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 302
    assert "HX-Redirect" not in response
    assert not Character.objects.exists()


def test_it_puts_the_share_checkbox_beside_its_label(alice_client, alice, team):
    asset = make_asset(alice, team)
    html = alice_client.get(f"/library/assets/{asset.pk}/edit/").content.decode()
    assert re.search(
        r'<label class="check" for="id_shared"><input type="checkbox" name="shared"[^>]*> '
        r"Share with my team</label>",
        html,
    )


def test_it_highlights_library_in_the_navigation(alice_client, alice, team):
    asset = make_asset(alice, team)
    for url in ("/library/", f"/library/assets/{asset.pk}/", "/library/characters/"):
        html = alice_client.get(url).content.decode()
        assert re.search(r'<a href="/library/" aria-current="page">Library</a>', html), url
        assert '<a href="/" aria-current="page">' not in html


def _switch_next(html: str) -> str | None:
    match = re.search(r'name="next" value="([^"]*)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_it_switches_team_from_a_detail_page_to_its_list(alice_client, alice, team, other_team):
    other_team.add_member(alice)
    asset = make_asset(alice, team)
    character = make_character(team, alice, owner=alice)
    project = Project.objects.create(team=team, name="Pilot", owner=alice)
    for url, list_url in (
        (f"/projects/{project.pk}/", reverse("project_list")),
        (f"/projects/{project.pk}/settings/", reverse("project_list")),
        (f"/library/assets/{asset.pk}/", reverse("library")),
        (f"/library/characters/{character.pk}/", reverse("character_list")),
        (f"/library/characters/{character.pk}/edit/", reverse("character_list")),
        ("/library/characters/?q=mi", "/library/characters/?q=mi"),
    ):
        html = alice_client.get(url).content.decode()
        assert _switch_next(html) == list_url, url
        assert "onchange" not in html
    response = alice_client.post(
        reverse("switch_team"),
        {
            "team": other_team.pk,
            "next": _switch_next(alice_client.get(f"/library/assets/{asset.pk}/").content.decode()),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("library")


def test_it_names_owners_in_the_picker_in_a_constant_number_of_queries(
    alice_client, alice, bob, team, django_assert_max_num_queries
):
    make_asset(bob, team, shared=True)
    with django_assert_max_num_queries(50) as few:
        alice_client.get("/library/characters/new/")
    for _ in range(5):
        make_asset(bob, team, shared=True)
        make_asset(alice, team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = alice_client.get("/library/characters/new/").content.decode()
    assert html.count("PNG · by bob") == 6
