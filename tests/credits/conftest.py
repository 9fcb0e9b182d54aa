import pytest

from projects.kinovi.pricing import STANDARD_MODEL
from projects.models import Generation, Project


@pytest.fixture
def project(team, bob):
    return Project.objects.create(team=team, name="Trailer", owner=bob)


@pytest.fixture
def make_generation(project):
    """A saved draft generation by `user` (the project's owner by default)."""

    def make(user=None, *, target=None, model=STANDARD_MODEL, duration=5, upscale_4k=False):
        target = target or project
        return Generation.objects.create(
            project=target,
            created_by=user or target.owner,
            model=model,
            prompt="a shot",
            duration=duration,
            upscale_4k=upscale_4k,
        )

    return make


@pytest.fixture
def clock(monkeypatch):
    """Set the time credits code sees: `clock(moment)` until the test ends."""
    from django.utils import timezone

    def set_to(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


@pytest.fixture
def staff(db):
    """An operator: staff, in no team."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(
        "sam", "sam@example.com", "correct horse battery", is_staff=True
    )


@pytest.fixture
def staff_client(staff):
    from django.test import Client

    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def october(settings, clock, team, other_team, alice, bob, charlie):
    """A month of spend worked out by hand (UTC), for the report and CSV tests.

    In October 2026, team Acme:
      bob    Trailer  standard  5 s     2 Oct 10:00  settled at 200        200
      bob    Trailer  fast     10 s 4K  2 Oct 12:00  settled at 500 (560)  500
      alice  =cmd     standard  4 s     5 Oct 09:00  failed, refunded        0
      alice  =cmd     standard 15 s     9 Oct 15:00  in flight             600
      alice  -        adjustment       10 Oct 08:00  "goodwill"           -50
    Total 1,250 credits, $6.25. Outside it: bob on 30 Sep (200) and charlie's team.
    """
    import datetime as dt
    from types import SimpleNamespace

    from projects.models.credits import adjust, refund, reserve, settle

    settings.TIME_ZONE = "UTC"
    trailer = Project.objects.create(team=team, name="Trailer", owner=bob)
    formula = Project.objects.create(team=team, name="=cmd", owner=alice)
    elsewhere = Project.objects.create(team=other_team, name="Globex ad", owner=charlie)

    def at(day, hour, month=10):
        clock(dt.datetime(2026, month, day, hour, 0, tzinfo=dt.UTC))

    def shot(project, user, model, duration, upscale=False, status="queued"):
        generation = Generation.objects.create(
            project=project,
            created_by=user,
            model=model,
            prompt="p",
            duration=duration,
            upscale_4k=upscale,
        )
        reserve(generation, has_video_reference=False)
        Generation.objects.filter(pk=generation.pk).update(status=status)
        generation.status = status
        return generation

    at(30, 23, month=9)
    september = shot(trailer, bob, STANDARD_MODEL, 5, status="success")
    settle(september, 200)
    at(2, 10)
    first = shot(trailer, bob, STANDARD_MODEL, 5, status="success")
    at(2, 10)
    settle(first, 200)
    at(2, 12)
    fast = shot(trailer, bob, "seedance2-fast", 10, upscale=True, status="success")
    at(2, 13)
    settle(fast, 500)
    Generation.objects.filter(pk=fast.pk).update(credits_used=500)
    Generation.objects.filter(pk=first.pk).update(credits_used=200)
    at(5, 9)
    failed = shot(formula, alice, STANDARD_MODEL, 4, status="fail")
    Generation.objects.filter(pk=failed.pk).update(error_message="The prompt broke a rule.")
    at(5, 10)
    refund(failed)
    at(9, 15)
    flying = shot(formula, alice, STANDARD_MODEL, 15, status="generating")
    at(10, 8)
    adjust(team=team, user=alice, credits=-50, reason="goodwill", actor=alice)
    at(3, 9)
    shot(elsewhere, charlie, STANDARD_MODEL, 5)
    at(20, 12)
    return SimpleNamespace(
        trailer=trailer,
        formula=formula,
        september=september,
        first=first,
        fast=fast,
        failed=failed,
        flying=flying,
    )
