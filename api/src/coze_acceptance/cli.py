"""``coze-acceptance``: run every bound scenario and print one line per user story."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from coze_acceptance.results import Results

STEPS_DIR = Path("api/tests/coze/steps")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coze-acceptance", description=__doc__)
    parser.add_argument("--story", help="run one story only, e.g. US2")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments passed to pytest (after --)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scenarios; exit non-zero if any scenario did not pass."""
    args = _parser().parse_args(argv)
    results = Results()
    pytest_args = [str(STEPS_DIR), "-p", "coze_acceptance.plugin", "-q", *args.pytest_args]
    if args.story:
        pytest_args += ["-m", f"story(id={args.story!r})"]
    exit_code = pytest.main(pytest_args, plugins=[results])
    print()
    failed = False
    for story, runs in results.by_story().items():
        counts = Counter(run.status for run in runs)
        failed |= counts["passed"] != len(runs)
        print(f"{story:5} passed {counts['passed']:3}  failed {len(runs) - counts['passed']:3}  total {len(runs):3}")
    if not results.runs:
        print("no scenario ran")
    return 1 if failed or exit_code not in (pytest.ExitCode.OK,) or not results.runs else 0


if __name__ == "__main__":
    sys.exit(main())
