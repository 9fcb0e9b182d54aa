from tests.library.conftest import make_character


def test_it_lists_my_characters_and_the_teams(alice_client, alice, bob, team):
    make_character(team, alice, owner=alice, handle="mine")
    make_character(team, bob, owner=None, handle="team-one")
    make_character(team, bob, owner=bob, handle="bobs-own")
    response = alice_client.get("/library/characters/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "@mine" in text
    assert "@team-one" in text
    assert "@bobs-own" not in text
    assert response.context["nav"] == "library"


def test_it_never_lists_another_teams_characters(charlie_client, alice, team):
    make_character(team, alice, owner=None, handle="acme-hero")
    text = charlie_client.get("/library/characters/").content.decode()
    assert "@acme-hero" not in text
    assert 'data-testid="characters-empty"' in text


def test_it_searches_by_name_and_handle(alice_client, alice, team):
    make_character(team, alice, owner=alice, handle="mira", name="Mira Lopez")
    make_character(team, alice, owner=None, handle="odin", name="The Old Man")

    def handles(query):
        response = alice_client.get("/library/characters/", query)
        return {c.handle for c in response.context["characters"]}

    assert handles({"q": "@mir"}) == {"mira"}
    assert handles({"q": "old man"}) == {"odin"}
    assert handles({"library": "team"}) == {"odin"}
    assert handles({"library": "mine"}) == {"mira"}


def test_it_answers_htmx_with_the_list_only(alice_client, alice, team):
    make_character(team, alice, owner=alice, handle="mira")
    response = alice_client.get("/library/characters/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert text.lstrip().startswith('<section id="character-list"')
    assert 'hx-trigger="characterCreated from:body"' in text


def test_it_runs_a_constant_number_of_queries(alice_client, alice, team, django_assert_num_queries):
    for i in range(3):
        make_character(team, alice, owner=alice if i % 2 else None, handle=f"c{i}", images=3)
    with django_assert_num_queries(5) as few:
        alice_client.get("/library/characters/")
    for i in range(3, 200):
        make_character(team, alice, owner=alice if i % 2 else None, handle=f"c{i}", images=3)
    with django_assert_num_queries(len(few.captured_queries)):
        response = alice_client.get("/library/characters/")
    assert len(response.context["characters"]) == 200
