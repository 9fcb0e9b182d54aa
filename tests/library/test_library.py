from projects.models import AssetTag
from tests.library.conftest import make_asset, make_character


def test_it_shows_my_assets_and_shared_ones_but_not_a_teammates_personal_ones(
    alice_client, alice, bob, team
):
    mine = make_asset(alice, team, name="alice portrait")
    shared = make_asset(bob, team, name="bob shared frame", shared=True)
    private = make_asset(bob, team, name="bob private clip")
    response = alice_client.get("/library/")
    assert response.status_code == 200
    assert response.context["nav"] == "library"
    text = response.content.decode()
    assert mine.name in text
    assert shared.name in text
    assert private.name not in text
    assert 'aria-current="page">Library' in text


def test_it_hides_archived_assets(alice_client, alice, team):
    make_asset(alice, team, name="old one", archived_at="2026-01-01T00:00:00Z")
    assert "old one" not in alice_client.get("/library/").content.decode()


def test_it_never_shows_another_teams_assets(charlie_client, alice, team, charlie, other_team):
    make_asset(alice, team, name="acme frame", shared=True)
    make_asset(charlie, other_team, name="globex frame")
    text = charlie_client.get("/library/").content.decode()
    assert "globex frame" in text
    assert "acme frame" not in text


def test_it_filters_by_kind_tag_and_text(alice_client, alice, team):
    portrait = make_asset(alice, team, name="mira portrait")
    make_asset(alice, team, name="beach clip", kind="video")
    make_asset(alice, team, name="theme", kind="audio")
    AssetTag.objects.create(asset=portrait, name="mira")

    def names(query):
        response = alice_client.get("/library/", query)
        return {a.name for a in response.context["page"].object_list}

    assert names({"kind": "video"}) == {"beach clip"}
    assert names({"tag": "mira"}) == {"mira portrait"}
    assert names({"q": "BEACH"}) == {"beach clip"}
    assert names({}) == {"mira portrait", "beach clip", "theme"}


def test_it_answers_htmx_with_the_grid_only(alice_client, alice, team):
    make_asset(alice, team, name="frame one")
    response = alice_client.get("/library/", {"kind": "image"}, headers={"HX-Request": "true"})
    text = response.content.decode()
    assert "frame one" in text
    assert text.lstrip().startswith('<section id="asset-grid"')
    assert "<html" not in text


def test_it_paginates(alice_client, alice, team):
    for i in range(61):
        make_asset(alice, team, name=f"frame {i}")
    response = alice_client.get("/library/", {"page": 2})
    assert len(response.context["page"].object_list) == 1
    assert "Page 2 of 2" in response.content.decode()


def test_it_shows_an_empty_state(bob_client):
    response = bob_client.get("/library/")
    assert 'data-testid="assets-empty"' in response.content.decode()


def test_it_requires_login(client):
    assert client.get("/library/").status_code == 302


def _fill(team, alice, bob, assets: int, characters: int, start: int = 0):
    for i in range(assets):
        asset = make_asset(alice if i % 2 else bob, team, shared=bool(i % 3 == 0))
        AssetTag.objects.create(asset=asset, name=f"tag{i % 7}")
    for i in range(start, start + characters):
        make_character(team, alice, owner=alice if i % 2 else None, handle=f"char-{i}", images=2)


def test_it_runs_a_constant_number_of_queries(
    alice_client, alice, bob, team, django_assert_num_queries
):
    _fill(team, alice, bob, assets=5, characters=3)
    # 9: the team's storage used is summed for the page (not for its partial).
    with django_assert_num_queries(8) as small:
        alice_client.get("/library/")
    _fill(team, alice, bob, assets=995, characters=197, start=3)
    with django_assert_num_queries(len(small.captured_queries)):
        response = alice_client.get("/library/")
    assert len(response.context["page"].object_list) == 60
    with django_assert_num_queries(6):
        alice_client.get("/library/", {"tag": "tag3"}, headers={"HX-Request": "true"})
