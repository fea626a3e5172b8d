"""Standard exports of a run, for tools that read Cucumber JSON or JUnit XML.

- ``cucumber.json``: what pytest-bdd's ``--cucumberjson`` gets wrong is right here: a step without
  a definition is ``undefined`` (not passed), skipped scenarios are kept, and under xdist every
  worker's scenarios are in it (the controller's merged results are the source).
- ``junit.xml``: one test case per scenario run and unit test, with its story, acceptance id and
  requirements as ``<property>`` elements, for CI test tabs.
- Allure results are allure-pytest-bdd's; :func:`mark_for_allure` gives each scenario the labels
  Allure's Behaviors view groups by (story, feature file, acceptance id) and its requirements.

In all three, a parity scenario's two runs are named after their client: ``… [sync]``, ``… [async]``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from coze_acceptance.documents import FeatureDoc, ScenarioDoc
from coze_acceptance.results import FAILING, Results, Run

#: Step statuses of the report as Cucumber names them; a step never reached counts as skipped.
_CUCUMBER_STATUS = {"passed": "passed", "failed": "failed", "undefined": "undefined", "skipped": "skipped"}
_NANOSECONDS = 1_000_000_000


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def run_name(scenario: str, kind: str | None) -> str:
    """A scenario run's name: a parity scenario's run says its client, ``… [sync]`` or ``… [async]``."""
    return f"{scenario} [{kind}]" if kind else scenario


def _tag_values(tags: list[str]) -> tuple[dict[str, str], list[str]]:
    """The ``key:value`` tags of a scenario (but ``fr``) by key, and its requirement ids."""
    keyed = {tag.split(":", 1)[0]: tag.split(":", 1)[1] for tag in tags if ":" in tag and not tag.startswith("fr:")}
    return keyed, [tag.split(":", 1)[1] for tag in tags if tag.startswith("fr:")]


def _tags(tags: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"name": f"@{tag}"} for tag in tags]


def _cucumber_steps(scenario: ScenarioDoc, run: Run) -> list[dict[str, Any]]:
    recorded = run.facts.get("steps") or []
    steps = []
    for index, step in enumerate(scenario.steps):
        record = recorded[index] if index < len(recorded) else {}
        result: dict[str, Any] = {
            "status": _CUCUMBER_STATUS.get(record.get("status", "skipped"), "skipped"),
            "duration": int(record.get("duration", 0.0) * _NANOSECONDS),
        }
        if result["status"] == "failed":
            result["error_message"] = run.reason or "failed"
        entry: dict[str, Any] = {
            "keyword": f"{step.keyword} ",
            "name": step.text,
            "line": int(str(record.get("location", f":{scenario.line}")).rsplit(":", 1)[1]),
            "result": result,
        }
        if record.get("definition"):
            entry["match"] = {"location": record["definition"]}
        steps.append(entry)
    return steps


def _element(feature_id: str, scenario: ScenarioDoc, run: Run) -> dict[str, Any]:
    kind = run.facts.get("kind")
    element: dict[str, Any] = {
        "id": f"{feature_id};{_slug(scenario.name)}" + (f";{kind}" if kind else ""),
        "keyword": "Scenario",
        "type": "scenario",
        "name": run_name(scenario.name, kind),
        "description": "",
        "line": scenario.line,
        "tags": _tags(scenario.tags),
        "steps": _cucumber_steps(scenario, run),
    }
    statuses = {step["result"]["status"] for step in element["steps"]}
    if run.status == "failed" and not statuses & {"failed", "undefined"}:
        # The run failed outside any step (a fixture, a hook): say so where Cucumber tools look.
        failed = {"status": "failed", "duration": 0, "error_message": run.reason or "failed"}
        element["before"] = [{"match": {"location": run.nodeid}, "result": failed}]
    return element


def cucumber(features: list[FeatureDoc], results: Results) -> list[dict[str, Any]]:
    """Cucumber JSON: a feature per file, an element per scenario run (one per client kind)."""
    runs: dict[tuple[str, str], list[Run]] = {}
    for run in results.scenario_runs.values():
        runs.setdefault((run.facts["feature_file"], run.facts["scenario"]), []).append(run)
    exported = []
    for feature in features:
        feature_id = _slug(feature.name)
        elements = [
            _element(feature_id, scenario, run)
            for scenario in feature.scenarios
            for run in sorted(runs.get((feature.path, scenario.name), []), key=lambda r: str(r.facts.get("kind")))
        ]
        exported.append(
            {
                "uri": feature.path,
                "id": feature_id,
                "keyword": "Feature",
                "name": feature.name,
                "description": feature.description,
                "line": feature.line,
                "tags": _tags(feature.tags),
                "elements": elements,
            }
        )
    return exported


def _testcase(suite: ET.Element, run: Run, properties: dict[str, str]) -> tuple[bool, bool]:
    path, _, rest = run.nodeid.partition("::")
    *classes, name = rest.split("::") if rest else [path]
    classname = ".".join([path.removesuffix(".py").replace("/", "."), *classes])
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, file=path, time=f"{run.duration:.4f}")
    listed = ET.SubElement(case, "properties")
    for key, value in properties.items():
        if value:
            ET.SubElement(listed, "property", name=key, value=value)
    failed = run.status in FAILING
    if failed:
        first_line = run.reason.splitlines()[0] if run.reason else run.status
        ET.SubElement(case, "failure", message=first_line, type=run.status).text = (
            f"{run.reason}\n\nat {run.location}" + (f"\nstep definition {run.definition}" if run.definition else "")
        )
    elif run.status in ("skipped", "xfailed"):
        ET.SubElement(case, "skipped", message=run.reason or run.status)
    return failed, run.status in ("skipped", "xfailed")


def junit(results: Results, duration_seconds: float) -> ET.ElementTree[ET.Element]:
    """JUnit XML: every scenario run and unit test, with story, acceptance id and requirements as properties."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name="coze-acceptance", time=f"{duration_seconds:.3f}")
    failures = skipped = 0
    for run in results.scenario_runs.values():
        value, requirements = _tag_values([str(tag) for tag in run.facts.get("tags", [])])
        properties = {
            "story": value.get("story", ""),
            "priority": value.get("priority", ""),
            "acceptance": value.get("acceptance", ""),
            "requirements": ",".join(requirements),
            "feature": f"{run.facts.get('feature_file')}: {run.facts.get('scenario')}",
            "client": str(run.facts.get("kind") or ""),
        }
        failed, skip = _testcase(suite, run, properties)
        failures, skipped = failures + failed, skipped + skip
    for run in results.unit_runs.values():
        failed, skip = _testcase(suite, run, {"requirements": ",".join(run.facts.get("covers", []))})
        failures, skipped = failures + failed, skipped + skip
    total = len(results.scenario_runs) + len(results.unit_runs)
    suite.set("tests", str(total))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.indent(suites)
    return ET.ElementTree(suites)


def write_exports(features: list[FeatureDoc], results: Results, duration_seconds: float, output: Path) -> list[Path]:
    """Write ``cucumber.json`` and ``junit.xml`` into the existing folder ``output``; return their paths."""
    cucumber_file, junit_file = output / "cucumber.json", output / "junit.xml"
    cucumber_file.write_text(json.dumps(cucumber(features, results), indent=2) + "\n", encoding="utf-8")
    junit(results, duration_seconds).write(junit_file, encoding="utf-8", xml_declaration=True)
    return [cucumber_file, junit_file]


def allure_labels(feature_name: str, facts: dict[str, Any]) -> dict[str, list[str]]:
    """A scenario's labels for Allure's Behaviors view: epic, feature, story, and its requirements as tags.

    The epic is the user story (``US3 Bot Operations Testing``), the feature its feature file, the
    story the spec's acceptance id (none for a scenario without one).
    """
    value, requirements = _tag_values([str(tag) for tag in facts["tags"]])
    return {
        "epic": [f"{value['story']} {feature_name}" if "story" in value else feature_name],
        "feature": [Path(str(facts["feature_file"])).name],
        "story": [value["acceptance"]] if "acceptance" in value else [],
        "tag": requirements,
    }


def mark_for_allure(item: pytest.Function, feature_name: str, facts: dict[str, Any]) -> None:
    """Give a scenario test its Allure labels and, for a parity scenario, a name with its client.

    Through allure's own decorators, which allure-pytest-bdd reads when the scenario starts: marks
    on this test item, and a title on the scenario function that Allure fills in with the item's
    ``coze_kind`` parameter. Call it only with allure-pytest-bdd writing results (``--alluredir``).
    """
    import allure  # installed with allure-pytest-bdd, which ``--alluredir`` needs anyway

    # allure's decorators are untyped: label() returns a pytest mark, title() a function decorator.
    for label_type, values in allure_labels(feature_name, facts).items():
        if values:
            item.add_marker(allure.label(label_type, *values))  # type: ignore[no-untyped-call]
    if facts["kind"]:
        # The title is a format string: braces in the scenario's name are text.
        scenario = str(facts["scenario"]).replace("{", "{{").replace("}", "}}")
        allure.title(run_name(scenario, "{coze_kind}"))(item.obj)  # type: ignore[no-untyped-call]
