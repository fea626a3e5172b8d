"""``coze-acceptance``: run the suite and write the traceability report.

Runs every scenario in ``features/`` (and the unit tests, which verify requirements too), then
writes ``traceability.json``, ``.md`` and ``.html`` and prints one line per user story. The exit
status is non-zero on any failed or undefined scenario, failed unit test or gate violation; it is
2, with nothing run and nothing written, for a selection or an output folder that cannot work.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from coze_acceptance import live
from coze_acceptance.conformance import load_index
from coze_acceptance.documents import FeatureDoc, load_features, load_spec
from coze_acceptance.exports import write_exports
from coze_acceptance.render import terminal_table, write_reports
from coze_acceptance.report import Measurements, build_report
from coze_acceptance.results import Results
from coze_acceptance.tags import FLAGS, KEYED, parse_tag

TESTS_DIR = "api/tests"
FEATURES_DIR = Path("features")
SPEC = Path("docs/spec.md")
DEFAULT_OUTPUT = Path("reports")
#: The golden wire files the conformance section reports on.
WIRE_INDEX = Path("api/tests/coze/wire/index.toml")
COVERAGE_FLOOR = 95.0
#: The coverage report's file name in the report folder.
COVERAGE_JSON = "coverage.json"


EXAMPLES = """examples:
  coze-acceptance                      every scenario and unit test; the report goes to reports/
  coze-acceptance --story US3          one story, with the tests of its requirements (reports/story-US3/)
  coze-acceptance --tag fr:FR-013      one requirement's scenarios and unit tests
  coze-acceptance -- --lf              pytest options go after --: rerun the last failures (reports/pytest-lf/)
"""


def misplaced_options(argv: list[str], unknown: list[str], passed_on: list[str]) -> str:
    """The hint for pytest options given before ``--``: the same command with them moved after it.

    ``unknown`` are the options this command does not know, ``passed_on`` the plain words it would
    hand to pytest (such as an option's value): both move behind ``--``, in the order given.
    """
    before = argv[: argv.index("--")] if "--" in argv else argv
    ours = [arg for arg in before if arg not in unknown and arg not in passed_on]
    theirs = [arg for arg in before if arg in unknown or arg in passed_on] + argv[len(before) + 1 :]
    command = " ".join(["coze-acceptance", *ours, "--", *theirs])
    return f"unrecognized arguments: {' '.join(unknown)}; pytest options go after `--`: {command}"


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="coze-acceptance",
        description=(__doc__ or "").replace("``", ""),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="report folder (default: reports/, or reports/<selection>/ for a partial run); its parent must exist",
    )
    parser.add_argument(
        "--story", help="only this story, e.g. US2 or EDGE: its scenarios and every test about its requirements"
    )
    parser.add_argument("--priority", help="only scenarios of this priority, e.g. P3")
    parser.add_argument(
        "--tag", help="only tests with this tag, e.g. acceptance:US2-AS1, fr:FR-013 (scenarios and unit tests), parity"
    )
    parser.add_argument("-n", "--workers", type=int, help="run in parallel with pytest-xdist")
    parser.add_argument(
        "--coverage", action="store_true", help=f"measure branch coverage and fail below {COVERAGE_FLOOR:g} %%"
    )
    parser.add_argument("--alluredir", type=Path, help="also write Allure results there (allure-pytest-bdd)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    live.add_options(parser)
    return parser


class SelectionError(ValueError):
    """A ``--story``, ``--priority`` or ``--tag`` that names nothing in ``features/``."""


def _present(features: list[FeatureDoc], key: str) -> list[str]:
    values = {f.tag_value(key) for f in features} | {s.tag_value(key) for f in features for s in f.scenarios}
    return sorted(v for v in values if v)


def _check(value: str, valid: list[str], option: str) -> None:
    if value not in valid:
        raise SelectionError(f"{option} {value!r} is not one of: {', '.join(valid)}")


def marker_expression(args: argparse.Namespace, features: list[FeatureDoc]) -> str | None:
    """The ``-m`` expression for ``--story``, ``--priority`` and ``--tag``.

    Raises :class:`SelectionError` for a value no feature file uses (case matters, as in the tags),
    listing the valid ones.
    """
    terms = []
    if args.story:
        _check(args.story, _present(features, "story"), "--story")
        # A story fails when any test about one of its requirements fails: run those too, so that a
        # story's run agrees with the full run.
        requirements = sorted(
            {
                tag.split(":", 1)[1]
                for f in features
                if f.tag_value("story") == args.story
                for s in f.scenarios
                for tag in s.tags
                if tag.startswith("fr:")
            }
        )
        about = "".join(f" or fr(id={r!r}) or covers(id={r!r})" for r in requirements)
        terms.append(f"(story(id={args.story!r}){about})" if about else f"story(id={args.story!r})")
    if args.priority:
        _check(args.priority, _present(features, "priority"), "--priority")
        terms.append(f"priority(id={args.priority!r})")
    if args.tag:
        acceptance = [f"acceptance:{v}" for v in _present(features, "acceptance")]
        try:
            tag = parse_tag(args.tag)
        except ValueError:
            tag = None
        if tag is None:
            guess = next((f"{key}:{args.tag}" for key, pattern in KEYED.items() if pattern.fullmatch(args.tag)), None)
            if guess is not None:
                raise SelectionError(f"--tag {args.tag!r} needs its kind: did you mean --tag {guess}?")
        if tag is not None and tag.marker in ("story", "priority"):
            _check(args.tag, [f"{tag.marker}:{v}" for v in _present(features, tag.marker)], "--tag")
        elif tag is None or (tag.marker == "acceptance" and args.tag not in acceptance):
            valid = [*acceptance, "fr:FR-001 … fr:FR-020", *sorted(FLAGS)]
            raise SelectionError(f"--tag {args.tag!r} is not one of: {', '.join(valid)}")
        if tag.marker == "fr":
            # A requirement is verified by its scenarios and by the unit tests that cover it.
            terms.append(f"(fr(id={tag.id!r}) or covers(id={tag.id!r}))")
        else:
            terms.append(f"{tag.marker}(id={tag.id!r})" if tag.id else tag.marker)
    return " and ".join(terms) or None


#: pytest options that change how a run is shown, never what runs: they alone do not make a run partial.
_DISPLAY_OPTIONS = re.compile(r"-q+|-v+|-s|-l|--showlocals|--no-header|--full-trace|(--tb|--color|--durations)(=.*)?")
#: Display options whose value may follow as the next argument.
_DISPLAY_WITH_VALUE = frozenset({"--tb", "--color", "--durations"})
#: The longest selection folder name; a longer one is cut and keeps a digest of the whole.
_FOLDER_LIMIT = 60


def pytest_selection(pytest_args: list[str]) -> list[str]:
    """The arguments after ``--`` that choose what runs (``--lf``, ``-k bots``, node ids, ``-x``), not display ones."""
    chosen: list[str] = []
    skip_value = False
    for arg in pytest_args:
        if skip_value:
            skip_value = False
        elif _DISPLAY_OPTIONS.fullmatch(arg):
            skip_value = arg in _DISPLAY_WITH_VALUE
        else:
            chosen.append(arg)
    return chosen


def selection_labels(args: argparse.Namespace) -> list[str]:
    """What a partial run selected, as the reader typed it (``--story US2``, ``-- --lf``); empty for a full run."""
    labels = [f"--{name} {value}" for name in ("story", "priority", "tag") if (value := getattr(args, name))]
    chosen = pytest_selection(args.pytest_args)
    return labels + ([f"-- {' '.join(chosen)}"] if chosen else [])


def selection_folder(args: argparse.Namespace) -> str:
    """The ``reports/`` subfolder of a partial run, e.g. ``story-US2``, ``tag-fr-FR-013`` or ``pytest-lf``."""
    parts = [f"{name}-{value}" for name in ("story", "priority", "tag") if (value := getattr(args, name))]
    chosen = pytest_selection(args.pytest_args)
    if chosen:
        parts.append("pytest-" + "-".join(chosen))
    folder = re.sub(r"[^A-Za-z0-9_]+", "-", "_".join(parts)).strip("-")
    if len(folder) > _FOLDER_LIMIT:
        folder = f"{folder[: _FOLDER_LIMIT - 9]}-{hashlib.sha256(folder.encode()).hexdigest()[:8]}"
    return folder


class RunCounter:
    """Counts the tests that ran, their time and the collection errors."""

    def __init__(self) -> None:
        self.ran = 0
        self.seconds = 0.0
        self.collection_errors = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.ran += 1

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.collection_errors += int(report.failed)


def seconds_since_process_start(proc: Path = Path("/proc")) -> float | None:
    """Wall time since this process started, from Linux's ``/proc``; ``None`` where there is none."""
    try:
        # Field 22 of /proc/self/stat is the start time in clock ticks after boot; the fields
        # after the command name (in parentheses, which may hold spaces) start at field 3.
        ticks = int((proc / "self" / "stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float((proc / "uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    return uptime - ticks / os.sysconf("SC_CLK_TCK")


class ProjectError(Exception):
    """The command is run where no project with feature files and a spec can be found."""


def project_root(start: Path) -> Path:
    """The nearest folder, ``start`` or above, holding ``features/`` or ``docs/spec.md``, checked for both."""
    root = next((p for p in (start, *start.parents) if (p / FEATURES_DIR).is_dir() or (p / SPEC).is_file()), None)
    if root is None:
        raise ProjectError(f"no {FEATURES_DIR}/ folder found in {start} or above: run it inside the project")
    if not (root / FEATURES_DIR).is_dir():
        raise ProjectError(f"no {FEATURES_DIR}/ folder in {root}")
    if not any((root / FEATURES_DIR).rglob("*.feature")):
        raise ProjectError(f"{root / FEATURES_DIR} holds no .feature files")
    if not (root / SPEC).is_file():
        raise ProjectError(f"no {SPEC} in {root}: the report traces the features against it")
    return root


def output_folder(args: argparse.Namespace, root: Path, cwd: Path) -> Path:
    """Where the report goes; an ``--output`` whose parent does not exist is refused (nothing is created)."""
    if args.output is None:
        folder = root / DEFAULT_OUTPUT
        return folder / selection_folder(args) if selection_folder(args) else folder
    output: Path = args.output if args.output.is_absolute() else cwd / args.output
    if not output.parent.is_dir():
        raise ProjectError(f"--output {args.output}: the folder {output.parent} does not exist")
    if output.exists() and not output.is_dir():
        raise ProjectError(f"--output {args.output} is not a folder")
    return output


def pytest_arguments(args: argparse.Namespace, expression: str | None) -> list[str]:
    """The arguments the run hands to pytest: the tests, the plugin, the selection and the options asked for."""
    pytest_args = [TESTS_DIR, "-p", "coze_acceptance.plugin", "-q", "--no-header"]
    if expression:
        pytest_args += ["-m", expression]
    if args.workers:
        pytest_args += ["-p", "xdist", "-n", str(args.workers)]
    if args.coverage:
        # No pytest-cov report: its lines would name pytest-cov's files, and the gate's line says it all.
        pytest_args += ["-p", "pytest_cov", "--cov", "--cov-branch", "--cov-report="]
    if args.alluredir:
        pytest_args += ["-p", "allure_pytest_bdd", f"--alluredir={args.alluredir.resolve()}"]
    extra: list[str] = args.pytest_args
    return pytest_args + extra


def write_coverage(path: Path) -> float | None:
    """Write the coverage data pytest-cov saved as JSON to ``path``; the total branch coverage, if any data.

    coverage.py comes with pytest-cov, which ``--coverage`` loads; its settings are the project's.
    """
    import coverage  # only --coverage needs it, and only with the dev tools installed

    measured = coverage.Coverage()
    try:
        measured.load()
        return float(measured.json_report(outfile=str(path)))
    except coverage.exceptions.NoDataError:
        return None


def coverage_line(percent: float | None, path: Path) -> str:
    """The terminal's coverage line: the percentage against the gate, and where the details are."""
    if percent is None:
        return f"coverage: no data measured (gate {COVERAGE_FLOOR:g} %)"
    return f"coverage: {percent:.1f} % branch (gate {COVERAGE_FLOOR:g} %), per file in {path.resolve()}"


def allure_line(folder: Path) -> str:
    """The terminal's line saying where the Allure results went and how to view them."""
    where = folder.resolve()
    return f"allure results: {where} (view them with Allure 3: allure generate {where} && allure open)"


def run_measurements(
    args: argparse.Namespace, given: Sequence[str], wall: float, counter: RunCounter, coverage: float | None
) -> Measurements:
    """What the report says about the run: its wall time, the tests' own time, and how it ran (workers, exports)."""
    return Measurements(
        duration_seconds=wall,
        test_seconds=counter.seconds,
        parallel=bool(args.workers),
        exported=args.alluredir is not None,
        tests_run=counter.ran,
        collection_errors=counter.collection_errors,
        coverage_percent=coverage,
        command=" ".join(["coze-acceptance", *given]),
        selection=tuple(selection_labels(args)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run, report, and return the exit status."""
    parser = build_parser()
    given = list(argv if argv is not None else sys.argv[1:])
    args, unknown = parser.parse_known_args(given)
    if unknown:
        parser.error(misplaced_options(given, unknown, args.pytest_args))
    if live.requested(args):  # a check of a real Coze, not a test run
        return live.main(parser, args)
    cwd = Path.cwd()
    try:
        root = project_root(cwd)
        features = load_features(root / FEATURES_DIR, root)
        expression = marker_expression(args, features)
        output = output_folder(args, root, cwd)
    except (ProjectError, SelectionError) as exc:
        parser.error(str(exc))

    os.chdir(root)  # test paths, feature files and the spec are relative to the project root
    results, counter = Results(), RunCounter()
    start = time.perf_counter()
    exit_code = pytest.main(pytest_arguments(args, expression), plugins=[results, counter])
    duration = time.perf_counter() - start
    # SC-003 reads as the wall time of the whole run, Python's start-up and the imports included.
    wall = seconds_since_process_start() or duration
    if exit_code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.INTERRUPTED):
        return int(exit_code)  # pytest has said what went wrong; a report of nothing would only add noise
    output.mkdir(parents=args.output is None, exist_ok=True)  # --output creates its final folder only
    coverage = write_coverage(output / COVERAGE_JSON) if args.coverage else None
    measured = run_measurements(args, given, wall, counter, coverage)
    report = build_report(load_spec(SPEC), features, results, measured, root, load_index(WIRE_INDEX))
    write_reports(report, output)
    write_exports(features, results, duration, output)

    print()
    print(terminal_table(report))
    print(f"\nreport: {(output / 'traceability.html').resolve().as_uri()}")
    print(f"        (with traceability.md, traceability.json, cucumber.json and junit.xml in {output.resolve()})")
    if args.coverage:
        print(coverage_line(coverage, output / COVERAGE_JSON))
    if args.alluredir:
        print(allure_line(args.alluredir))
    problems = []
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED) or not report["summary"]["passed"]:
        problems.append("tests failed")
    if not report["summary"]["gates_passed"]:
        problems.append("gates violated")
    if args.coverage and (coverage is None or coverage < COVERAGE_FLOOR):
        problems.append(
            f"coverage {'unknown' if coverage is None else f'{coverage:.1f}'} % is below {COVERAGE_FLOOR:g} %"
        )
    if problems:
        print("FAILED: " + "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
