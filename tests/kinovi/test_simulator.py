"""The simulator's own parts: output sizes, settings, the Django command."""

import pytest
from django.core.management import call_command

from projects.kinovi import simulator
from projects.kinovi.request import ASPECT_RATIOS


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("16:9", (320, 180)),
        ("9:16", (180, 320)),
        ("1:1", (320, 320)),
        ("3:4", (240, 320)),
        ("4:3", (320, 240)),
        ("21:9", (320, 138)),
    ],
)
def test_it_sizes_outputs_by_aspect_ratio(ratio, size):
    assert simulator.output_size(ratio) == size


def test_it_covers_every_aspect_ratio():
    for ratio in ASPECT_RATIOS:
        width, height = simulator.output_size(ratio)
        assert width % 2 == height % 2 == 0 and max(width, height) == 320


def test_it_reads_settings_from_the_environment():
    settings = simulator.settings_from_environment(
        {
            "KINOVI_SIM_ERROR_RATE": "0.25",
            "KINOVI_SIM_FORCE_429": "yes",
            "KINOVI_SIM_BALANCE": "42",
            "KINOVI_SIM_POLICY_MARKER": "nope",
            "UNRELATED": "1",
        }
    )
    assert (settings.error_rate, settings.force_429, settings.balance) == (0.25, True, 42)
    assert settings.policy_marker == "nope"
    assert settings.concurrency_limit == 5


@pytest.mark.parametrize(
    "environ", [{"KINOVI_SIM_ERROR_RATE": "1.5"}, {"KINOVI_SIM_BALANCE": "-1"}]
)
def test_it_rejects_impossible_settings(environ):
    with pytest.raises(ValueError):
        simulator.settings_from_environment(environ)


def test_it_runs_from_the_management_command_with_settings_defaults(monkeypatch, settings):
    calls = []
    monkeypatch.setattr(simulator, "main", calls.append)
    settings.KINOVI_SIMULATOR_PORT = 9876
    settings.KINOVI_SIMULATOR_KEY = "from-settings"
    call_command("kinovi_simulator")
    call_command("kinovi_simulator", "--port", "0", "--api-key", "other")
    assert calls == [
        ["--port", "9876", "--api-key", "from-settings"],
        ["--port", "0", "--api-key", "other"],
    ]
