"""The acceptance report itself: statuses pytest-bdd's own output gets wrong, and every gate.

A small project (two feature files, one step module, a two-story spec) is run once in-process
with the acceptance plugin; the tests then read the report built from that run. pytest-bdd's
cucumber JSON would call the undefined scenario passed and leave out the skipped one.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from coze_acceptance.cli import build_parser, marker_expression
from coze_acceptance.documents import DocumentError, load_features, parse_feature, parse_spec
from coze_acceptance.gates import check_gates
from coze_acceptance.render import html, markdown, terminal_table
from coze_acceptance.report import Measurements, build_report
from coze_acceptance.results import Results

pytestmark = pytest.mark.covers("FR-002", "FR-018", "FR-019")

SPEC = """\
### User Story 1 - SDK Installation and Configuration (Priority: P1)

Developers can install the SDK.

1. **Given** pyproject.toml exists, **When** Coze SDK dependency is added, **Then** the SDK package (cozepy) is listed
2. **Given** SDK is installed, **When** importing cozepy in Python code, **Then** import succeeds without errors
3. **Given** environment variables are configured, **When** initializing Coze client, **Then** client authenticates

### User Story 2 - Basic Client (Priority: P2)

Developers can verify the client.

1. **Given** test fixtures for credentials, **When** tests execute client initialization, **Then** clients initialize

### Edge Cases

- What happens when the token expires?

## Requirements

- **FR-001**: System MUST add cozepy
- **FR-002**: System MUST do something nobody tests
- **FR-004**: System MUST initialise the sync client
- **SC-001**: Tests run without import errors
"""

DEMO_FEATURE = """\
@story:US1 @priority:P1
Feature: SDK Installation and Configuration
  @acceptance:US1-AS1 @fr:FR-001
  Scenario: Declared
    Given pyproject.toml exists
    When Coze SDK dependency is added
    Then the SDK package (cozepy) is listed

  @acceptance:US1-AS2 @fr:FR-001
  Scenario: Undefined step
    Given SDK is installed
    When importing cozepy in Python code
    Then import succeeds without errors

  @acceptance:US1-AS3 @fr:FR-004
  Scenario: Skipped one
    Given environment variables are configured
    When initializing Coze client
    Then client authenticates
"""

ASYNC_FEATURE = """\
@story:US1 @priority:P1
Feature: Async steps
  @fr:FR-005
  Scenario: Wrapped async step runs
    Given an async step wrapped with async_step
    Then its coroutine really ran on the event loop

  @fr:FR-005
  Scenario: Bare async step
    Given an async step left bare
"""

UNBOUND_FEATURE = """\
@story:US2 @priority:P2
Feature: Basic Client
  @acceptance:US2-AS1
  Scenario: Nobody binds me
    Given test fixtures for credentials
    When tests execute client initialization
    Then clients initialise
"""

STEPS = """\
import asyncio

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.coze.steps.async_steps import async_step

scenarios("demo.feature")


@given("pyproject.toml exists")
@given(parsers.re("pyproject.toml (?:exists|is there)"))
def _exists() -> None: ...


@when("Coze SDK dependency is added")
def _added() -> None: ...


@then("the SDK package (cozepy) is listed")
def _listed() -> None: ...


@given("SDK is installed")
def _installed() -> None: ...


@when("importing cozepy in Python code")
def _importing() -> None: ...


@given("environment variables are configured")
def _configured() -> None: ...


@when("initializing Coze client")
def _initializing() -> None:
    pytest.skip("no credentials in CI")


@then("client authenticates")
def _authenticates() -> None: ...


@given("an orphan step nobody uses")
def _orphan() -> None: ...


scenarios("async.feature")


@given("an async step wrapped with async_step", target_fixture="ran")
@async_step
async def _wrapped() -> list[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return [asyncio.get_running_loop()]


@then("its coroutine really ran on the event loop")
def _really_ran(ran: list[asyncio.AbstractEventLoop]) -> None:
    assert ran and not ran[0].is_running()


@given("an async step left bare")
async def _bare() -> None:
    raise AssertionError("a bare async step body never runs")
"""

INI = """\
[pytest]
addopts = --strict-markers --disable-plugin-autoload -p pytest_bdd.plugin -p asyncio -p no:cacheprovider
    --import-mode=importlib
asyncio_default_fixture_loop_scope = function
bdd_features_base_dir = features
markers =
    story(id): story
    priority(id): priority
    acceptance(id): acceptance scenario
    fr(id): requirement
    parity: both clients
    covers(*ids): requirements
"""

# The suite's own BDD wiring: the tag hook, the bare-async-step guard and the loop fixture.
CONFTEST = """\
from coze_acceptance.tags import pytest_bdd_apply_tag
from tests.coze.steps.async_steps import bdd_event_loop
from tests.coze.steps.conftest import pytest_bdd_before_step
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the demo project once and build its report."""
    root = tmp_path_factory.mktemp("demo")
    (root / "features").mkdir()
    (root / "features" / "demo.feature").write_text(DEMO_FEATURE)
    (root / "features" / "unbound.feature").write_text(UNBOUND_FEATURE)
    (root / "features" / "async.feature").write_text(ASYNC_FEATURE)
    (root / "test_demo_steps.py").write_text(STEPS)
    (root / "conftest.py").write_text(CONFTEST)
    (root / "pytest.ini").write_text(INI)
    results = Results()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        exit_code = pytest.main(
            [
                str(root),
                "-c",
                str(root / "pytest.ini"),
                "--rootdir",
                str(root),
                "-q",
                "-p",
                "coze_acceptance.plugin",
                "--tb=native",
            ],
            plugins=[results],
        )
    measured = Measurements(duration_seconds=0.1, tests_run=3, collection_errors=0)
    report = build_report(parse_spec(SPEC), load_features(root / "features", root), results, measured)
    return {"exit_code": exit_code, "report": report}


def _scenario(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for story in report["stories"] for s in story["scenarios"] if s["name"] == name)


def _gate(report: dict[str, Any], name: str) -> list[str]:
    violations: list[str] = next(g["violations"] for g in report["gates"] if g["name"] == name)
    return violations


class TestCozeTraceabilityStatuses:
    """Each scenario gets the status that really happened."""

    def test_passed_scenario(self, demo: dict[str, Any]) -> None:
        """A scenario whose steps all ran is passed, with its run and duration."""
        scenario = _scenario(demo["report"], "Declared")
        assert scenario["status"] == "passed"
        assert [run["status"] for run in scenario["runs"]] == ["passed"]

    def test_undefined_step_is_undefined(self, demo: dict[str, Any]) -> None:
        """A step without a definition makes the scenario undefined, naming the step, not passed."""
        scenario = _scenario(demo["report"], "Undefined step")
        assert scenario["status"] == "undefined"
        assert scenario["reason"] == "no step definition for: Then import succeeds without errors"
        assert demo["exit_code"] == pytest.ExitCode.TESTS_FAILED

    def test_skipped_scenario_is_listed_with_reason(self, demo: dict[str, Any]) -> None:
        """A skipped scenario is in the report as skipped, with the skip reason."""
        scenario = _scenario(demo["report"], "Skipped one")
        assert (scenario["status"], scenario["reason"]) == ("skipped", "no credentials in CI")

    def test_unbound_scenario_is_unbound(self, demo: dict[str, Any]) -> None:
        """A scenario no test binds is reported as unbound, and the gate names it."""
        assert _scenario(demo["report"], "Nobody binds me")["status"] == "unbound"
        assert _gate(demo["report"], "unbound scenarios") == ["features/unbound.feature:4 'Nobody binds me'"]

    def test_wrapped_async_step_runs(self, demo: dict[str, Any]) -> None:
        """An ``async def`` step under ``@async_step`` runs on pytest-asyncio's loop and passes."""
        assert _scenario(demo["report"], "Wrapped async step runs")["status"] == "passed"

    def test_bare_async_step_fails_loudly(self, demo: dict[str, Any]) -> None:
        """A bare ``async def`` step fails its scenario instead of passing without running."""
        scenario = _scenario(demo["report"], "Bare async step")
        assert scenario["status"] == "failed"
        assert "must be wrapped with @async_step" in scenario["reason"]

    def test_story_spanning_two_features_is_one_entry(self, demo: dict[str, Any]) -> None:
        """Scenarios of one story in two feature files are reported under that one story."""
        stories = {story["id"]: story for story in demo["report"]["stories"]}
        assert list(stories) == ["US1", "US2"]
        assert stories["US1"]["feature_files"] == ["features/async.feature", "features/demo.feature"]
        assert len(stories["US1"]["scenarios"]) == 5

    def test_run_fails_overall(self, demo: dict[str, Any]) -> None:
        """An undefined scenario fails the run, and the summary says so."""
        assert demo["report"]["summary"]["passed"] is False


class TestCozeTraceabilityGates:
    """The gates that pytest-bdd has no answer for."""

    def test_unused_step_definition(self, demo: dict[str, Any]) -> None:
        """A step definition no scenario uses is reported with its location."""
        [unused] = _gate(demo["report"], "unused step definitions")
        assert unused.startswith("@given('an orphan step nobody uses') test_demo_steps:")

    def test_ambiguous_step(self, demo: dict[str, Any]) -> None:
        """A step two definitions match is reported with both."""
        [ambiguous] = _gate(demo["report"], "ambiguous steps")
        assert "'Given pyproject.toml exists'" in ambiguous
        assert "pyproject.toml (?:exists|is there)" in ambiguous

    def test_verbatim_drift_differs(self, demo: dict[str, Any]) -> None:
        """A step reworded from the spec is DIFFERS, naming both texts; an absent scenario is MISSING."""
        drift = _gate(demo["report"], "spec drift")
        assert "US2-AS1 DIFFERS: spec 'Then clients initialize' vs feature 'Then clients initialise'" in drift
        assert "EC-1 MISSING" in drift
        assert _scenario(demo["report"], "Declared")["verbatim"] == "matches"

    def test_unverified_requirement_is_flagged(self, demo: dict[str, Any]) -> None:
        """A requirement no scenario or unit test declares is flagged."""
        assert _gate(demo["report"], "unverified requirements") == ["FR-002"]
        fr4 = next(r for r in demo["report"]["requirements"] if r["id"] == "FR-004")
        assert (fr4["status"], [s["acceptance_id"] for s in fr4["scenarios"]]) == ("skipped", ["US1-AS3"])

    @pytest.mark.parametrize(
        ("feature", "gate", "expected"),
        [
            (
                "Feature: F\n  Scenario: Twice\n    Given a\n  Scenario: Twice\n    Given b\n",
                "duplicate scenario names",
                "x.feature: 'Twice' appears 2 times (pytest-bdd keeps only the last)",
            ),
            ("Feature: F\n  Scenario: Nothing here\n", "empty scenarios", "x.feature:2 'Nothing here'"),
            (
                "@story:US9\nFeature: F\n  @prio:high\n  Scenario: S\n    Given a\n",
                "tags",
                "x.feature: tag @story:US9 is not in the allowed set (see coze_acceptance.tags)",
            ),
        ],
        ids=["duplicate-names", "empty-scenario", "unknown-tags"],
    )
    def test_feature_file_gates(self, feature: str, gate: str, expected: str) -> None:
        """Duplicate names, empty scenarios and tags outside the grammar are each a violation."""
        gates = {g.name: g.violations for g in check_gates(parse_spec(SPEC), [parse_feature(feature, "x.feature")], {})}
        assert expected in gates[gate]

    def test_unparsable_feature_is_an_error(self) -> None:
        """A feature file gherkin cannot parse raises, naming the file."""
        with pytest.raises(DocumentError, match=r"broken\.feature"):
            parse_feature("Feature: F\n  Scenario: S\n    Given a\n  | lonely table |\n  Then: x\n", "broken.feature")


class TestCozeTraceabilityRendering:
    """The three outputs product owners and CI read."""

    def test_html_is_self_contained(self, demo: dict[str, Any]) -> None:
        """The HTML page loads nothing: no scripts, no external stylesheets, fonts or images."""
        page = html(demo["report"])
        assert page.startswith("<!doctype html>")
        for forbidden in ("<script", "<link", "http://", "https://", "@import", "<img"):
            assert forbidden not in page

    def test_markdown_and_terminal_list_every_story(self, demo: dict[str, Any]) -> None:
        """Both text outputs carry a row per story and the failed gates."""
        text, table = markdown(demo["report"]), terminal_table(demo["report"])
        for story in ("US1", "US2"):
            assert f"| {story} |" in text
            assert any(line.startswith(story) for line in table.splitlines())
        assert "gates FAILED: unbound scenarios" in table

    def test_spec_without_stories_is_rejected(self) -> None:
        """A spec with no user story headings cannot be traced against."""
        with pytest.raises(DocumentError, match="no user stories"):
            parse_spec(textwrap.dedent("# Nothing to see\n"))


def test_project_spec_copy_is_unchanged() -> None:
    """``docs/spec.md`` parses into the five stories and seventeen acceptance scenarios of the spec."""
    spec = parse_spec((Path(__file__).resolve().parents[3] / "docs" / "spec.md").read_text(encoding="utf-8"))
    assert [s.id for s in spec.stories] == ["US1", "US2", "US3", "US4", "US5"]
    assert sum(len(s.scenarios) for s in spec.stories) == 17
    assert (len(spec.edge_cases), len(spec.requirements), len(spec.criteria)) == (8, 20, 8)


class TestCozeTraceabilityCommandLine:
    """``coze-acceptance`` selects scenarios with the same markers as ``pytest -m``."""

    @pytest.mark.parametrize(
        ("argv", "expression"),
        [
            ([], None),
            (["--story", "US2"], "story(id='US2')"),
            (["--story", "US2", "--priority", "P2"], "story(id='US2') and priority(id='P2')"),
            (["--tag", "acceptance:US2-AS1"], "acceptance(id='US2-AS1')"),
            (["--tag", "parity"], "parity"),
        ],
        ids=["everything", "story", "story-and-priority", "acceptance-tag", "flag-tag"],
    )
    def test_selection_becomes_marker_expression(self, argv: list[str], expression: str | None) -> None:
        """Each option becomes the registered marker pytest selects with."""
        assert marker_expression(build_parser().parse_args(argv)) == expression

    def test_unknown_tag_is_rejected(self) -> None:
        """A tag outside the grammar is an error, not a selection that silently matches nothing."""
        with pytest.raises(ValueError, match="not in the allowed set"):
            marker_expression(build_parser().parse_args(["--tag", "prio:high"]))
