"""Time the whole suite against the import floor, side by side, with bytecode already compiled.

The import floor is ``python -c "import pytest, pytest_bdd, respx, cozepy"``: no suite can start
faster than its imports. Prints the suite/floor ratio (target: at most 2.0, hard limit 2.5) and
the cost of one extra test, ``(suite - collect-only) / tests``. Usage:

    uv run python scripts/benchmark.py [--runs 7]

Each round runs the floor, the suite and a collect-only run back to back, and the ratio is the
median of the rounds' own ratios: on a shared machine the speed drifts between rounds, and
comparing runs made seconds apart cancels most of that drift.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

FLOOR = [sys.executable, "-c", "import pytest, pytest_bdd, respx, cozepy"]
SUITE = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly"]
TARGET, LIMIT = 2.0, 2.5


# Both sides run with bytecode caching on, whatever the calling shell says: the comparison is
# between warm runs, not between compilers.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _time(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return elapsed, done.stdout


def main() -> int:
    """Print the ratio and per-test cost; exit 1 above the hard limit."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="rounds; the median counts")
    runs = parser.parse_args().runs
    _time(FLOOR)  # compile bytecode and warm the file cache
    _, output = _time(SUITE)
    tests = int(re.findall(r"(\d+) passed", output)[-1])
    floors, suites, collects = [], [], []
    for _ in range(runs):
        floors.append(_time(FLOOR)[0])
        suites.append(_time(SUITE)[0])
        collects.append(_time([*SUITE, "--collect-only"])[0])
    ratio = statistics.median(s / f for s, f in zip(suites, floors, strict=True))
    per_test = statistics.median((s - c) / tests for s, c in zip(suites, collects, strict=True))
    print(f"import floor    {statistics.median(floors) * 1000:7.0f} ms")
    print(f"collect only    {statistics.median(collects) * 1000:7.0f} ms")
    print(f"whole suite     {statistics.median(suites) * 1000:7.0f} ms  ({tests} tests)")
    print(f"ratio           {ratio:7.2f} x  (target {TARGET}x, limit {LIMIT}x; median of {runs} rounds)")
    print(f"per extra test  {per_test * 1000:7.2f} ms")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
