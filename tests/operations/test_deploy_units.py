"""The systemd units under deploy/ start what bin/serve serves and restart it on exit."""

import configparser
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = {"kinovi-web.service": "web", "kinovi-worker@.service": "worker"}


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((ROOT / "deploy" / name).read_text())
    return parser


def test_it_ships_a_web_unit_and_a_worker_template_unit_that_restart_always():
    for name, part in UNITS.items():
        service = unit(name)["Service"]
        checkout = service["WorkingDirectory"]
        assert service["ExecStart"] == f"{checkout}/bin/serve {part}", name
        assert service["Restart"] == "always", name
        assert service["EnvironmentFile"] == "/etc/kinovi-web/env", name
        assert unit(name)["Install"]["WantedBy"] == "multi-user.target", name


def test_bin_serve_knows_each_part_the_units_start():
    result = subprocess.run(
        [str(ROOT / "bin/serve"), "nonsense"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert result.stderr == "usage: bin/serve [all|web|worker]\n"
    assert set(UNITS.values()) <= set(result.stderr.split("[")[1].rstrip("]\n").split("|"))


def test_the_readme_installs_the_units_it_ships():
    readme = (ROOT / "README.md").read_text()
    for name in UNITS:
        assert f"deploy/{name}" in readme
