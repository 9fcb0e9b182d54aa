"""Accounts: password reset by email, password change, profile and time zone, signing out
everywhere, cookie flags."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from projects.models import UserSession
from projects.models.accounts import Profile
from tests.plugins.users import PASSWORD
from tests.teams.conftest import sign_in

NEW = "a much longer new secret"
ROOT = Path(__file__).resolve().parents[2]


def _device(username="bob") -> Client:
    device = Client()
    sign_in(device, username)
    return device


def test_a_password_is_reset_by_email(client, bob, settings):
    settings.SITE_URL = "http://kinovi.test"
    other = _device()
    response = client.post(reverse("password_reset"), {"email": "bob@example.com"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Reset your Kinovi Web password"
    found = re.search(r"http://kinovi\.test(/accounts/password/reset/\S+/)", message.body)
    assert found, message.body
    link = found.group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW}, follow=True
    )
    assert "Password set" in done.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(NEW)
    # The link worked once, and the session elsewhere has ended.
    assert "This link is not valid" in client.get(link, follow=True).content.decode()
    assert other.get("/").status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, bob):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert not mail.outbox


def test_the_login_page_links_to_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


def test_changing_the_password_ends_the_other_sessions_only(bob, bob_client):
    here, elsewhere = _device(), _device()
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert bob_client.get("/").status_code == 302


def test_a_new_password_goes_through_the_validators(bob_client, bob):
    response = bob_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_signing_out_everywhere_ends_every_session(bob, alice):
    here, elsewhere, alices = _device(), _device(), _device("alice")
    response = here.post(reverse("logout_everywhere"), follow=True)
    assert "You are signed out everywhere (2 sessions ended)." in response.content.decode()
    assert here.get("/").status_code == 302
    assert elsewhere.get("/").status_code == 302
    assert not UserSession.objects.filter(user_id=bob.pk).exists()
    assert alices.get("/").status_code == 200


def test_signing_out_everywhere_is_a_post(bob_client):
    assert bob_client.get(reverse("logout_everywhere")).status_code == 405


def test_the_profile_sets_name_email_and_time_zone(bob_client, bob):
    response = bob_client.post(
        reverse("profile"),
        {"name": "Bob Ross", "email": "Bob@Studio.example", "time_zone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.first_name, bob.email) == ("Bob Ross", "bob@studio.example")
    assert Profile.objects.get(user=bob).time_zone == "Asia/Tokyo"
    assert 'value="Asia/Tokyo" selected' in bob_client.get(reverse("profile")).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("time_zone", "Mars/Olympus", "Choose a time zone from the list."),
        ("email", "not an address", "Enter a valid email address."),
        ("email", "alice@example.com", "Another account uses this email address."),
    ],
)
def test_a_bad_profile_is_refused_and_changes_nothing(bob_client, bob, alice, field, value, error):
    data = {"name": "Bob", "email": "bob@example.com", "time_zone": ""} | {field: value}
    response = bob_client.post(reverse("profile"), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    bob.refresh_from_db()
    assert bob.email == "bob@example.com" and bob.first_name == ""


def test_dates_are_shown_in_the_persons_time_zone(alice, team):
    alice.last_login = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    alice.save(update_fields=["last_login"])
    Profile.objects.create(user=alice, time_zone="Pacific/Kiritimati")  # UTC+14
    device = Client()
    device.force_login(alice)
    alice.last_login = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    alice.save(update_fields=["last_login"])
    # "Last active" says how long ago, with the moment (formats.moment) as its title.
    assert 'title="2 Jan 2026, 02:00"' in device.get(reverse("members")).content.decode()


def test_cookies_are_secure_and_http_only_when_the_site_is_https():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.CSRF_COOKIE_HTTPONLY)"
    )
    for site, expected in (
        ("https://kinovi.example.com", "True True True True"),
        ("http://127.0.0.1:8000", "False False True True"),
    ):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "SITE_URL": site, "SECRET_KEY": "x" * 60},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
