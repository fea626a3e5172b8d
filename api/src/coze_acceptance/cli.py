"""``coze-acceptance``: run the suite and write the traceability report.

Runs every scenario in ``features/`` (and the unit tests, which verify requirements too), then
writes ``traceability.json``, ``.md`` and ``.html`` and prints one line per user story. The exit
status is non-zero on any failed or undefined scenario, failed unit test or gate violation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from coze_acceptance.documents import load_features, load_spec
from coze_acceptance.render import html, markdown, terminal_table
from coze_acceptance.report import Measurements, build_report
from coze_acceptance.results import Results
from coze_acceptance.tags import parse_tag

TESTS_DIR = "api/tests"
FEATURES_DIR = Path("features")
SPEC = Path("docs/spec.md")
COVERAGE_FLOOR = 95.0


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(prog="coze-acceptance", description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("reports"), help="report directory (default: reports)")
    parser.add_argument("--story", help="only this story's scenarios, e.g. US2 or EDGE")
    parser.add_argument("--priority", help="only scenarios of this priority, e.g. P3")
    parser.add_argument("--tag", help="only scenarios with this tag, e.g. acceptance:US2-AS1, fr:FR-013 or parity")
    parser.add_argument("-n", "--workers", type=int, help="run in parallel with pytest-xdist")
    parser.add_argument(
        "--coverage", action="store_true", help=f"measure branch coverage and fail below {COVERAGE_FLOOR:g} %%"
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return parser


def marker_expression(args: argparse.Namespace) -> str | None:
    """The ``-m`` expression for ``--story``, ``--priority`` and ``--tag``; ``ValueError`` for an unknown tag."""
    terms = []
    if args.story:
        terms.append(f"story(id={args.story!r})")
    if args.priority:
        terms.append(f"priority(id={args.priority!r})")
    if args.tag:
        tag = parse_tag(args.tag)
        terms.append(f"{tag.marker}(id={tag.id!r})" if tag.id else tag.marker)
    return " and ".join(terms) or None


class _Counter:
    """Counts the tests that ran and the collection errors."""

    def __init__(self) -> None:
        self.ran = 0
        self.collection_errors = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.ran += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.collection_errors += int(report.failed)


def _project_root() -> Path:
    """The directory holding ``docs/spec.md``: the current one or the nearest parent."""
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / SPEC).is_file() and (candidate / FEATURES_DIR).is_dir():
            return candidate
    raise SystemExit(f"coze-acceptance: run it inside the project (no {SPEC} found above {here})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run, report, and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        expression = marker_expression(args)
    except ValueError as exc:
        parser.error(str(exc))
    os.chdir(_project_root())  # test paths, features and spec are relative to the project root
    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)
    pytest_args = [TESTS_DIR, "-p", "coze_acceptance.plugin", "-q", "--no-header"]
    if expression:
        pytest_args += ["-m", expression]
    if args.workers:
        pytest_args += ["-p", "xdist", "-n", str(args.workers)]
    coverage_file = output / "coverage.json"
    if args.coverage:
        pytest_args += ["-p", "pytest_cov", "--cov", "--cov-branch", f"--cov-report=json:{coverage_file}"]
    pytest_args += args.pytest_args

    results, counter = Results(), _Counter()
    start = time.perf_counter()
    exit_code = pytest.main(pytest_args, plugins=[results, counter])
    duration = time.perf_counter() - start

    coverage = None
    if args.coverage and coverage_file.exists():
        coverage = float(json.loads(coverage_file.read_text(encoding="utf-8"))["totals"]["percent_covered"])
    measured = Measurements(
        duration_seconds=duration,
        tests_run=counter.ran,
        collection_errors=counter.collection_errors,
        coverage_percent=coverage,
        command="uv run coze-acceptance " + " ".join(argv if argv is not None else sys.argv[1:]),
        selection=tuple(filter(None, [expression])),
    )
    report = build_report(load_spec(SPEC), load_features(FEATURES_DIR, Path.cwd()), results, measured)
    (output / "traceability.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (output / "traceability.md").write_text(markdown(report), encoding="utf-8")
    (output / "traceability.html").write_text(html(report), encoding="utf-8")

    print()
    print(terminal_table(report))
    print(f"\nreport: {output}/traceability.{{json,md,html}}")
    problems = []
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) or not report["summary"]["passed"]:
        problems.append("tests failed")
    if not report["summary"]["gates_passed"]:
        problems.append("gates violated")
    if args.coverage and (coverage is None or coverage < COVERAGE_FLOOR):
        problems.append(f"coverage {coverage if coverage is not None else 'unknown'} % is below {COVERAGE_FLOOR:g} %")
    if problems:
        print("FAILED: " + "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
