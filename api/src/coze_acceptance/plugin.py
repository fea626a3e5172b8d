"""pytest plugin: attach each scenario's story, tags, client kind and first failing step to its report.

The facts travel in ``report.user_properties``, which pytest-xdist ships from workers to the
controller, so the runner can aggregate them in one place whether or not tests ran in parallel.
pytest-bdd's own cucumber JSON cannot be used for this: it reports an undefined step as passed
and drops skipped scenarios.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, Step
from pytest_bdd.scenario import scenario_wrapper_template_registry

from coze_acceptance.results import PROPERTY
from coze_acceptance.tags import parse_tag

_STEP_STATE = pytest.StashKey[dict[str, Any]]()


def _step_text(step: Step) -> str:
    return f"{step.keyword.strip()} {step.name}"


def scenario_facts(item: pytest.Item) -> dict[str, Any] | None:
    """Story, feature, scenario, tags and client kind of a scenario test; ``None`` for other tests."""
    function = getattr(item, "obj", None)
    template = scenario_wrapper_template_registry.get(function) if function is not None else None
    if template is None:
        return None
    tags = sorted(template.feature.tags | (template.rule.tags if template.rule else set()) | template.tags)
    params = getattr(item, "callspec", None)
    return {
        "feature": template.feature.name,
        "feature_file": template.feature.rel_filename,
        "scenario": template.name,
        "line": template.line_number,
        "tags": tags,
        "ids": {tag.marker: tag.id for tag in map(parse_tag, tags) if tag.id and tag.marker != "fr"},
        "fr": sorted(tag.split(":", 1)[1] for tag in tags if tag.startswith("fr:")),
        "kind": params.params.get("coze_kind") if params else None,
        "steps": [_step_text(step) for step in template.steps],
    }


def pytest_bdd_step_error(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, exception: Exception
) -> None:
    """Remember the first failing step and its message."""
    request.node.stash.setdefault(_STEP_STATE, {}).setdefault(
        "failed_step", {"step": _step_text(step), "message": f"{type(exception).__name__}: {exception}"[:500]}
    )


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, exception: Exception
) -> None:
    """Remember a step with no definition: the scenario is *undefined*, not failed or passed."""
    request.node.stash.setdefault(_STEP_STATE, {}).setdefault("undefined_step", _step_text(step))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Attach the scenario facts to every phase's report."""
    report = yield
    facts = scenario_facts(item)
    if facts is not None:
        step_state: dict[str, Any] = item.stash.get(_STEP_STATE, {})
        facts.update(step_state)
        report.user_properties.append((PROPERTY, facts))
    return report
