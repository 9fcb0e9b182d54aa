"""The simulator's own parts: output sizes, settings, the Django command."""

import httpx
import pytest
from django.core.management import call_command

from projects.kinovi import simulator
from projects.kinovi.request import ASPECT_RATIOS
from tests.plugins.simulator import start_simulator, stop_simulator


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


EVERY_FLAG = [
    "--waiting-seconds",
    "0.5",
    "--generating-seconds",
    "1.5",
    "--balance",
    "700",
    "--concurrency-limit",
    "2",
    "--policy-marker",
    "nope",
]
EVERY_SETTING = {
    "waiting_seconds": 0.5,
    "generating_seconds": 1.5,
    "balance": 700,
    "concurrency_limit": 2,
    "policy_marker": "nope",
}
NO_SETTINGS = dict.fromkeys(EVERY_SETTING)


def test_it_runs_from_the_management_command_with_settings_defaults(monkeypatch, settings):
    calls = []
    monkeypatch.setattr(simulator, "serve", lambda **options: calls.append(options))
    settings.KINOVI_SIMULATOR_PORT = 9876
    settings.KINOVI_SIMULATOR_KEY = "from-settings"
    call_command("kinovi_simulator")
    call_command("kinovi_simulator", "--port", "0", "--api-key", "other", *EVERY_FLAG)
    assert calls == [
        {"port": 9876, "api_key": "from-settings", **NO_SETTINGS},
        {"port": 0, "api_key": "other", **EVERY_SETTING},
    ]


def test_the_module_and_the_command_take_the_same_flags(monkeypatch):
    calls = []
    monkeypatch.setattr(simulator, "serve", lambda **options: calls.append(options))
    simulator.main(["--port", "0", "--api-key", "k", *EVERY_FLAG])
    call_command("kinovi_simulator", "--port", "0", "--api-key", "k", *EVERY_FLAG)
    assert calls[0] == calls[1] == {"port": 0, "api_key": "k", **EVERY_SETTING}


def test_flags_set_the_running_simulator(tmp_path):
    process, root_url = start_simulator(tmp_path / "log", *EVERY_FLAG)
    try:
        state = httpx.get(f"{root_url}/_control").raise_for_status().json()
    finally:
        stop_simulator(process)
    assert {name: state["settings"][name] for name in EVERY_SETTING} == EVERY_SETTING


def test_it_refuses_an_impossible_flag():
    with pytest.raises(SystemExit, match="balance can't be negative"):
        simulator.serve(port=0, api_key="k", balance=-1)
