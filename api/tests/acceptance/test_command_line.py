"""``coze-acceptance``'s command line: selections, usage errors, paths and the ``covers`` marker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import coverage
import pytest

from coze_acceptance.cli import (
    ProjectError,
    RunCounter,
    SelectionError,
    allure_line,
    build_parser,
    coverage_line,
    main,
    marker_expression,
    output_folder,
    project_root,
    pytest_arguments,
    run_measurements,
    selection_folder,
    selection_labels,
    write_coverage,
)
from coze_acceptance.documents import FeatureDoc, load_features
from tests.acceptance.demo import write_demo
from tests.acceptance.project import write_project

ROOT = Path(__file__).resolve().parents[3]

pytest_plugins = ["pytester"]

#: ``--story US2``: its scenarios, and every scenario and unit test about the requirements they verify.
US2 = (
    "(story(id='US2')"
    + "".join(
        f" or fr(id={r!r}) or covers(id={r!r})" for r in ("FR-003", "FR-004", "FR-005", "FR-011", "FR-013", "FR-015")
    )
    + ")"
)


@pytest.fixture(scope="module")
def features() -> list[FeatureDoc]:
    """The project's own feature files."""
    return load_features(ROOT / "features", ROOT)


class TestCommandLineSelection:
    """``--story``, ``--priority`` and ``--tag`` select with the same markers as ``pytest -m``."""

    @pytest.mark.parametrize(
        ("argv", "expression"),
        [
            ([], None),
            (["--story", "US2"], US2),
            (["--story", "US2", "--priority", "P2"], f"{US2} and priority(id='P2')"),
            (["--tag", "acceptance:US2-AS1"], "acceptance(id='US2-AS1')"),
            (["--tag", "fr:FR-013"], "(fr(id='FR-013') or covers(id='FR-013'))"),
            (["--tag", "parity"], "parity"),
        ],
        ids=["everything", "story", "story-and-priority", "acceptance-tag", "requirement-tag", "flag-tag"],
    )
    def test_selection_becomes_marker_expression(
        self, features: list[FeatureDoc], argv: list[str], expression: str | None
    ) -> None:
        """Each option becomes the registered markers pytest selects with; a requirement takes its unit tests too."""
        assert marker_expression(build_parser().parse_args(argv), features) == expression

    @pytest.mark.parametrize(
        ("argv", "listed"),
        [
            (["--story", "US9"], "EDGE, US1, US2, US3, US4, US5"),
            (["--story", "us2"], "EDGE, US1, US2, US3, US4, US5"),
            (["--priority", "P9"], "P1, P2, P3, P4"),
            (["--tag", "prio:high"], "fr:FR-001 … fr:FR-020, parity"),
            (["--tag", "acceptance:US9-AS1"], "acceptance:US1-AS1"),
        ],
        ids=["unknown-story", "wrong-case-story", "unknown-priority", "unknown-tag", "unknown-acceptance-id"],
    )
    def test_unknown_selection_lists_valid_values(
        self, features: list[FeatureDoc], argv: list[str], listed: str
    ) -> None:
        """A value no feature file uses is refused, naming the valid ones."""
        with pytest.raises(SelectionError, match="is not one of") as caught:
            marker_expression(build_parser().parse_args(argv), features)
        assert listed in str(caught.value)

    def test_unknown_selection_is_a_usage_error_that_writes_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exit status 2 before anything runs; no report folder is created."""
        with pytest.raises(SystemExit) as caught:
            main(["--story", "us2", "--output", str(tmp_path / "out")])
        assert caught.value.code == 2
        assert "--story 'us2' is not one of: EDGE, US1" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()

    def test_pytest_usage_error_prints_only_pytest_message(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An option pytest rejects ends the run with pytest's own message: no table, no gates, no report."""
        monkeypatch.chdir(ROOT)
        assert main(["--output", str(tmp_path / "out"), "--", "--bogus"]) == pytest.ExitCode.USAGE_ERROR
        out, err = capsys.readouterr()
        assert "unrecognized arguments: --bogus" in err
        assert "gates" not in out + err
        assert not (tmp_path / "out").exists()

    @pytest.mark.parametrize(
        ("argv", "folder"),
        [
            ([], ""),
            (["--story", "US2"], "story-US2"),
            (["--tag", "fr:FR-013", "--priority", "P2"], "priority-P2_tag-fr-FR-013"),
        ],
        ids=["full", "story", "tag-and-priority"],
    )
    def test_partial_runs_write_to_their_own_folder(self, argv: list[str], folder: str) -> None:
        """A partial run leaves the full report alone: it writes to reports/<selection>/."""
        args = build_parser().parse_args(argv)
        assert selection_folder(args) == folder
        assert output_folder(args, ROOT, ROOT) == (ROOT / "reports" / folder if folder else ROOT / "reports")


class TestCommandLineHints:
    """A mistyped command line says how to write it."""

    @pytest.mark.parametrize(
        ("argv", "hint"),
        [
            (["-k", "chat", "--story", "US1"], "pytest options go after `--`: coze-acceptance --story US1 -- -k chat"),
            (
                ["--story", "US1", "--lf", "--", "-x"],
                "pytest options go after `--`: coze-acceptance --story US1 -- --lf -x",
            ),
            (["--tag", "FR-013"], "--tag 'FR-013' needs its kind: did you mean --tag fr:FR-013?"),
            (["--tag", "US2-AS1"], "did you mean --tag acceptance:US2-AS1?"),
        ],
        ids=["pytest-option-before-ours", "pytest-option-after-ours", "bare-requirement", "bare-acceptance-id"],
    )
    def test_usage_error_gives_the_right_command(
        self, capsys: pytest.CaptureFixture[str], argv: list[str], hint: str
    ) -> None:
        """A pytest option before ``--`` or a tag without its kind is a usage error naming the command meant."""
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
        assert hint in capsys.readouterr().err

    def test_alluredir_says_where_it_wrote(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The Allure line names the folder as an absolute path, with the command that shows it."""
        monkeypatch.chdir(tmp_path)
        where = tmp_path / "allure"
        assert allure_line(Path("allure")) == (
            f"allure results: {where} (view them with Allure 3: allure generate {where} && allure open)"
        )

    def test_help_is_plain_text(self) -> None:
        """``--help`` has no reStructuredText markup, and shows where pytest options go."""
        text = build_parser().format_help()
        assert "``" not in text
        assert "coze-acceptance -- --lf" in text


class TestCommandLinePartialRuns:
    """A selection after ``--`` is a partial run: its own folder, its own header, no false verdicts."""

    @pytest.mark.parametrize(
        ("argv", "folder", "labels"),
        [
            (["--", "--lf"], "pytest-lf", ["-- --lf"]),
            (["--", "-k", "bots"], "pytest-k-bots", ["-- -k bots"]),
            (["--", "-x", "-v", "--tb", "short"], "pytest-x", ["-- -x"]),
            (["--story", "US2", "--", "--ff"], "story-US2_pytest-ff", ["--story US2", "-- --ff"]),
            (["--", "-q", "--tb=short", "--durations", "5"], "", []),
        ],
        ids=["last-failed", "keyword", "stop-at-first", "story-and-failed-first", "display-only"],
    )
    def test_selection_after_dashes_is_partial(self, argv: list[str], folder: str, labels: list[str]) -> None:
        """``--lf``, ``-k``, ``-x`` and ``--ff`` make a partial run; options that only change the display do not."""
        args = build_parser().parse_args(argv)
        assert (selection_folder(args), selection_labels(args)) == (folder, labels)
        assert output_folder(args, ROOT, ROOT) == (ROOT / "reports" / folder if folder else ROOT / "reports")

    def test_long_node_id_folder_is_cut_with_a_digest(self) -> None:
        """A node id makes a folder name of at most 60 characters that still tells two selections apart."""
        one, two = (
            selection_folder(build_parser().parse_args(["--", f"api/tests/coze/test_coze_workflows.py::TestCoze{n}"]))
            for n in ("WorkflowStream::test_output_is_joined", "WorkflowStream::test_output_is_kept")
        )
        assert one.startswith("pytest-api-tests-coze-test_coze_workflows-py-Test")
        assert (len(one), len(two)) == (60, 60)
        assert one != two

    @pytest.mark.report_e2e
    def test_last_failed_rerun_leaves_the_full_report_alone(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """After a failing run, ``-- --lf`` writes to reports/pytest-lf/; the full report stays byte for byte."""
        write_project(pytester.path)
        monkeypatch.chdir(pytester.path)
        assert main([]) == 1
        full = {p.name: p.read_bytes() for p in (pytester.path / "reports").iterdir() if p.is_file()}
        assert main(["--", "--lf"]) == 1
        out = capsys.readouterr().out
        assert {p.name: p.read_bytes() for p in (pytester.path / "reports").iterdir() if p.is_file()} == full
        partial = json.loads((pytester.path / "reports" / "pytest-lf" / "traceability.json").read_text("utf-8"))
        assert partial["selection"] == ["-- --lf"]
        assert [g["name"] for g in partial["gates"] if g["status"] == "failed"] == []
        statuses = {s["name"]: s["status"] for story in partial["stories"] for s in story["scenarios"]}
        assert statuses == {"Declared": "not run in this selection", "Breaks": "failed"}
        assert "gates: all passed" in out
        assert "Partial run: -- --lf." in out


class TestCommandLineRunTime:
    """Which runs the report judges SC-003 on: only the plain serial run of the whole suite."""

    @pytest.mark.parametrize(
        ("argv", "judged"),
        [
            ([], True),
            (["--alluredir", "allure"], False),
            (["-n", "2"], False),
            (["--story", "US2"], False),
        ],
        ids=["plain", "alluredir", "workers", "story"],
    )
    def test_only_the_plain_full_run_is_judged(self, argv: list[str], judged: bool) -> None:
        """A run that writes Allure results, runs workers or selects a story says why its 5.5 s is not judged."""
        measured = run_measurements(build_parser().parse_args(argv), argv, 5.5, RunCounter(), None)
        gate = measured.run_time_gate()
        assert measured.command == " ".join(["coze-acceptance", *argv])
        assert (gate.status, gate.violations) == (
            ("failed", ("the run took 5.50 s",)) if judged else ("not judged", ())
        )


class TestCommandLinePaths:
    """Where the command looks and writes."""

    def test_output_parent_must_exist(self, tmp_path: Path) -> None:
        """``--output`` with a missing parent is refused; with an existing parent it is used as given."""
        with pytest.raises(ProjectError, match="does not exist"):
            output_folder(build_parser().parse_args(["--output", str(tmp_path / "a" / "b")]), ROOT, ROOT)
        args = build_parser().parse_args(["--output", "out"])
        assert output_folder(args, ROOT, tmp_path) == tmp_path / "out"

    def test_root_found_from_a_subfolder(self) -> None:
        """Run from ``api/``, the project root is found above it."""
        assert project_root(ROOT / "api") == ROOT

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda root: (root / "docs").mkdir(), "no features/ folder found"),
            (lambda root: (root / "features").mkdir(), "holds no .feature files"),
            (lambda root: (root / "features").mkdir() or (root / "features" / "a.feature").touch(), "no docs/spec.md"),
        ],
        ids=["no-features", "empty-features", "no-spec"],
    )
    def test_missing_project_parts_are_named(
        self, tmp_path: Path, make: Callable[[Path], object], message: str
    ) -> None:
        """A missing or empty ``features/`` or a missing spec gives that message."""
        make(tmp_path)
        with pytest.raises(ProjectError, match=message):
            project_root(tmp_path)


class TestCommandLineMarkers:
    """The ``covers`` marker is selectable with plain ``pytest -m``."""

    @pytest.mark.report_e2e
    def test_covers_is_selectable(self, pytester: pytest.Pytester) -> None:
        """``-m "covers(id='FR-004')"`` runs exactly the unit tests that cover FR-004."""
        write_demo(pytester.path)
        recorded = pytester.inline_run("test_coze_demo.py", "-m", "covers(id='FR-004')")
        passed, skipped, failed = recorded.listoutcomes()
        assert [r.nodeid for r in passed] == ["test_coze_demo.py::TestCozeDemoChecks::test_passes"]
        assert (skipped, failed) == ([], [])


class TestCommandLineCoverage:
    """``--coverage`` prints the percentage against its gate and where the per-file figures really are."""

    def test_pytest_cov_writes_no_report_of_its_own(self) -> None:
        """pytest-cov is asked for no report, so it prints no scratch path; the data is reported after the run."""
        arguments = pytest_arguments(build_parser().parse_args(["--coverage"]), None)
        assert [a for a in arguments if a.startswith("--cov-report")] == ["--cov-report="]

    def test_coverage_json_and_line(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The saved data becomes coverage.json in the report folder, and the line gives its branch percentage."""
        monkeypatch.chdir(tmp_path)
        (tmp_path / "module.py").write_text("x = 1\nif x:\n    y = 2\n", encoding="utf-8")
        data = coverage.CoverageData(".coverage")
        # Every statement ran; the branch from line 2 to the end never did.
        data.add_arcs({str(tmp_path / "module.py"): {(-1, 1), (1, 2), (2, 3), (3, -1)}})
        data.write()
        percent = write_coverage(tmp_path / "coverage.json")
        assert (
            percent == json.loads((tmp_path / "coverage.json").read_text(encoding="utf-8"))["totals"]["percent_covered"]
        )
        assert percent == 80.0
        assert coverage_line(percent, tmp_path / "coverage.json") == (
            f"coverage: 80.0 % branch (gate 95 %), per file in {tmp_path / 'coverage.json'}"
        )

    def test_no_data_is_said(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without measured data there is no percentage and no file, and the line says so."""
        monkeypatch.chdir(tmp_path)
        assert write_coverage(tmp_path / "coverage.json") is None
        assert not (tmp_path / "coverage.json").exists()
        assert coverage_line(None, tmp_path / "coverage.json") == "coverage: no data measured (gate 95 %)"
