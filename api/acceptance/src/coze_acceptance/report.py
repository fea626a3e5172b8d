"""Build the traceability report: stories, their scenarios and runs, requirements, criteria and gates.

Nothing is green on trust: a story passes only when every scenario of it passed *and* every unit
test of every requirement it verifies passed; a requirement passes only when every scenario, unit
test and gate that verifies it passed; a requirement this repository cannot check says so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coze_acceptance.conformance import conformance
from coze_acceptance.documents import FeatureDoc, ScenarioDoc, Spec
from coze_acceptance.environment import environment
from coze_acceptance.gates import EDGE_STORY, Gate, check_gates, run_time_gate, verbatim
from coze_acceptance.results import FAILING, STATUSES, Results, Run

#: How the success criteria this run cannot measure are checked instead.
CHECKED_ELSEWHERE = {
    "SC-005": "checked in CI: .ci/run runs the suite with three random seeds and with -n 2 (same count)",
    "SC-006": "checked in CI: uv run mypy (strict over api/src and api/tests/coze)",
}
#: Requirements a gate of this report verifies.
GATED = {"FR-018": "docstrings", "FR-019": "test classes"}
#: Requirements this repository cannot check, and why. They are never shown as passed.
NOT_CHECKABLE = {
    "FR-002": "following the Dify SDK pattern needs the Dify SDK tests to compare with, and this repository "
    "has none; the layout it copies is described in api/tests/coze/README.md",
}
NOT_CHECKABLE_STATUS = "not checkable here"


@dataclass(frozen=True)
class Measurements:
    """What the acceptance command measured about its own run."""

    duration_seconds: float
    tests_run: int
    collection_errors: int
    coverage_percent: float | None = None
    #: The tests' own time (setup, call and teardown), summed over every test.
    test_seconds: float = 0.0
    #: Whether pytest-xdist workers ran the tests in parallel.
    parallel: bool = False
    command: str = "uv run coze-acceptance"
    selection: tuple[str, ...] = field(default_factory=tuple)


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=STATUSES.index) if statuses else "not run"


def _overall(statuses: list[str]) -> str:
    """The worst status of what was selected; ``deselected`` only when nothing was."""
    selected = [s for s in statuses if s != "deselected"]
    return _worst(selected) if selected or not statuses else "deselected"


def anchor(*parts: str) -> str:
    """An HTML id made of ``parts``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")


def _scenario_entry(
    scenario: ScenarioDoc, runs: list[Run], bound: bool, drift: str | None, deselected: bool
) -> dict[str, Any]:
    idle = "deselected" if deselected else "not run"
    status = _worst([r.status for r in runs]) if runs else (idle if bound else "unbound")
    first = next((r for r in runs if r.status in ("failed", "undefined")), None) or next(
        (r for r in runs if r.status == "skipped"), None
    )
    return {
        "anchor": anchor("scenario", Path(scenario.feature_file).stem, str(scenario.line)),
        "acceptance_id": scenario.tag_value("acceptance") or "",
        "name": scenario.name,
        "location": f"{scenario.feature_file}:{scenario.line}",
        "requirements": sorted(t.split(":", 1)[1] for t in scenario.tags if t.startswith("fr:")),
        "tags": list(scenario.tags),
        "steps": [str(step) for step in scenario.steps],
        "status": status,
        "reason": first.reason if first else "",
        "failure_location": first.location if first else "",
        "failure_definition": first.definition if first else "",
        "duration": round(sum(r.duration for r in runs), 4),
        "runs": [r.to_dict() for r in sorted(runs, key=lambda r: str(r.facts.get("kind")))],
        "verbatim": drift,
    }


def _unit_entry(test: dict[str, Any], run: Run | None) -> dict[str, Any]:
    return {
        "nodeid": test["nodeid"],
        "status": run.status if run else ("not run" if test.get("selected", True) else "deselected"),
        "reason": run.reason if run else "",
        "location": run.location if run else "",
    }


def _unit_entries(results: Results, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Every collected unit test with its outcome and the requirements it covers."""
    return [
        {**_unit_entry(t, results.unit_runs.get(t["nodeid"])), "covers": t.get("covers", [])}
        for t in facts.get("unit_tests", [])
    ]


def _stories(
    spec: Spec,
    features: list[FeatureDoc],
    results: Results,
    bound: set[tuple[str, str]],
    units: list[dict[str, Any]],
    deselected: set[tuple[str, str]],
) -> list[dict[str, Any]]:
    runs_by_scenario: dict[tuple[str, str], list[Run]] = {}
    for run in results.scenario_runs.values():
        runs_by_scenario.setdefault((run.facts["feature_file"], run.facts["scenario"]), []).append(run)
    drift = verbatim(spec, features)
    spec_stories = {story.id: story for story in spec.stories}
    # A story may span several feature files: one entry per story, in story order, edge cases last.
    by_story: dict[str, list[FeatureDoc]] = {}
    for feature in features:
        by_story.setdefault(feature.tag_value("story") or "?", []).append(feature)
    stories = []
    for story_id in sorted(by_story, key=lambda story: (story == EDGE_STORY, story)):
        story_features = by_story[story_id]
        first, spec_story = story_features[0], spec_stories.get(story_id)
        scenarios = [
            _scenario_entry(
                s,
                runs_by_scenario.get((s.feature_file, s.name), []),
                (s.feature_file, s.name) in bound,
                drift.get(s.tag_value("acceptance") or ""),
                (s.feature_file, s.name) in deselected,
            )
            for feature in story_features
            for s in feature.scenarios
        ]
        requirements = sorted({r for s in scenarios for r in s["requirements"]})
        # A failing unit test counts against every story whose requirements it covers.
        failing_tests = [
            {**u, "requirements": sorted(set(u["covers"]) & set(requirements))}
            for u in units
            if u["status"] in FAILING and set(u["covers"]) & set(requirements)
        ]
        statuses = [s["status"] for s in scenarios] + [u["status"] for u in failing_tests]
        stories.append(
            {
                "id": story_id,
                "title": spec_story.title if spec_story else first.name,
                "priority": first.tag_value("priority") or "—",
                "sentence": spec_story.sentence if spec_story else first.description,
                "feature_files": [feature.path for feature in story_features],
                "status": _overall(statuses),
                "counts": dict(Counter(s["status"] for s in scenarios)),
                "failing_acceptance": [s["acceptance_id"] or s["name"] for s in scenarios if s["status"] in FAILING],
                "failing_tests": failing_tests,
                "requirements": requirements,
                "scenarios": scenarios,
            }
        )
    return stories


def _requirements(
    spec: Spec, stories: list[dict[str, Any]], units: list[dict[str, Any]], gates: dict[str, Gate]
) -> list[dict[str, Any]]:
    requirements = []
    for fr_id, text in spec.requirements.items():
        scenarios = [
            {"acceptance_id": s["acceptance_id"], "name": s["name"], "status": s["status"], "anchor": s["anchor"]}
            for story in stories
            for s in story["scenarios"]
            if fr_id in s["requirements"]
        ]
        unit_tests = [
            {key: u[key] for key in ("nodeid", "status", "reason", "location")} for u in units if fr_id in u["covers"]
        ]
        gate = gates.get(GATED.get(fr_id, ""))
        gate_entries = [{"name": gate.name, "status": "passed" if gate.passed else "failed"}] if gate else []
        statuses = [entry["status"] for entry in scenarios + unit_tests + gate_entries]
        status = _overall(statuses) if statuses else "unverified"
        requirements.append(
            {
                "id": fr_id,
                "anchor": anchor("requirement", fr_id),
                "text": text,
                "scenarios": scenarios,
                "unit_tests": unit_tests,
                "unit_test_counts": dict(Counter(u["status"] for u in unit_tests)),
                "failing_tests": [u for u in unit_tests if u["status"] in FAILING],
                "gates": gate_entries,
                "not_checkable": NOT_CHECKABLE.get(fr_id, ""),
                "verified": bool(statuses) or fr_id in NOT_CHECKABLE,
                "status": NOT_CHECKABLE_STATUS if fr_id in NOT_CHECKABLE else status,
            }
        )
    return requirements


def _criteria(
    spec: Spec, measured: Measurements, facts: dict[str, Any], gates: dict[str, Gate]
) -> list[dict[str, Any]]:
    unit_tests = facts.get("unit_tests", [])
    documented = sum(1 for t in unit_tests if t["documented"])
    classes = gates["test classes"]
    values = {
        "SC-001": (f"{measured.collection_errors} import or collection errors", "measured"),
        "SC-002": (
            (f"{measured.coverage_percent:.1f} % branch coverage of coze_integration", "measured")
            if measured.coverage_percent is not None
            else ("checked in CI: uv run coze-acceptance --coverage (fails below 95 %)", "CI")
        ),
        "SC-003": (
            f"the tests took {measured.test_seconds:.2f} s together "
            f"(gate: under 5 s{', not judged under coverage' if measured.coverage_percent is not None else ''}); "
            f"{measured.duration_seconds:.2f} s wall clock with start-up and collection",
            "gate",
        ),
        "SC-004": (f"{measured.tests_run} test cases run (at least 30)", "measured"),
        "SC-007": (
            "the TestCoze<Area><Feature> naming is a gate over the Coze unit tests "
            f"({'passed' if classes.passed else 'FAILED'}); the likeness to the Dify suite is "
            f"{NOT_CHECKABLE_STATUS} (no Dify tests in this repository)",
            "gate",
        ),
        "SC-008": (f"{documented} of {len(unit_tests)} unit tests have a docstring", "measured"),
    }
    return [
        {
            "id": sc_id,
            "text": text,
            "value": values.get(sc_id, (CHECKED_ELSEWHERE.get(sc_id, "not measured"), "CI"))[0],
            "how": values.get(sc_id, ("", "CI"))[1],
        }
        for sc_id, text in spec.criteria.items()
    ]


def build_report(
    spec: Spec,
    features: list[FeatureDoc],
    results: Results,
    measured: Measurements,
    root: Path | None = None,
    wire_index: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole report as a JSON-ready dict; ``gates_passed`` and ``passed`` drive the exit status.

    ``wire_index`` holds the golden wire files (``[[golden]]`` tables) for the conformance section.
    """
    facts = results.facts
    bound = {(str(a), str(b)) for a, b in facts.get("bound", [])}
    deselected = {(str(a), str(b)) for a, b in facts.get("deselected_scenarios", [])}
    units = _unit_entries(results, facts)
    stories = _stories(spec, features, results, bound, units, deselected)
    gates: list[Gate] = [
        *check_gates(spec, features, facts),
        run_time_gate(measured.test_seconds, measured.coverage_percent is not None, measured.parallel),
    ]
    by_name = {g.name: g for g in gates}
    requirements = _requirements(spec, stories, units, by_name)
    unverified = [r["id"] for r in requirements if not r["verified"]]
    gates.append(
        Gate("unverified requirements", "every FR has a scenario, unit test or gate verifying it", tuple(unverified))
    )
    ran = [s for story in stories for s in story["scenarios"] if s["status"] not in ("not run", "deselected")]
    failing = [s for s in ran if s["status"] in FAILING]
    unit_failures = [
        {"nodeid": r.nodeid, "status": r.status, "reason": r.reason, "location": r.location}
        for r in results.unit_runs.values()
        if r.status in FAILING
    ]
    env = environment(root or Path.cwd(), measured.command, list(measured.selection))
    return {
        "generated_at": env["date"],
        "command": measured.command,
        "selection": list(measured.selection),
        "environment": env,
        "summary": {
            "scenarios": dict(Counter(s["status"] for story in stories for s in story["scenarios"])),
            "scenario_runs": len(results.scenario_runs),
            "tests_run": measured.tests_run,
            "duration_seconds": round(measured.duration_seconds, 3),
            "test_seconds": round(measured.test_seconds, 3),
            "gates_passed": all(g.passed for g in gates),
            "passed": not failing and not unit_failures and bool(ran or results.unit_runs),
        },
        "failing_tests": unit_failures,
        "stories": stories,
        "requirements": requirements,
        "criteria": _criteria(spec, measured, facts, by_name),
        "conformance": conformance(wire_index or [], results),
        "gates": [
            {"name": g.name, "meaning": g.meaning, "passed": g.passed, "violations": list(g.violations)} for g in gates
        ],
    }
