"""pytest plugin loaded in every process of an acceptance run (``-p coze_acceptance.plugin``).

Two kinds of facts leave each process:

- per test, in ``report.user_properties`` (pytest-xdist ships them to the controller): a
  scenario's feature, tags and client kind, its first failing or undefined step; a unit test's
  ``covers`` requirement ids;
- per session, after collection: which scenarios are bound, which step definitions were used,
  which steps match more than one definition, and what the unit tests look like. Under xdist each
  worker puts them in ``workeroutput``; without it they go to ``config.stash``.

pytest-bdd's own cucumber JSON cannot do this job: it reports an undefined step as passed, drops
skipped scenarios and writes ``[]`` under xdist.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Generator
from types import ModuleType
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, ScenarioTemplate, Step
from pytest_bdd.scenario import scenario_wrapper_template_registry
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from coze_acceptance.results import COVERS, FACTS_KEY, PROPERTY, WORKER_OUTPUT

_STEP_STATE = pytest.StashKey[dict[str, Any]]()
_ALL_ITEMS = pytest.StashKey[list[pytest.Item]]()


def _step_text(step: Step) -> str:
    return f"{step.keyword.strip()} {step.name}"


def _template(item: pytest.Item) -> ScenarioTemplate | None:
    function = getattr(item, "obj", None)
    return scenario_wrapper_template_registry.get(function) if function is not None else None


def scenario_facts(item: pytest.Item, template: ScenarioTemplate) -> dict[str, Any]:
    """Feature, scenario, tags and client kind of one scenario test."""
    tags = sorted(template.feature.tags | (template.rule.tags if template.rule else set()) | template.tags)
    params = getattr(item, "callspec", None)
    return {
        "feature_file": template.feature.rel_filename,
        "scenario": template.name,
        "tags": tags,
        "kind": params.params.get("coze_kind") if params else None,
    }


def pytest_bdd_step_error(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, exception: Exception
) -> None:
    """Remember the first failing step and its message."""
    state = request.node.stash.setdefault(_STEP_STATE, {})
    message = f"{type(exception).__name__}: {exception}".strip()
    state.setdefault("failed_step", {"step": _step_text(step), "message": message[:500]})


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, exception: Exception
) -> None:
    """Remember a step with no definition: the scenario is *undefined*, not failed or passed."""
    request.node.stash.setdefault(_STEP_STATE, {}).setdefault("undefined_step", _step_text(step))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Attach scenario facts, or a unit test's requirement ids, to every phase's report."""
    report = yield
    template = _template(item)
    if template is not None:
        facts = scenario_facts(item, template)
        step_state: dict[str, Any] = item.stash.get(_STEP_STATE, {})
        facts.update(step_state)
        report.user_properties.append((PROPERTY, facts))
    else:
        ids = sorted({str(i) for mark in item.iter_markers("covers") for i in mark.args})
        if ids:
            report.user_properties.append((COVERS, ids))
    return report


# --- session facts -------------------------------------------------------------------------------


def _definition(context: StepFunctionContext) -> str:
    func = context.step_func
    line = func.__code__.co_firstlineno if hasattr(func, "__code__") else 0
    return f"@{context.type or 'step'}({context.parser.name!r}) {func.__module__}:{line}"


def _visible(context: StepFunctionContext, module: str) -> bool:
    # pytest-bdd step definitions are fixtures: a test module sees its own and its conftests'.
    owner = context.step_func.__module__
    return owner == module or owner.rsplit(".", 1)[-1] == "conftest"


def _step_usage(
    session: pytest.Session, bound: dict[tuple[str, str, str], ScenarioTemplate]
) -> tuple[list[str], list[dict[str, Any]]]:
    loaded = {
        plugin.__name__ for plugin in session.config.pluginmanager.get_plugins() if isinstance(plugin, ModuleType)
    }
    loaded |= {module for _, _, module in bound}
    # pytest-bdd's own "trace" debugging steps are not ours to use.
    contexts = [
        c
        for c in step_function_context_registry.values()
        if c.step_func.__module__ in loaded and not c.step_func.__module__.startswith("pytest_bdd")
    ]
    used: set[str] = set()
    ambiguous = []
    for (feature_file, scenario, module), template in sorted(bound.items()):
        for step in template.steps:
            matches = [
                c
                for c in contexts
                if _visible(c, module) and c.type in (None, step.type) and c.parser.is_matching(step.name)
            ]
            used.update(_definition(c) for c in matches)
            if len(matches) > 1:
                ambiguous.append(
                    {
                        "feature_file": feature_file,
                        "scenario": scenario,
                        "step": _step_text(step),
                        "definitions": sorted(_definition(c) for c in matches),
                    }
                )
    unused = sorted({_definition(c) for c in contexts} - used)
    return unused, ambiguous


def collection_facts(session: pytest.Session, items: list[pytest.Item]) -> dict[str, Any]:
    """What was collected, before any ``-m``/``-k`` deselection: bound scenarios, step usage, unit tests."""
    bound: dict[tuple[str, str, str], ScenarioTemplate] = {}
    unit_tests: list[dict[str, Any]] = []
    for item in items:
        template = _template(item)
        module = getattr(getattr(item, "module", None), "__name__", "")
        if template is not None:
            bound[(template.feature.rel_filename, template.name, module)] = template
        else:
            cls = getattr(item, "cls", None)
            unit_tests.append(
                {
                    "nodeid": item.nodeid,
                    "file": item.nodeid.split("::")[0].rsplit("/", 1)[-1],
                    "class": cls.__name__ if cls else None,
                    "documented": bool(inspect.getdoc(getattr(item, "obj", None))),
                    "covers": sorted({str(i) for mark in item.iter_markers("covers") for i in mark.args}),
                }
            )
    unused, ambiguous = _step_usage(session, bound)
    return {
        "bound": sorted({(feature, scenario) for feature, scenario, _ in bound}),
        "unused_steps": unused,
        "ambiguous_steps": ambiguous,
        "unit_tests": unit_tests,
    }


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep every collected item: the gates judge the whole suite, not one story's selection."""
    session.stash[_ALL_ITEMS] = list(items)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Record the session facts where the controller will find them."""
    facts = collection_facts(session, session.stash.get(_ALL_ITEMS, session.items))
    session.config.stash[FACTS_KEY] = facts
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT] = json.dumps(facts)
