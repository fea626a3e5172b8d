"""Standard exports: Cucumber JSON that validates and tells the truth, JUnit XML with properties, Allure results.

The Allure tests (``-m allure``) run pytest in subprocesses: allure-pytest-bdd's listeners are
process-wide, so an Allure run inside this process would report into this run's own results.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from coze_acceptance.documents import load_features
from coze_acceptance.exports import allure_labels, cucumber, junit, write_exports
from coze_acceptance.results import Results
from tests.acceptance.demo import DemoRun, write_demo

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
#: Written from the published Cucumber JSON schema; its ``$comment`` says which parts come from where.
SCHEMA = Path(__file__).parent / "testdata" / "cucumber-json.schema.json"
#: The module of US2-AS3, whose scenario runs the client tests in a nested pytest run.
US2_STEPS = "api/tests/coze/steps/test_us2_client_functionality.py"


def _cucumber(demo: DemoRun) -> list[dict[str, Any]]:
    return cucumber(demo.features, demo.results)


def _element(exported: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for feature in exported for e in feature["elements"] if e["name"] == name)


def _as_parity(results: Results, scenario: str) -> Results:
    """Only ``scenario`` of ``results``, run once per client as a parity scenario is."""
    [run] = [r for r in results.scenario_runs.values() if r.facts["scenario"] == scenario]
    parity = Results()
    for kind in ("sync", "async"):
        nodeid = f"{run.nodeid}[{kind}]"
        parity.scenario_runs[nodeid] = dataclasses.replace(run, nodeid=nodeid, facts={**run.facts, "kind": kind})
    return parity


class TestExportsCucumber:
    """``cucumber.json`` is right where pytest-bdd's is not."""

    def test_validates_against_the_cucumber_json_schema(self, demo: DemoRun) -> None:
        """Tools that import Cucumber JSON accept it."""
        import jsonschema  # only these two tests need it, and it costs 30 ms at collection

        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.Draft7Validator(schema).validate(_cucumber(demo))

    def test_schema_rejects_a_failure_without_message(self, demo: DemoRun) -> None:
        """The schema is not vacuous: a failed step without its error message is invalid."""
        import jsonschema  # see above

        exported = _cucumber(demo)
        step = next(s for s in _element(exported, "Failing step")["steps"] if s["result"]["status"] == "failed")
        del step["result"]["error_message"]
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        with pytest.raises(jsonschema.ValidationError, match="error_message"):
            jsonschema.validate(exported, schema)

    def test_undefined_step_is_undefined(self, demo: DemoRun) -> None:
        """The step without a definition is ``undefined``, not passed."""
        steps = _element(_cucumber(demo), "Undefined step")["steps"]
        assert [s["result"]["status"] for s in steps] == ["passed", "passed", "undefined"]

    def test_skipped_scenario_is_kept(self, demo: DemoRun) -> None:
        """The skipped scenario is exported, its skipping step and the rest skipped."""
        steps = _element(_cucumber(demo), "Skipped one")["steps"]
        assert [s["result"]["status"] for s in steps] == ["passed", "skipped", "skipped"]

    def test_failed_step_carries_message_and_definition(self, demo: DemoRun) -> None:
        """The failed step has its message and its step definition's file:line as the match."""
        [_, failed, after] = _element(_cucumber(demo), "Failing step")["steps"]
        assert failed["result"]["status"] == "failed"
        assert "At index 2 diff: 3 != 4" in failed["result"]["error_message"]
        assert failed["match"]["location"].startswith("test_demo_steps.py:")
        assert (failed["line"], after["result"]["status"]) == (24, "skipped")

    def test_parity_runs_say_their_client(self, demo: DemoRun) -> None:
        """A parity scenario's two runs are told apart by name, not only by id."""
        elements = [
            e for feature in cucumber(demo.features, _as_parity(demo.results, "Declared")) for e in feature["elements"]
        ]
        assert [e["name"] for e in elements] == ["Declared [async]", "Declared [sync]"]
        assert len({e["id"] for e in elements}) == 2

    def test_xdist_controller_gets_the_same_export(self, demo: DemoRun) -> None:
        """Reports serialized as between xdist workers and controller give the same Cucumber JSON."""
        assert cucumber(demo.features, demo.via_xdist) == cucumber(demo.features, demo.results)
        assert demo.via_xdist.facts == json.loads(json.dumps(demo.results.facts))


class TestExportsJunit:
    """``junit.xml`` for CI test tabs."""

    def test_properties_carry_story_acceptance_and_requirements(self, demo: DemoRun) -> None:
        """Each scenario case names its story, acceptance id and requirements; unit tests their requirements."""
        tree = junit(demo.results, 0.5)
        cases = {case.get("name"): case for case in tree.iter("testcase")}
        declared = {p.get("name"): p.get("value") for p in cases["test_declared"].iter("property")}
        assert (declared["story"], declared["acceptance"], declared["requirements"]) == ("US1", "US1-AS1", "FR-001")
        unit = {p.get("name"): p.get("value") for p in cases["test_declared_range"].iter("property")}
        assert unit == {"requirements": "FR-001"}

    def test_parity_runs_say_their_client(self, demo: DemoRun) -> None:
        """A parity scenario's two cases are named after their client, and each says which one it ran."""
        cases = list(junit(_as_parity(demo.results, "Declared"), 0.5).iter("testcase"))
        assert [case.get("name") for case in cases] == ["test_declared[sync]", "test_declared[async]"]
        clients = [p.get("value") for case in cases for p in case.iter("property") if p.get("name") == "client"]
        assert clients == ["sync", "async"]

    def test_failures_and_skips_are_counted(self, demo: DemoRun) -> None:
        """Failed and undefined runs are failures with their message; skips and expected failures are skipped."""
        suite = junit(demo.results, 0.5).getroot().find("testsuite")
        assert suite is not None
        assert (suite.get("failures"), suite.get("skipped")) == ("4", "2")
        failure = next(f for f in suite.iter("failure") if "lists are compared" in (f.text or ""))
        assert "features/demo.feature:24" in (failure.text or "")

    def test_files_are_written(self, demo: DemoRun, tmp_path: Path) -> None:
        """Both exports land in the report folder, and the XML parses."""
        files = write_exports(demo.features, demo.results, 0.5, tmp_path)
        assert [f.name for f in files] == ["cucumber.json", "junit.xml"]
        assert ET.parse(tmp_path / "junit.xml").getroot().tag == "testsuites"


class TestExportsAllureLabels:
    """The labels Allure's Behaviors view groups a scenario by."""

    def test_story_feature_file_acceptance_and_requirements(self) -> None:
        """Epic is story and feature name, feature the file, story the acceptance id, tags the requirements."""
        facts = {
            "feature_file": "features/us3_bot_operations.feature",
            "tags": ["acceptance:US3-AS1", "fr:FR-006", "fr:FR-012", "parity", "priority:P3", "story:US3"],
        }
        assert allure_labels("Bot Operations Testing", facts) == {
            "epic": ["US3 Bot Operations Testing"],
            "feature": ["us3_bot_operations.feature"],
            "story": ["US3-AS1"],
            "tag": ["FR-006", "FR-012"],
        }

    def test_without_story_or_acceptance_id(self) -> None:
        """A feature without a story tag is its own epic; a scenario without an acceptance id has no story."""
        facts = {"feature_file": "features/extra.feature", "tags": ["fr:FR-004"]}
        assert allure_labels("Extra", facts) == {
            "epic": ["Extra"],
            "feature": ["extra.feature"],
            "story": [],
            "tag": ["FR-004"],
        }


# A parity scenario for the Allure run, with a fixture that takes one parameter per client as the
# suite's ``coze_kind`` does; the braces in its name are text, not a placeholder.
PARITY_FEATURE = """\
@story:US1 @priority:P1
Feature: Both clients
  @acceptance:US1-AS3 @fr:FR-004 @parity
  Scenario: Runs with {each} client
    Given a client of each kind
"""

PARITY_STEPS = '''\
"""The parity demo's steps."""
import pytest
from pytest_bdd import given, scenarios

pytestmark = pytest.mark.usefixtures("coze_kind")

scenarios("parity.feature")


@pytest.fixture(params=["sync", "async"])
def coze_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@given("a client of each kind")
def _client(coze_kind: str) -> None: ...
'''

_ALLURE: dict[str, dict[str, dict[str, Any]]] = {}


def _read_allure(folder: Path) -> dict[str, dict[str, Any]]:
    """The Allure results in ``folder`` by test name, their labels as ``(name, value)`` pairs."""
    results = {}
    for path in folder.glob("*-result.json"):
        result = json.loads(path.read_text(encoding="utf-8"))
        result["labels"] = [(label["name"], label["value"]) for label in result["labels"]]
        results[result["name"]] = result
    return results


@pytest.fixture
def allure_demo(request: pytest.FixtureRequest) -> dict[str, dict[str, Any]]:
    """The demo and a parity scenario run as ``coze-acceptance --alluredir`` runs them; once per process."""
    if "results" not in _ALLURE:
        pytester: pytest.Pytester = request.getfixturevalue("pytester")
        write_demo(pytester.path)
        (pytester.path / "features" / "parity.feature").write_text(PARITY_FEATURE, encoding="utf-8")
        (pytester.path / "test_parity_steps.py").write_text(PARITY_STEPS, encoding="utf-8")
        # The demo's conftest imports the suite's helpers.
        request.getfixturevalue("monkeypatch").setenv("PYTHONPATH", str(ROOT / "api"))
        run = pytester.runpytest_subprocess(
            "-p", "coze_acceptance.plugin", "-p", "allure_pytest_bdd", "--alluredir=allure-results"
        )
        assert run.ret == pytest.ExitCode.TESTS_FAILED, run.stderr.str()  # the demo fails on purpose
        _ALLURE["results"] = _read_allure(pytester.path / "allure-results")
    return _ALLURE["results"]


@pytest.mark.allure
class TestExportsAllure:
    """``--alluredir`` hands the run to allure-pytest-bdd, with labels for Allure's Behaviors view."""

    def test_each_run_has_its_status(self, allure_demo: dict[str, dict[str, Any]]) -> None:
        """One result per scenario run: a failing scenario is failed, an undefined step broken."""
        assert {name: result["status"] for name, result in allure_demo.items()} == {
            "Declared": "passed",
            "Undefined step": "broken",
            "Skipped one": "skipped",
            "Failing step": "failed",
            "Lists bots on page 2": "passed",
            "Wrapped async step runs": "passed",
            "Bare async step": "broken",
            "Runs with {each} client [sync]": "passed",
            "Runs with {each} client [async]": "passed",
        }

    def test_labels_group_by_story_feature_and_acceptance(self, allure_demo: dict[str, dict[str, Any]]) -> None:
        """Epic is the story, feature the feature file, story the acceptance id; requirements are tags."""
        labels = [pair for pair in allure_demo["Declared"]["labels"] if pair[0] in ("epic", "feature", "story", "tag")]
        assert labels == [
            ("epic", "US1 SDK Installation and Configuration"),
            ("feature", "demo.feature"),
            ("story", "US1-AS1"),
            ("tag", "FR-001"),
        ]

    def test_scenario_without_acceptance_id_has_no_story(self, allure_demo: dict[str, dict[str, Any]]) -> None:
        """A scenario the spec does not list sits under its feature, its requirement a tag."""
        labels = allure_demo["Failing step"]["labels"]
        assert [pair for pair in labels if pair[0] in ("story", "tag")] == [("tag", "FR-004")]

    def test_parity_runs_say_their_client(self, allure_demo: dict[str, dict[str, Any]]) -> None:
        """Each run of a parity scenario is named after its client and labelled like any scenario."""
        for kind in ("sync", "async"):
            result = allure_demo[f"Runs with {{each}} client [{kind}]"]
            assert ("epic", "US1 Both clients") in result["labels"]
            assert result["parameters"] == [{"name": "coze_kind", "value": repr(kind)}]

    def test_nested_runs_stay_out_of_the_outer_results(self, tmp_path: Path) -> None:
        """An Allure run of the report tool's tests and of US2's nested run holds only US2's scenarios, all passed."""
        command = [sys.executable, "-m", "pytest", "api/tests/acceptance", US2_STEPS, "-q", "-p", "no:randomly"]
        command += ["-p", "coze_acceptance.plugin", "-p", "allure_pytest_bdd", f"--alluredir={tmp_path}"]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout[-3000:]
        written = _read_allure(tmp_path)
        [us2] = [
            f for f in load_features(ROOT / "features", ROOT) if f.path.endswith("/us2_client_functionality.feature")
        ]
        assert {re.sub(r" \[(sync|async)\]$", "", name) for name in written} == {s.name for s in us2.scenarios}
        assert {result["status"] for result in written.values()} == {"passed"}
