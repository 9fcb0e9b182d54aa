"""The Kinovi layer stays plain Python: importing any of it loads no Django module."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import projects.kinovi

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    django = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
    if django:
        sys.exit(f"importing {name} loaded {', '.join(django[:5])}")
print("ok")
"""


def kinovi_modules():
    package = projects.kinovi
    return [package.__name__] + [
        f"{package.__name__}.{module.name}" for module in pkgutil.iter_modules(package.__path__)
    ]


def test_importing_the_kinovi_layer_loads_no_django_module():
    modules = kinovi_modules()
    assert {"projects.kinovi.request", "projects.kinovi.simulator"} <= set(modules)
    # A fresh interpreter: this test process has Django loaded already.
    result = subprocess.run(
        [sys.executable, "-c", CHECK, *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
