"""Standard exports: Cucumber JSON that validates and tells the truth, JUnit XML with properties, Allure results."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from coze_acceptance.exports import cucumber, junit, write_exports
from tests.acceptance.demo import DemoRun

pytest_plugins = ["pytester"]

#: Written from the published Cucumber JSON schema; its ``$comment`` says which parts come from where.
SCHEMA = Path(__file__).parent / "testdata" / "cucumber-json.schema.json"


def _cucumber(demo: DemoRun) -> list[dict[str, Any]]:
    return cucumber(demo.features, demo.results)


def _element(exported: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for feature in exported for e in feature["elements"] if e["name"] == name)


class TestExportsCucumber:
    """``cucumber.json`` is right where pytest-bdd's is not."""

    def test_validates_against_the_cucumber_json_schema(self, demo: DemoRun) -> None:
        """Tools that import Cucumber JSON accept it."""
        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        jsonschema.Draft7Validator(schema).validate(_cucumber(demo))

    def test_schema_rejects_a_failure_without_message(self, demo: DemoRun) -> None:
        """The schema is not vacuous: a failed step without its error message is invalid."""
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


class TestExportsAllure:
    """``--alluredir`` hands the run to allure-pytest-bdd."""

    def test_allure_results_are_written(self, demo: DemoRun) -> None:
        """One Allure result file per scenario run, named after the scenario."""
        results = demo.alluredir.glob("*-result.json")
        names = {json.loads(p.read_text(encoding="utf-8"))["name"] for p in results}
        assert {"Declared", "Failing step", "Skipped one"} <= names
