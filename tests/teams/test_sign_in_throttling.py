"""Sign-in throttling per (username, IP) pair, over HTTP through the login page."""

import logging

from django.test import Client
from django.urls import reverse

from tests.plugins.users import PASSWORD

HOME, CAFE = "198.51.100.7", "203.0.113.9"


def _try(ip: str, username: str, password: str):
    return Client(REMOTE_ADDR=ip).post(
        reverse("login"), {"username": username, "password": password}
    )


def _fail(ip, username, times=5):
    """`times` wrong passwords; the fifth is answered with the lockout."""
    for n in range(1, times + 1):
        response = _try(ip, username, "wrong password")
        if n < 5:
            assert response.status_code == 200
            assert "Please enter a correct username and password" in response.content.decode()
        else:
            assert response.status_code == 429


def test_five_failures_lock_that_username_from_that_address_with_a_clear_message(bob):
    _fail(CAFE, "bob")
    locked = _try(CAFE, "bob", PASSWORD)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "Too many failed sign-ins for this username from your address." in html
    assert "Try again in 15 minutes" in html
    assert "_auth_user_id" not in locked.client.session


def test_the_real_user_still_signs_in_from_elsewhere(bob):
    _fail(CAFE, "bob")
    assert _try(CAFE, "bob", PASSWORD).status_code == 429
    assert _try(HOME, "bob", PASSWORD).status_code == 302


def test_other_people_at_the_same_address_still_sign_in(bob, alice):
    _fail(CAFE, "bob")
    assert _try(CAFE, "alice", PASSWORD).status_code == 302


def test_four_failures_do_not_lock_and_a_success_starts_again(bob):
    _fail(CAFE, "bob", times=4)
    assert _try(CAFE, "bob", PASSWORD).status_code == 302
    _fail(CAFE, "bob", times=4)
    assert _try(CAFE, "bob", PASSWORD).status_code == 302


def test_failed_sign_ins_are_logged_and_kept(bob, caplog):
    from axes.models import AccessFailureLog

    with caplog.at_level(logging.INFO):
        _fail(CAFE, "bob", times=2)
    failures = [r for r in caplog.records if "login failure by" in r.getMessage()]
    assert failures and all("bob" in r.getMessage() for r in failures)
    assert AccessFailureLog.objects.filter(username="bob", ip_address=CAFE).count() == 2


def test_behind_trusted_proxies_the_forwarded_address_counts(bob, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        # The client forges the left part; the proxy appends the address it saw.
        response = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, {CAFE}").post(
            reverse("login"), {"username": "bob", "password": "wrong"}
        )
        assert response.status_code == (200 if n < 4 else 429)
    blocked = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=CAFE)
    assert (
        blocked.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code == 429
    )
    elsewhere = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=HOME)
    assert (
        elsewhere.post(reverse("login"), {"username": "bob", "password": PASSWORD}).status_code
        == 302
    )
