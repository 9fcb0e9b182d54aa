"""A strict Content Security Policy is possible: no page of the URLconf carries an inline
script, a <style> element, a style attribute or an on* handler, and every page sends the
policy and the other security headers."""

import re

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from projects.models import Budget, Generation, Membership, Project, ReviewLink
from projects.models.administration import invite
from tests.library.conftest import make_asset, make_character

INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>\s*[^<\s]", re.I
)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def violations(html: str) -> list[str]:
    found = []
    for name, pattern in (
        ("inline script", INLINE_SCRIPT),
        ("<style> element", STYLE_ELEMENT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("on* handler", HANDLER_ATTRIBUTE),
    ):
        found += [f"{name}: {m.group(0)[:120]}" for m in pattern.finditer(html)]
    return found


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<div style="color: red">',
        '<img src="x" onerror="alert(1)">',
        "<style>body{}</style>",
    ],
)
def test_the_checker_finds_what_the_policy_would_block(html):
    assert violations(html)


def test_the_checker_lets_files_and_data_through():
    html = '<script src="/static/js/app.js"></script><script type="application/json">{}</script>'
    assert not violations(html + '<p data-on="x" class="onward">')


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # staff's Django admin: Django's own pages
            yield from _patterns(pattern, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern


@pytest.fixture
def objects(alice, bob, team, local_storage):
    project = Project.objects.create(team=team, owner=alice, name="Pilot")
    asset = make_asset(alice, team)
    generation = Generation.objects.create(
        project=project, created_by=alice, model="seedance-20", prompt="@image1", status="queued"
    )
    budget = Budget.objects.create(team=team, hard_limit=1000)
    invitation = invite(team=team, email="new@example.com", role="member", actor=alice)
    link, link_token = ReviewLink.create(project, by=alice, whole_project=True)
    return {
        "link_id": link.pk,
        "project_id": project.pk,
        "generation_id": generation.pk,
        "asset_id": asset.pk,
        "character_id": make_character(team, alice, owner=alice).pk,
        "budget_id": budget.pk,
        "membership_id": Membership.objects.get(user=bob).pk,
        "invitation_id": invitation.pk,
        # A live client review link's token: its page is rendered too (an invitation
        # page shown it says only that it is not valid).
        "token": link_token,
        "uidb64": "MQ",
    }


def page_urls(objects) -> list[str]:
    urls = []
    for pattern in _patterns(get_resolver()):
        names = list(pattern.pattern.converters)
        if "path" in names:
            continue  # stored files
        # Ids of rows this fixture doesn't make (comments, shares, takes) only name
        # POST endpoints or pages that answer 404: any id will do for those.
        urls.append(reverse(pattern.name, kwargs={n: objects.get(n, 1) for n in names}))
    return urls


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_no_page_needs_inline_code_or_style(request, objects, who):
    client = request.getfixturevalue(f"{who}_client")
    urls = page_urls(objects)
    assert len(urls) > 40
    checked = 0
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            if "text/html" not in response.get("Content-Type", ""):
                continue
            checked += 1
            assert not violations(response.content.decode()), (url, headers)
            assert "script-src 'self'" in response["Content-Security-Policy"], url
    assert checked > 40


def test_every_page_sends_the_policy_and_the_other_headers(client):
    response = client.get(reverse("login"))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_media_may_come_from_the_storage_origin(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_CSP['media-src'][-1], s.SECURE_CSP['img-src'][-1])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={
            "PATH": "/usr/bin:/bin",
            "SECRET_KEY": "x" * 60,
            "STORAGE_BUCKET": "refs",
            "STORAGE_ENDPOINT_URL": "http://127.0.0.1:9000/",
            "VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    last_line = result.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["http://127.0.0.1:9000", "http://127.0.0.1:9000"], result.stderr
    assert settings.SECURE_CSP["media-src"][0] == "'self'"


def test_every_aspect_ratio_has_its_shape_class():
    from pathlib import Path

    from projects.kinovi.request import ASPECT_RATIOS
    from projects.templatetags.generations import ratio_class

    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    for ratio in ASPECT_RATIOS:
        width, height = ratio.split(":")
        assert f".{ratio_class(ratio)} {{ aspect-ratio: {width} / {height}; }}" in css


def test_htmx_injects_no_style_of_its_own(alice_client):
    html = alice_client.get("/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false' in html
