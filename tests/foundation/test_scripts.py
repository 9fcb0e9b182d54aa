"""The scripts behind `make test` and `make bench`, run as the Makefile runs them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import hypothesis

ROOT = Path(__file__).resolve().parents[2]


def run(command, **options):
    return subprocess.run(command, capture_output=True, text=True, timeout=60, **options)


def missing_chromium_message(checkout: Path) -> subprocess.CompletedProcess:
    """bin/ensure-browser of `checkout` run as a user who cannot install (nobody, as root)."""
    environment = os.environ | {"CHROMIUM_PATH": "/nonexistent/chromium"}
    # The script comes in on stdin, so a checkout under a directory only its owner
    # can read (a clone in /root or in a `mktemp -d` folder) still runs as nobody.
    command = ["bash", "-s"]
    if os.geteuid() == 0:  # the message is for users who cannot install
        command = ["runuser", "-u", "nobody", "--", *command]
    script = (checkout / "bin/ensure-browser").read_text()
    return run(command, env=environment, cwd="/", input=script)


MISSING = (
    "Chromium is missing at /nonexistent/chromium: as root, run "
    "apt-get install chromium fonts-dejavu-core fonts-liberation\n"
)


def test_ensure_browser_says_in_one_line_what_a_non_root_user_must_install():
    result = missing_chromium_message(ROOT)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", MISSING)


def test_ensure_browser_says_it_from_a_checkout_only_its_owner_can_read(tmp_path):
    checkout = tmp_path / "private" / "clone"
    (checkout / "bin").mkdir(parents=True)
    (tmp_path / "private").chmod(0o700)
    shutil.copy(ROOT / "bin/ensure-browser", checkout / "bin/ensure-browser")
    result = missing_chromium_message(checkout)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", MISSING)


def test_ensure_browser_is_silent_when_chromium_is_there():
    environment = os.environ | {"CHROMIUM_PATH": sys.executable}
    result = run([str(ROOT / "bin/ensure-browser")], env=environment)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def bench_tree(tmp_path, benches):
    """A copy of bin/bench beside bench/*.py files with the given sources."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "bench").mkdir()
    (tmp_path / ".venv/bin").mkdir(parents=True)
    shutil.copy(ROOT / "bin/bench", tmp_path / "bin/bench")
    (tmp_path / ".venv/bin/python").symlink_to(sys.executable)
    for name, source in benches.items():
        (tmp_path / "bench" / name).write_text(source)
    return run([str(tmp_path / "bin/bench")])


def test_bench_runs_every_benchmark_and_fails_on_a_fail_line_or_a_crash(tmp_path):
    result = bench_tree(
        tmp_path,
        {
            "a.py": 'print("submit 12 ms <= 50 ms: PASS")',
            "b.py": 'print("queries 14 <= 10: FAIL")',
            "c.py": 'raise SystemExit("no server")',
            "d.py": 'print("FAILED uploads 0: PASS")',
        },
    )
    assert result.returncode == 1
    for name in ("a", "b", "c", "d"):
        assert f"== bench/{name}.py ==" in result.stdout
    assert result.stdout.endswith("== benchmarks that failed: bench/b.py bench/c.py (exit 1)\n")


def test_bench_skips_the_benchmarks_shared_modules(tmp_path):
    result = bench_tree(
        tmp_path, {"_setup.py": 'print("FAIL: not a benchmark")', "a.py": 'print("x: PASS")'}
    )
    assert "== bench/a.py ==" in result.stdout
    assert "_setup" not in result.stdout
    assert result.returncode == 0 and result.stdout.endswith("== every benchmark passed\n")


def test_bench_passes_when_every_benchmark_passes(tmp_path):
    result = bench_tree(tmp_path, {"a.py": 'print("PASS")', "b.py": 'print("x: PASS")'})
    assert result.returncode == 0
    assert result.stdout.endswith("== every benchmark passed\n")


def test_make_test_lints_sets_up_chromium_then_runs_sqlite_then_postgresql_derandomised():
    steps = run(["make", "-n", "test"], cwd=ROOT).stdout.splitlines()
    order = [
        next(i for i, step in enumerate(steps) if fragment in step)
        for fragment in (
            "ruff check",
            "bin/ensure-browser",
            "env -u DATABASE_URL",
            "bin/ensure-postgres",
            "DATABASE_URL=postgres",
        )
    ]
    assert order == sorted(order)
    assert all("HYPOTHESIS_PROFILE=ci" in step for step in steps if "-m pytest" in step)


def test_the_ci_profile_is_derandomised():
    ci = hypothesis.settings.get_profile("ci")
    assert ci.derandomize and ci.deadline is None and ci.print_blob
    assert not hypothesis.settings.get_profile("explore").derandomize
