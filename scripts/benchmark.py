"""Time the whole suite against the import floor, side by side, with bytecode already compiled.

The import floor is ``python -c "import pytest, pytest_bdd, respx, cozepy"``: no suite can start
faster than its imports. Prints the suite/floor ratio (target: at most 2.0, hard limit 2.5) and
the cost of one extra test, ``(suite - collect-only) / tests``. Usage:

    uv run python scripts/benchmark.py [--runs 5]
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


def _time(command: list[str], runs: int) -> tuple[float, str]:
    samples, output = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=ENV)
        samples.append(time.perf_counter() - start)
        if done.returncode not in (0,):
            sys.exit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
        output = done.stdout
    return statistics.median(samples), output


def main() -> int:
    """Print the ratio and per-test cost; exit 1 above the hard limit."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median counts")
    runs = parser.parse_args().runs
    _time(FLOOR, 1)  # compile bytecode and warm the file cache
    _time(SUITE, 1)
    floor, _ = _time(FLOOR, runs)
    suite, output = _time(SUITE, runs)
    collect, _ = _time([*SUITE, "--collect-only"], runs)
    tests = int(re.findall(r"(\d+) passed", output)[-1])
    ratio = suite / floor
    print(f"import floor    {floor * 1000:7.0f} ms")
    print(f"collect only    {collect * 1000:7.0f} ms")
    print(f"whole suite     {suite * 1000:7.0f} ms  ({tests} tests)")
    print(f"ratio           {ratio:7.2f} x  (target {TARGET}x, limit {LIMIT}x)")
    print(f"per extra test  {(suite - collect) / tests * 1000:7.2f} ms")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
