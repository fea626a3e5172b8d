"""The acceptance report: statuses pytest-bdd's own output gets wrong, failures in plain sight, every gate.

The demo project (``demo.py``) runs once in pytest's ``pytester`` folder with the acceptance
plugin; the tests read the report built from that run.
"""

from __future__ import annotations

import copy
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest

from coze_acceptance.documents import DocumentError, parse_feature, parse_spec
from coze_acceptance.evidence import BODY_LIMIT, exchange
from coze_acceptance.gates import check_gates, run_time_gate
from coze_acceptance.render import failure_places, html, markdown, message_lines, summary_line, terminal_table
from coze_acceptance.report import Measurements, _judge_stories, _stories, build_report
from coze_acceptance.results import Results, Run, clean_message
from tests.acceptance.demo import SPEC, DemoRun

pytest_plugins = ["pytester"]

FAILING_UNIT = "test_coze_demo.py::TestCozeDemoChecks::test_declared_range"


def _scenario(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for story in report["stories"] for s in story["scenarios"] if s["name"] == name)


def _story(report: dict[str, Any], story_id: str) -> dict[str, Any]:
    return next(story for story in report["stories"] if story["id"] == story_id)


def _requirement(report: dict[str, Any], fr_id: str) -> dict[str, Any]:
    return next(r for r in report["requirements"] if r["id"] == fr_id)


def _gate(report: dict[str, Any], name: str) -> list[str]:
    violations: list[str] = next(g["violations"] for g in report["gates"] if g["name"] == name)
    return violations


class TestReportStatuses:
    """Each scenario gets the status that really happened."""

    def test_passed_scenario(self, demo: DemoRun) -> None:
        """A scenario whose steps all ran is passed, with its run and duration."""
        scenario = _scenario(demo.report, "Declared")
        assert scenario["status"] == "passed"
        assert [run["status"] for run in scenario["runs"]] == ["passed"]

    def test_undefined_step_is_undefined(self, demo: DemoRun) -> None:
        """A step without a definition makes the scenario undefined, naming the step, not passed."""
        scenario = _scenario(demo.report, "Undefined step")
        assert scenario["status"] == "undefined"
        assert scenario["reason"] == "no step definition for: Then import succeeds without errors"
        assert scenario["failure_location"] == "features/demo.feature:13"
        assert demo.exit_code == pytest.ExitCode.TESTS_FAILED

    def test_skipped_scenario_is_listed_with_reason(self, demo: DemoRun) -> None:
        """A skipped scenario is in the report as skipped, with the skip reason."""
        scenario = _scenario(demo.report, "Skipped one")
        assert (scenario["status"], scenario["reason"]) == ("skipped", "no credentials in CI")

    def test_unbound_scenario_is_unbound(self, demo: DemoRun) -> None:
        """A scenario no test binds is reported as unbound, and the gate names it."""
        assert _scenario(demo.report, "Nobody binds me")["status"] == "unbound"
        assert _gate(demo.report, "unbound scenarios") == ["features/unbound.feature:4 'Nobody binds me'"]

    def test_wrapped_async_step_runs(self, demo: DemoRun) -> None:
        """An ``async def`` step under ``@async_step`` runs on pytest-asyncio's loop and passes."""
        assert _scenario(demo.report, "Wrapped async step runs")["status"] == "passed"

    def test_bare_async_step_fails_loudly(self, demo: DemoRun) -> None:
        """A bare ``async def`` step fails its scenario instead of passing without running."""
        scenario = _scenario(demo.report, "Bare async step")
        assert scenario["status"] == "failed"
        assert "must be wrapped with @async_step" in scenario["reason"]

    def test_story_spanning_two_features_is_one_entry(self, demo: DemoRun) -> None:
        """Scenarios of one story in two feature files are reported under that one story."""
        stories = {story["id"]: story for story in demo.report["stories"]}
        assert list(stories) == ["US1", "US2"]
        assert stories["US1"]["feature_files"] == ["features/async.feature", "features/demo.feature"]
        assert len(stories["US1"]["scenarios"]) == 7

    def test_run_fails_overall(self, demo: DemoRun) -> None:
        """Failed and undefined scenarios fail the run, and the summary says so."""
        assert demo.report["summary"]["passed"] is False


class TestReportSteps:
    """Each step of each run has its own status, duration and locations."""

    def test_every_step_status(self, demo: DemoRun) -> None:
        """Passed, failed, not reached, skipped and undefined steps are each named as such."""
        failing = _scenario(demo.report, "Failing step")["runs"][0]["steps"]
        assert [step["status"] for step in failing] == ["passed", "failed", "not reached"]
        skipped = _scenario(demo.report, "Skipped one")["runs"][0]["steps"]
        assert [step["status"] for step in skipped] == ["passed", "skipped", "not reached"]
        undefined = _scenario(demo.report, "Undefined step")["runs"][0]["steps"]
        assert [step["status"] for step in undefined] == ["passed", "passed", "undefined"]
        assert all(step["duration"] >= 0 for step in failing)

    def test_failure_names_feature_line_and_step_definition(self, demo: DemoRun) -> None:
        """A failing step shows the feature file:line and its definition's file:line."""
        scenario = _scenario(demo.report, "Failing step")
        assert scenario["failure_location"] == "features/demo.feature:24"
        definition = scenario["failure_definition"]
        assert definition.startswith("test_demo_steps.py:")
        line = int(definition.rsplit(":", 1)[1])
        source = (demo.root / "test_demo_steps.py").read_text(encoding="utf-8").splitlines()
        assert source[line - 1] == '@when("the lists are compared")'

    def test_failure_names_the_failing_line_too(self, demo: DemoRun) -> None:
        """Besides the definition's first line, the failing step names the line of the assertion that failed."""
        scenario = _scenario(demo.report, "Failing step")
        path, line = scenario["failure_line"].rsplit(":", 1)
        assert path == scenario["failure_definition"].rsplit(":", 1)[0]
        source = (demo.root / path).read_text(encoding="utf-8").splitlines()
        assert source[int(line) - 1] == "    assert [1, 2, 3] == [1, 2, 4]"
        failure = next(f for f in demo.report["failures"] if f["name"] == "Failing step")
        assert ("failed at", scenario["failure_line"]) in failure_places(failure)

    def test_message_keeps_lines_and_drops_pytest_hints(self, demo: DemoRun) -> None:
        """The assertion's explanation keeps its line breaks; pytest's "Use -v" hint is gone."""
        reason = _scenario(demo.report, "Failing step")["reason"]
        assert reason.startswith("When the lists are compared: AssertionError: assert [1, 2, 3] == [1, 2, 4]\n")
        assert "At index 2 diff: 3 != 4" in reason
        assert "Use -v" not in reason

    def test_clean_message(self) -> None:
        """Only pytest's command-line hints are dropped."""
        text = "assert a == b\n  \n  At index 0 diff\n  Use -v to get more diff\n"
        assert clean_message(text) == "assert a == b\n  \n  At index 0 diff"


def _failure(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in report["failures"] if f["name"] == name)


class TestReportFailingUnitTests:
    """A failing unit test counts against its requirements and their stories, everywhere."""

    def test_story_with_failing_unit_test_is_not_green(self, demo: DemoRun) -> None:
        """The failing test verifies FR-001, which US1 scenarios verify: US1 fails, and the failure names US1."""
        story = _story(demo.report, "US1")
        assert story["status"] == "failed"
        failing = _failure(demo.report, FAILING_UNIT)
        assert {"anchor": failing["anchor"], "how": "via FR-001"} in story["failures"]
        assert (failing["kind"], failing["requirements"], failing["stories"]) == (
            "unit test",
            ["FR-001"],
            [{"id": "US1", "how": "via FR-001"}],
        )
        assert failing["location"] == "test_coze_demo.py:12"
        assert "assert 'cozepy>=0.20' == 'cozepy>=0.19'" in failing["reason"]

    def test_requirement_names_the_failing_test(self, demo: DemoRun) -> None:
        """The requirement row carries the failing test's name, message and file:line."""
        fr1 = _requirement(demo.report, "FR-001")
        assert fr1["status"] == "failed"
        assert [(t["nodeid"], t["location"]) for t in fr1["failing_tests"]] == [(FAILING_UNIT, "test_coze_demo.py:12")]

    def test_every_output_shows_it(self, demo: DemoRun) -> None:
        """HTML, Markdown, JSON and the terminal each show the test, its message and file:line."""
        outputs = {
            "html": unescape(html(demo.report)),
            "markdown": markdown(demo.report),
            "json": json.dumps(demo.report),
            "terminal": terminal_table(demo.report),
        }
        for name, text in outputs.items():
            assert FAILING_UNIT in text, name
            assert "test_coze_demo.py:12" in text, name
            assert "cozepy>=0.20" in text, name

    def test_terminal_lists_each_failure_once_with_its_stories(self, demo: DemoRun) -> None:
        """Each story line says PASS or FAIL in 80 columns; each failure follows once, naming the stories it affects."""
        lines = terminal_table(demo.report).splitlines()
        table = lines[:2] + [line for line in lines if re.match(r"(US\d|EDGE) ", line)]
        assert [line.split()[:3] for line in table[2:]] == [["US1", "P1", "FAIL"], ["US2", "P2", "FAIL"]]
        assert max(len(line) for line in table) <= 80
        index = lines.index(f"  FAIL unit test {FAILING_UNIT} [FR-001]")
        assert lines[index + 1] == "    affects US1 (via FR-001)"
        assert lines.index("  FAIL scenario US1-AS2 [FR-001]") >= 0
        assert lines[lines.index("  FAIL scenario US2-AS1") + 1] == "    affects US2 (its scenario)"
        assert sum(FAILING_UNIT in line for line in lines) == 1

    def test_markdown_and_html_list_each_failure_once(self, demo: DemoRun) -> None:
        """The failure's message appears once in the Markdown and in the HTML; the story rows link to it."""
        message = "AssertionError: assert &#x27;cozepy&gt;=0.20&#x27; == &#x27;cozepy&gt;=0.19&#x27;"
        assert html(demo.report).count(message) == 2  # the failures section and the requirement row
        text = markdown(demo.report)
        assert text.count("AssertionError: assert 'cozepy>=0.20' == 'cozepy>=0.19'") == 1
        row = next(line for line in text.splitlines() if line.startswith("| US1 "))
        anchor = _failure(demo.report, FAILING_UNIT)["anchor"]
        assert f"[unit test {FAILING_UNIT} [FR-001]](#{anchor})" in row


class TestReportTerminal:
    """The terminal summary cuts nothing a reader needs to rerun a test or open a file."""

    def test_assertion_shows_what_differs(self, demo: DemoRun) -> None:
        """Under a failing assertion's first line come pytest's lines that say which items differ."""
        lines = terminal_table(demo.report).splitlines()
        failing = next(i for i, line in enumerate(lines) if line.startswith("    features/demo.feature:24 "))
        assert lines[failing].endswith("When the lists are compared: AssertionError: assert [1, 2, 3] == [1, 2, 4]")
        assert lines[failing + 1] == "      At index 2 diff: 3 != 4"

    def test_gate_lines_are_whole_and_name_files(self, demo: DemoRun) -> None:
        """Gate violations are printed whole, with a step definition's file path, never cut with "…"."""
        lines = terminal_table(demo.report).splitlines()
        assert (
            "  - spec drift: US2-AS1 DIFFERS: spec 'Then clients initialize' vs feature 'Then clients initialise'"
            in lines
        )
        [unused] = [line for line in lines if line.startswith("  - unused step definitions:")]
        assert re.fullmatch(
            r"  - unused step definitions: @given\('an orphan step nobody uses'\) test_demo_steps\.py:\d+", unused
        )
        assert "…" not in "\n".join(lines)

    def test_long_node_id_stays_on_one_line(self, demo: DemoRun) -> None:
        """A node id longer than the terminal is printed whole, so it can be copied to rerun the test."""
        report = copy.deepcopy(demo.report)
        nodeid = "api/tests/coze/test_coze_bots.py::TestCozeBotsList::test_first_page_request_and_items[sync]"
        _failure(report, FAILING_UNIT)["name"] = nodeid
        assert f"  FAIL unit test {nodeid} [FR-001]" in terminal_table(report).splitlines()

    def test_long_strings_show_where_they_differ(self) -> None:
        """Two long strings pytest cuts alike (``'{"day1":"Lou..."Versailles"}'``) get an excerpt where they differ."""
        left = '{"day1":"Louvre","day2":"Orsay","day3":"Versailles"}'
        right = '{"day1":"Louvre","day2":"Orsey","day3":"Versailles"}'
        with pytest.raises(AssertionError) as caught:
            assert left == right
        message = clean_message(str(caught.value))
        assert summary_line(message) == (
            'assert \'{"day1":"Lou..."Versailles"}\' == \'{"day1":"Lou..."Versailles"}\' (first difference at '
            'character 29: \'…re","day2":"Orsay","day3":"Ver…\' vs \'…re","day2":"Orsey","day3":"Ver…\')'
        )

    @pytest.mark.parametrize(
        ("left", "right", "shown"),
        [
            ([1, 2, 3], [1, 2, 4], ["At index 2 diff: 3 != 4"]),
            ([1, 2], [1, 2, 3], ["Right contains one more item: 3"]),
            ({"a": 1, "b": 2}, {"a": 1, "b": 3}, ["Differing items:", "{'b': 2} != {'b': 3}"]),
        ],
        ids=["list-item", "list-length", "dict-item"],
    )
    def test_message_lines(self, left: object, right: object, shown: list[str]) -> None:
        """The explanation pytest writes (with or without CI's full diff) yields its first and its differing lines."""
        with pytest.raises(AssertionError) as caught:
            assert left == right
        assert message_lines(clean_message(str(caught.value))) == [f"assert {left!r} == {right!r}", *shown]


class TestReportRequirements:
    """Requirements are verified only by what really checks them."""

    def test_unverified_requirement_is_flagged(self, demo: DemoRun) -> None:
        """A requirement no scenario, unit test or gate verifies is flagged."""
        assert _gate(demo.report, "unverified requirements") == ["FR-010"]
        fr4 = _requirement(demo.report, "FR-004")
        assert fr4["status"] == "failed"
        assert [s["acceptance_id"] for s in fr4["scenarios"]] == ["US1-AS3", "", ""]

    def test_not_checkable_requirement_is_never_passed(self, demo: DemoRun) -> None:
        """FR-002 (the Dify comparison) says why it cannot be checked here."""
        fr2 = _requirement(demo.report, "FR-002")
        assert fr2["status"] == "not checkable here"
        assert "Dify" in fr2["not_checkable"]

    def test_docstring_and_class_gates_verify_their_requirements(self, demo: DemoRun) -> None:
        """FR-018 and FR-019 are verified by gates, which name the test breaking them."""
        assert _gate(demo.report, "docstrings") == ["test_coze_demo.py::test_loose: no docstring"]
        assert _gate(demo.report, "test classes") == [
            "test_coze_demo.py::test_loose: not in a TestCoze<Area><Feature> class"
        ]
        assert _requirement(demo.report, "FR-018")["gates"] == [{"name": "docstrings", "status": "failed"}]
        assert _requirement(demo.report, "FR-019")["status"] == "failed"

    def test_run_time_gate(self) -> None:
        """SC-003 is judged on the wall time, except under coverage, workers, Allure results or a partial run."""
        assert run_time_gate(4.99).status == "passed"
        assert run_time_gate(5.0).violations == ("the run took 5.00 s",)
        assert run_time_gate(5.2).status == "failed"
        assert run_time_gate(5.2, traced=True).not_judged.startswith("not judged under --coverage")
        assert run_time_gate(5.2, parallel=True).not_judged.startswith("not judged under -n")
        assert run_time_gate(5.2, exported=True).not_judged.startswith("not judged under --alluredir")
        assert run_time_gate(5.2, partial=True).status == "not judged"
        assert run_time_gate(5.2, partial=True).passed

    def test_environment_block(self, demo: DemoRun) -> None:
        """The report states Python, the packages, the commit, the date, the command and the selection."""
        env = demo.report["environment"]
        assert env["python"].split()[-1].startswith("3.")
        assert set(env["packages"]) >= {"cozepy", "pytest", "pytest-bdd"}
        assert {"commit", "dirty", "date", "command", "selection"} <= set(env)
        assert env["selection"] == ["everything"]


class TestReportPartialRun:
    """A partial run judges what it ran and says "not judged" or "not run in this selection" for the rest."""

    def test_partial_report_makes_no_whole_suite_claims(self, demo: DemoRun) -> None:
        """The demo's run read as ``-- --lf``: no unbound scenario, no unverified requirement, no run-time verdict."""
        measured = Measurements(duration_seconds=9.0, tests_run=3, collection_errors=0, selection=("-- --lf",))
        report = build_report(parse_spec(SPEC), demo.features, demo.results, measured, demo.root)
        assert _scenario(report, "Nobody binds me")["status"] == "not run in this selection"
        statuses = {g["name"]: g["status"] for g in report["gates"]}
        assert {name for name, status in statuses.items() if status == "not judged"} == {
            "unbound scenarios",
            "unused step definitions",
            "ambiguous steps",
            "docstrings",
            "test classes",
            "run time",
            "unverified requirements",
        }
        assert statuses["spec drift"] == "failed"  # it reads the files, which a selection does not change
        assert "Partial run: -- --lf." in terminal_table(report)
        criteria = {c["id"]: c["status"] for c in report["criteria"]}
        assert criteria == {"SC-001": "not judged", "SC-003": "not judged", "SC-007": "not judged"}

    def test_every_criterion_has_a_status(self, demo: DemoRun) -> None:
        """Each success criterion says passed, failed, not judged (with why) or checked in CI."""
        statuses = {c["id"]: (c["status"], bool(c["note"])) for c in demo.report["criteria"]}
        assert statuses == {"SC-001": ("passed", False), "SC-003": ("passed", False), "SC-007": ("failed", True)}


class TestReportGates:
    """The gates that pytest-bdd has no answer for."""

    def test_unused_step_definition(self, demo: DemoRun) -> None:
        """A step definition no scenario uses is reported with its file path and line, which the reader can open."""
        [unused] = _gate(demo.report, "unused step definitions")
        definition, line = unused.removeprefix("@given('an orphan step nobody uses') ").split(":")
        assert definition == "test_demo_steps.py"
        source = (demo.root / definition).read_text(encoding="utf-8").splitlines()
        assert source[int(line) - 1] == '@given("an orphan step nobody uses")'

    def test_ambiguous_step(self, demo: DemoRun) -> None:
        """A step two definitions match is reported with both."""
        ambiguous = _gate(demo.report, "ambiguous steps")
        assert any("'Given pyproject.toml exists'" in a and "(?:exists|is there)" in a for a in ambiguous)

    def test_verbatim_drift_differs(self, demo: DemoRun) -> None:
        """A step reworded from the spec is DIFFERS, naming both texts; an absent scenario is MISSING."""
        drift = _gate(demo.report, "spec drift")
        assert "US2-AS1 DIFFERS: spec 'Then clients initialize' vs feature 'Then clients initialise'" in drift
        assert "EC-1 MISSING" in drift
        assert _scenario(demo.report, "Declared")["verbatim"] == "matches"

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

    def test_spec_without_stories_is_rejected(self) -> None:
        """A spec with no user story headings cannot be traced against."""
        with pytest.raises(DocumentError, match="no user stories"):
            parse_spec("# Nothing to see\n")

    def test_project_spec_copy_is_unchanged(self) -> None:
        """``docs/spec.md`` parses into the five stories and seventeen acceptance scenarios of the spec."""
        spec = parse_spec((Path(__file__).resolve().parents[3] / "docs" / "spec.md").read_text(encoding="utf-8"))
        assert [s.id for s in spec.stories] == ["US1", "US2", "US3", "US4", "US5"]
        assert sum(len(s.scenarios) for s in spec.stories) == 17
        assert (len(spec.edge_cases), len(spec.requirements), len(spec.criteria)) == (8, 20, 8)


class TestReportWireEvidence:
    """Each scenario keeps the HTTP exchanges it made, with credentials masked."""

    def test_scenario_records_its_exchanges(self, demo: DemoRun) -> None:
        """The demo's listing scenario shows the page it asked for, the status and the logid."""
        [x] = _scenario(demo.report, "Lists bots on page 2")["runs"][0]["exchanges"]
        assert (x["method"], x["url"], x["status"], x["logid"]) == (
            "GET",
            "https://api.coze.cn/v1/bots?page_index=2",
            200,
            "demo-logid",
        )
        assert x["request_headers"]["authorization"] == "Bearer ***"

    def test_secret_never_reaches_any_output(self, demo: DemoRun) -> None:
        """The demo's token appears in no output of the report."""
        for text in (html(demo.report), markdown(demo.report), json.dumps(demo.report), terminal_table(demo.report)):
            assert "pat_demo_secret" not in text

    def test_bodies_are_trimmed(self) -> None:
        """A large body is cut and says how much was left out."""
        request = httpx.Request("POST", "https://api.coze.cn/v3/chat", content=b"x" * (BODY_LIMIT + 10))
        recorded = exchange(request, httpx.Response(200, content=b"{}"))
        assert recorded["request_body"].endswith("… (10 more characters)")
        assert (recorded["status"], recorded["response_body"], recorded["logid"]) == (200, "{}", "")


class TestReportCiTiers:
    """A full run leaves the project's own CI tiers (`-m "not live_contract"`) to CI, and says so."""

    FEATURE = "@story:US1 @priority:P1\nFeature: F\n  Scenario: Here\n    Given a\n  Scenario: In a tier\n    Given b\n"

    def _story(self, *, partial: bool) -> dict[str, Any]:
        results = Results()
        run = results.scenario_runs.setdefault("here", Run("here", {"feature_file": "x.feature", "scenario": "Here"}))
        run.status = "passed"
        facts = {
            "bound": [["x.feature", "Here"], ["x.feature", "In a tier"]],
            "deselected_scenarios": [["x.feature", "In a tier"]],
            "tier_scenarios": [["x.feature", "In a tier", "live_contract"]],
        }
        feature = parse_feature(self.FEATURE, "x.feature")
        [story] = _stories(parse_spec(SPEC), [feature], results, facts, partial)
        _judge_stories([story], [])
        return story

    def test_tier_scenario_is_left_to_ci_and_the_story_is_whole(self) -> None:
        """Its reason names the command CI runs it with, and its story passes, not partly run."""
        story = self._story(partial=False)
        tiered = story["scenarios"][1]
        assert (tiered["status"], tiered["ci_tier"]) == ("not run in this selection", "live_contract")
        assert tiered["reason"] == "checked in CI, in its own tier: uv run pytest -m live_contract"
        assert (story["status"], story["partly_run"]) == ("passed", False)

    def test_a_partial_run_does_not_speak_for_the_tier(self) -> None:
        """Under a selection the same scenario is just not in it, and the story is partly run."""
        story = self._story(partial=True)
        assert (story["scenarios"][1]["ci_tier"], story["scenarios"][1]["reason"]) == (None, "")
        assert (story["status"], story["partly_run"]) == ("passed", True)
