import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

from projects.models import Membership

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    # The embedded defaults, whatever database this test run uses.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DEBUG", "DATABASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _deploy_check(**env):
    """`check --deploy` with real values for everything but what `env` changes."""
    real = {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60)}
    real |= {"SITE_URL": "https://kinovi.example.com", "EMAIL_SMTP_HOST": "smtp.example.com"}
    return _manage("check", "--deploy", **(real | env))


def test_it_passes_the_deploy_check_with_real_values():
    result = _deploy_check()
    assert result.returncode == 0, result.stderr
    # The one message says how references reach Kinovi: by URL, from a public site.
    assert "System check identified 1 issue (0 silenced)." in result.stderr
    assert "(kinovi.I001) References reach Kinovi by their storage URLs" in result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr


def test_it_migrates_a_fresh_checkout_with_a_secret_key_set(tmp_path):
    var = tmp_path / "fresh" / "var"
    result = _manage("migrate", "--noinput", VAR_DIR=str(var), SECRET_KEY="x" * 60)
    assert result.returncode == 0, result.stderr
    assert (var / "kinovi.sqlite3").exists()
    assert not (var / "secret_key").exists()


def test_it_warns_when_deployed_with_the_embedded_defaults():
    result = _manage("check", "--deploy", DEBUG="1")
    assert "security.W018" in result.stderr  # DEBUG on


def test_it_warns_when_kinovi_can_reach_no_reference():
    result = _deploy_check(
        SITE_URL="http://10.0.0.5", KINOVI_API_KEY="k", KINOVI_REFERENCE_UPLOADS="never"
    )
    assert "kinovi.W001" in result.stderr


def test_it_refuses_an_unknown_way_of_sending_references():
    result = _manage("check", KINOVI_REFERENCE_UPLOADS="sometimes")
    assert result.returncode != 0
    assert "KINOVI_REFERENCE_UPLOADS must be one of auto, always, never" in result.stderr


def test_it_says_what_a_bad_boolean_should_look_like():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_it_seeds_the_demo_team_idempotently(db, capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "ada / kinovi-demo" in out and "max / kinovi-demo" in out
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"ada": "admin", "max": "member"}


def test_it_refuses_to_deploy_with_mail_only_printed_to_the_console():
    # Budget warnings are mailed: a deployment without SMTP would silently drop them.
    result = _deploy_check(EMAIL_SMTP_HOST="")
    assert result.returncode != 0
    assert "mail.E001" in result.stderr
