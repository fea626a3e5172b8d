"""Time the suite against pytest's own floor for the same number of tests.

The floor is a generated project, in a temporary directory, of as many trivial tests as the suite
collects (``def test_n(): assert n == n``), spread over as many modules. It runs with the same
interpreter, the same pytest options and plugins (the suite's ``[tool.pytest.ini_options]``,
autoloaded plugins included) and the same heavy imports (pytest, pytest-bdd, respx, cozepy, in its
``conftest.py``). What the suite costs above that floor is what its own fixtures, steps and tests
cost. Usage:

    uv run python scripts/benchmark.py [--rounds 7]

Both sides run with bytecode compiled (a warm-up run writes it). Each round runs the floor and the
suite back to back and measures the CPU time (user + system) of each run, which other jobs on a
shared machine disturb far less than wall-clock time; the ratio printed is the median of the
rounds' own ratios. Exits 1 above the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 2.0
# Both sides run in the same order every round, so the rounds compare like with like.
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
# Project-relative settings the floor has no use for.
SUITE_ONLY = {"testpaths", "pythonpath", "bdd_features_base_dir"}
FLOOR_CONFTEST = '''\
"""The suite's heavy imports, with the warning filter the suite's conftest installs first."""

import warnings

from authlib.deprecate import AuthlibDeprecationWarning

warnings.filterwarnings("ignore", "authlib.jose module is deprecated", AuthlibDeprecationWarning)

import cozepy  # noqa: E402
import pytest_bdd  # noqa: E402
import respx  # noqa: E402
'''

# Both sides compile and cache bytecode, whatever the calling shell says.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], cwd: Path) -> tuple[float, str]:
    """The CPU time (user + system) a pytest run takes, and its output."""
    start = _cpu_seconds()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    elapsed = _cpu_seconds() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} (in {cwd}) failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def collected_modules() -> Counter[str]:
    """How many tests the suite collects in each module."""
    _, output = _run([*PYTEST, "--collect-only"], ROOT)
    return Counter(line.split("::")[0] for line in output.splitlines() if "::" in line)


def write_floor(directory: Path, modules: Counter[str]) -> None:
    """A project of trivial tests, one module per suite module with as many tests, under the suite's options."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    settings = "".join(f"{key} = {json.dumps(value)}\n" for key, value in options.items() if key not in SUITE_ONLY)
    (directory / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{settings}", encoding="utf-8")
    (directory / "conftest.py").write_text(FLOOR_CONFTEST, encoding="utf-8")
    for index, count in enumerate(modules.values()):
        tests = "".join(f"\n\ndef test_{n}():\n    assert {n} == {n}\n" for n in range(count))
        (directory / f"test_floor_{index}.py").write_text(f'"""Trivial tests."""{tests}', encoding="utf-8")


def main() -> int:
    """Print the suite/floor ratio and the cost per test; exit 1 above the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="rounds; the median counts")
    rounds = parser.parse_args().rounds
    modules = collected_modules()
    tests = sum(modules.values())
    with tempfile.TemporaryDirectory(prefix="coze-floor-") as tmp:
        floor_dir = Path(tmp)
        write_floor(floor_dir, modules)
        _, output = _run(PYTEST, floor_dir)  # the warm-up runs compile bytecode on both sides
        if f"{tests} passed" not in output:
            sys.exit(f"the floor ran something else than {tests} tests:\n{output}")
        _run(PYTEST, ROOT)
        floors, suites = [], []
        for _ in range(rounds):
            floors.append(_run(PYTEST, floor_dir)[0])
            suites.append(_run(PYTEST, ROOT)[0])
    ratio = statistics.median(s / f for s, f in zip(suites, floors, strict=True))
    floor, suite = statistics.median(floors), statistics.median(suites)
    print(f"pytest floor  {floor * 1000:7.0f} ms  ({tests} trivial tests in {len(modules)} modules)")
    print(f"whole suite   {suite * 1000:7.0f} ms  ({tests} tests)")
    print(f"ratio         {ratio:7.2f} x  (target at most {TARGET}x; median of {rounds} rounds)")
    print(f"per test      {suite / tests * 1000:7.2f} ms  ({(suite - floor) / tests * 1000:.2f} ms above the floor)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
