"""Quality gates over the feature files, the step definitions and the spec.

Each gate names what it protects against; a run with any violation fails.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

from coze_acceptance.documents import FeatureDoc, ScenarioDoc, Spec, StepDoc
from coze_acceptance.tags import parse_tag

EDGE_STORY = "EDGE"
#: The Coze unit tests, which follow the Dify layout: ``TestCoze<Area><Feature>`` classes.
COZE_UNIT_TESTS = "test_coze_*.py"
_COZE_CLASS = re.compile(r"TestCoze[A-Z][A-Za-z0-9]*")
#: SC-003: every test completes in under this many seconds.
RUN_TIME_LIMIT = 5.0
NOT_JUDGED = "not judged"
#: Why a gate that needs the whole suite says nothing on a partial run.
PARTIAL = "not judged on a partial run: it needs the whole suite collected and run"
#: The gates that judge the collected suite, which a partial run (``--lf``, node ids) may collect only part of.
WHOLE_SUITE = frozenset(
    {"unbound scenarios", "unused step definitions", "ambiguous steps", "docstrings", "test classes"}
)


@dataclass(frozen=True)
class Gate:
    """One gate: its name, what it guards and what violates it."""

    name: str
    meaning: str
    violations: tuple[str, ...]
    #: Why this run does not judge the gate (a partial run, coverage tracing…); empty when it does.
    not_judged: str = ""

    @property
    def passed(self) -> bool:
        """True when nothing violates the gate (a gate not judged has nothing against it)."""
        return not self.violations

    @property
    def status(self) -> str:
        """``passed``, ``failed`` or ``not judged``."""
        return NOT_JUDGED if self.not_judged else ("passed" if self.passed else "failed")

    def unjudged(self, why: str) -> Gate:
        """The same gate, not judged, for ``why``: its violations are dropped, since they would be half the truth."""
        return Gate(self.name, self.meaning, (), why)


def _where(scenario: ScenarioDoc) -> str:
    return f"{scenario.feature_file}:{scenario.line} {scenario.name!r}"


def _first_difference(expected: tuple[StepDoc, ...], actual: tuple[StepDoc, ...]) -> str:
    for spec_step, feature_step in zip(expected, actual, strict=False):
        if (spec_step.type, spec_step.text) != (feature_step.type, feature_step.text):
            return f"spec {str(spec_step)!r} vs feature {str(feature_step)!r}"
    return f"spec has {len(expected)} steps, feature has {len(actual)}"


def verbatim(spec: Spec, features: list[FeatureDoc]) -> dict[str, str]:
    """Per acceptance id: ``matches``, ``MISSING`` or ``DIFFERS: <first difference>``.

    Story scenarios must repeat the spec's Given/When/Then word for word; edge-case scenarios
    must be titled with the spec's question; each story's feature must carry its title.
    """
    by_id = {s.tag_value("acceptance"): s for f in features for s in f.scenarios if s.tag_value("acceptance")}
    titles = {f.tag_value("story"): f.name for f in features}
    result: dict[str, str] = {}
    for story in spec.stories:
        if story.id in titles and titles[story.id] != story.title:
            result[story.id] = f"DIFFERS: feature title {titles[story.id]!r}, spec {story.title!r}"
        for acceptance_id, steps in story.scenarios.items():
            found = by_id.get(acceptance_id)
            if found is None:
                result[acceptance_id] = "MISSING"
            elif [(s.type, s.text) for s in found.steps] != [(s.type, s.text) for s in steps]:
                result[acceptance_id] = f"DIFFERS: {_first_difference(steps, found.steps)}"
            else:
                result[acceptance_id] = "matches"
    for acceptance_id, question in spec.edge_cases.items():
        found = by_id.get(acceptance_id)
        if found is None:
            result[acceptance_id] = "MISSING"
        else:
            result[acceptance_id] = "matches" if found.name == question else f"DIFFERS: title {found.name!r}"
    return result


def _tag_violations(features: list[FeatureDoc]) -> list[str]:
    violations = []
    for feature in features:
        owners: list[tuple[str, tuple[str, ...]]] = [(feature.path, feature.tags)]
        owners += [(_where(s), s.tags) for s in feature.scenarios]
        for where, tags in owners:
            for tag in tags:
                try:
                    parse_tag(tag)
                except ValueError as exc:
                    violations.append(f"{where}: {exc}")
    return violations


def _undocumented(facts: dict[str, Any]) -> list[str]:
    modules = [f"{path}: no module docstring" for path, ok in sorted(facts.get("modules", {}).items()) if not ok]
    tests = [f"{t['nodeid']}: no docstring" for t in facts.get("unit_tests", []) if not t["documented"]]
    return modules + tests


def _misplaced(facts: dict[str, Any]) -> list[str]:
    found = set()
    for test in facts.get("unit_tests", []):
        if not fnmatch(test["file"], COZE_UNIT_TESTS):
            continue
        if test["class"] is None:
            found.add(f"{test['nodeid']}: not in a TestCoze<Area><Feature> class")
        elif not _COZE_CLASS.fullmatch(test["class"]):
            found.add(f"{test['nodeid'].rsplit('::', 1)[0]}: class name is not TestCoze<Area><Feature>")
    return sorted(found)


def run_time_gate(
    wall_seconds: float, traced: bool = False, parallel: bool = False, partial: bool = False, exported: bool = False
) -> Gate:
    """SC-003 as the spec reads it: the serial run of every test, start-up and collection included, under 5 s.

    Four runs are not judged: one under coverage (``traced``), whose tracing slows every line; a
    parallel one (``parallel``), whose workers share the cores; one that writes Allure results
    (``exported``), whose listener writes a file for every test; and a partial one, which does not
    run every test. The full serial run without them judges it.
    """
    meaning = f"SC-003: all tests complete in under {RUN_TIME_LIMIT:g} s of wall time, start-up and collection included"
    gate = Gate("run time", meaning, (f"the run took {wall_seconds:.2f} s",) if wall_seconds >= RUN_TIME_LIMIT else ())
    if traced:
        return gate.unjudged("not judged under --coverage, whose tracing slows every line")
    if parallel:
        return gate.unjudged("not judged under -n, whose workers share the cores; the serial run judges it")
    if exported:
        return gate.unjudged("not judged under --alluredir, whose listener writes a file for every test")
    return gate.unjudged(PARTIAL) if partial else gate


def check_gates(spec: Spec, features: list[FeatureDoc], facts: dict[str, Any], partial: bool = False) -> list[Gate]:
    """Every gate, in the order the report lists them; on a ``partial`` run the whole-suite gates are not judged."""
    gates = _gates(spec, features, facts)
    return [g.unjudged(PARTIAL) if partial and g.name in WHOLE_SUITE else g for g in gates]


def _gates(spec: Spec, features: list[FeatureDoc], facts: dict[str, Any]) -> list[Gate]:
    scenarios = [s for f in features for s in f.scenarios]
    bound = {tuple(pair) for pair in facts.get("bound", [])}
    duplicates = [
        f"{feature.path}: {name!r} appears {count} times (pytest-bdd keeps only the last)"
        for feature in features
        for name, count in Counter(s.name for s in feature.scenarios).items()
        if count > 1
    ]
    drift = [f"{key} {outcome}" for key, outcome in verbatim(spec, features).items() if outcome != "matches"]
    return [
        Gate(
            "unbound scenarios",
            "every scenario in features/ runs as a test (bound with scenarios())",
            tuple(_where(s) for s in scenarios if (s.feature_file, s.name) not in bound),
        ),
        Gate(
            "unused step definitions",
            "no step definition is dead code that no scenario uses",
            tuple(facts.get("unused_steps", [])),
        ),
        Gate(
            "ambiguous steps",
            "each step matches exactly one definition (pytest-bdd would pick one silently)",
            tuple(
                f"{a['feature_file']} {a['scenario']!r}: {a['step']!r} matches {a['definitions']}"
                for a in facts.get("ambiguous_steps", [])
            ),
        ),
        Gate("duplicate scenario names", "scenario names are unique within a feature", tuple(duplicates)),
        Gate(
            "empty scenarios",
            "every scenario has steps (an empty one passes vacuously)",
            tuple(_where(s) for s in scenarios if not s.steps),
        ),
        Gate(
            "tags",
            "every tag is in the allowed set (story, priority, acceptance, fr, parity)",
            tuple(_tag_violations(features)),
        ),
        Gate("spec drift", "acceptance scenarios repeat docs/spec.md word for word", tuple(drift)),
        Gate(
            "docstrings",
            "FR-018: every test module and every unit test has a docstring",
            tuple(_undocumented(facts)),
        ),
        Gate(
            "test classes",
            f"FR-019: every test in {COZE_UNIT_TESTS} is in a TestCoze<Area><Feature> class",
            tuple(_misplaced(facts)),
        ),
    ]
