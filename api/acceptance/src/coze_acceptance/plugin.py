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
import time
from collections.abc import Callable, Generator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, ScenarioTemplate, Step
from pytest_bdd.scenario import scenario_wrapper_template_registry
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

from coze_acceptance.evidence import EXCHANGES_KEY
from coze_acceptance.exports import mark_for_allure
from coze_acceptance.results import COVERS, FACTS_KEY, GOLDEN, PROPERTY, WORKER_OUTPUT, clean_message

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


def _source_line(function: Callable[..., Any], root: Path) -> str:
    """``file:line`` of a step definition, through decorators such as ``@async_step``."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None:
        return getattr(function, "__qualname__", repr(function))
    path = Path(code.co_filename)
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()
    return f"{shown}:{code.co_firstlineno}"


def _state(request: pytest.FixtureRequest) -> dict[str, Any]:
    state: dict[str, Any] = request.node.stash.setdefault(_STEP_STATE, {})
    return state


def _step_record(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step) -> dict[str, Any]:
    """The record of ``step`` in this run; the list holds every step of the scenario, in order."""
    state = _state(request)
    if "steps" not in state:
        state["steps"] = [
            {
                "keyword": s.keyword.strip(),
                "text": s.name,
                "location": f"{feature.rel_filename}:{s.line_number}",
                "status": "not reached",
                "duration": 0.0,
                "definition": "",
            }
            for s in scenario.steps
        ]
    index = next(i for i, s in enumerate(scenario.steps) if s is step)
    record: dict[str, Any] = state["steps"][index]
    return record


def _finish(record: dict[str, Any], status: str) -> None:
    record["status"] = status
    record["duration"] = round(time.perf_counter() - record.pop("started", time.perf_counter()), 4)


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario) -> None:
    """List the scenario's steps, each *not reached* until it runs."""
    if scenario.steps:
        _step_record(request, feature, scenario, scenario.steps[0])


@pytest.hookimpl(tryfirst=True)  # before any hook that rejects the step, so it counts as started
def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, step_func: Callable[..., Any]
) -> None:
    """Start the step's clock and note its definition."""
    record = _step_record(request, feature, scenario, step)
    record["started"] = time.perf_counter()
    record["definition"] = _source_line(step_func, request.config.rootpath)
    _state(request)["current"] = record


def pytest_bdd_after_step(request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step) -> None:
    """The step passed."""
    _finish(_step_record(request, feature, scenario, step), "passed")
    _state(request).pop("current", None)


def _raised_at(exception: BaseException, function: Callable[..., Any], root: Path) -> str:
    """``file:line`` of the deepest line of the step definition's file that the exception went through."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return ""
    line, frame = None, exception.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code.co_filename == code.co_filename:
            line = frame.tb_lineno
        frame = frame.tb_next
    return f"{_source_line(function, root).rsplit(':', 1)[0]}:{line}" if line else ""


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Feature,
    scenario: Scenario,
    step: Step,
    step_func: Callable[..., Any],
    exception: Exception,
) -> None:
    """The step failed: remember it, its message, its feature line, its definition and the line that failed."""
    record = _step_record(request, feature, scenario, step)
    _finish(record, "failed")
    _state(request).pop("current", None)
    message = clean_message(f"{type(exception).__name__}: {exception}")
    _state(request).setdefault(
        "failed_step",
        {
            "step": _step_text(step),
            "message": message[:2000],
            "location": record["location"],
            "definition": record["definition"],
            "line": _raised_at(exception, step_func, request.config.rootpath),
        },
    )


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, exception: Exception
) -> None:
    """Remember a step with no definition: the scenario is *undefined*, not failed or passed."""
    record = _step_record(request, feature, scenario, step)
    record["status"] = "undefined"
    _state(request).setdefault("undefined_step", {"step": _step_text(step), "location": record["location"]})


def _settle_current_step(item: pytest.Item, report: pytest.TestReport) -> None:
    """A step that started but never finished was skipped, or failed outside the step body."""
    state = item.stash.get(_STEP_STATE, {})
    record = state.pop("current", None)
    if record is None:
        return
    _finish(record, "skipped" if report.skipped else "failed")
    if report.failed:
        crash = getattr(report.longrepr, "reprcrash", None)
        state.setdefault(
            "failed_step",
            {
                "step": f"{record['keyword']} {record['text']}",
                "message": clean_message(crash.message if crash is not None else report.longreprtext)[:2000],
                "location": record["location"],
                "definition": record["definition"],
            },
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Attach scenario facts, or a unit test's requirement ids, to every phase's report."""
    report: pytest.TestReport = yield
    template = _template(item)
    if template is not None:
        if report.when == "call":
            _settle_current_step(item, report)
        facts = scenario_facts(item, template)
        state: dict[str, Any] = item.stash.get(_STEP_STATE, {})
        facts.update(state)
        exchanges = item.stash.get(EXCHANGES_KEY, None)
        if exchanges is not None:
            facts["exchanges"] = exchanges
        report.user_properties.append((PROPERTY, facts))
    else:
        ids = sorted({str(i) for mark in item.iter_markers("covers") for i in mark.args})
        if ids:
            report.user_properties.append((COVERS, ids))
        golden = [str(mark.args[0]) for mark in item.iter_markers("golden") if mark.args]
        if golden:
            report.user_properties.append((GOLDEN, golden))
    return report


def pytest_itemcollected(item: pytest.Item) -> None:
    """With ``--alluredir``, label each scenario for Allure's Behaviors view and name its client."""
    template = _template(item)
    if isinstance(item, pytest.Function) and template is not None and item.config.getoption("allure_report_dir", None):
        mark_for_allure(item, template.feature.name, scenario_facts(item, template))


# --- session facts -------------------------------------------------------------------------------


def _definition(context: StepFunctionContext, root: Path) -> str:
    """The step's decorator and the ``file:line`` of its function, a path the reader can open."""
    return f"@{context.type or 'step'}({context.parser.name!r}) {_source_line(context.step_func, root)}"


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
    root = session.config.rootpath
    used: set[str] = set()
    ambiguous = []
    for (feature_file, scenario, module), template in sorted(bound.items()):
        for step in template.steps:
            matches = [
                c
                for c in contexts
                if _visible(c, module) and c.type in (None, step.type) and c.parser.is_matching(step.name)
            ]
            used.update(_definition(c, root) for c in matches)
            if len(matches) > 1:
                ambiguous.append(
                    {
                        "feature_file": feature_file,
                        "scenario": scenario,
                        "step": _step_text(step),
                        "definitions": sorted(_definition(c, root) for c in matches),
                    }
                )
    unused = sorted({_definition(c, root) for c in contexts} - used)
    return unused, ambiguous


def collection_facts(session: pytest.Session, items: list[pytest.Item], selected: set[str]) -> dict[str, Any]:
    """What was collected, before any ``-m``/``-k`` deselection: bound scenarios, step usage, unit tests.

    ``selected`` holds the node ids that survived deselection; the rest are reported as deselected.
    """
    bound: dict[tuple[str, str, str], ScenarioTemplate] = {}
    deselected_scenarios: set[tuple[str, str]] = set()
    selected_scenarios: set[tuple[str, str]] = set()
    # The project's default `-m` leaves whole tiers out (`not live_contract`, ...) that CI runs as steps
    # of their own: a scenario in one is run elsewhere, not forgotten.
    expression = str(session.config.option.markexpr or "")
    tiers: dict[tuple[str, str], str] = {}
    unit_tests: list[dict[str, Any]] = []
    modules: dict[str, bool] = {}
    for item in items:
        template = _template(item)
        module = getattr(item, "module", None)
        path = item.nodeid.split("::")[0]
        if module is not None:
            modules[path] = bool(inspect.getdoc(module))
        if template is not None:
            bound[(template.feature.rel_filename, template.name, getattr(module, "__name__", ""))] = template
            key = (template.feature.rel_filename, template.name)
            (selected_scenarios if item.nodeid in selected else deselected_scenarios).add(key)
            tier = next((m.name for m in item.iter_markers() if f"not {m.name}" in expression), None)
            if item.nodeid not in selected and tier is not None:
                tiers[key] = tier
        else:
            cls = getattr(item, "cls", None)
            unit_tests.append(
                {
                    "nodeid": item.nodeid,
                    "file": path.rsplit("/", 1)[-1],
                    "class": cls.__name__ if cls else None,
                    "documented": bool(inspect.getdoc(getattr(item, "obj", None))),
                    "covers": sorted({str(i) for mark in item.iter_markers("covers") for i in mark.args}),
                    "golden": [str(mark.args[0]) for mark in item.iter_markers("golden") if mark.args],
                    "xfail": [str(mark.kwargs.get("reason", "")) for mark in item.iter_markers("xfail")],
                    "selected": item.nodeid in selected,
                }
            )
    unused, ambiguous = _step_usage(session, bound)
    return {
        "bound": sorted({(feature, scenario) for feature, scenario, _ in bound}),
        "unused_steps": unused,
        "ambiguous_steps": ambiguous,
        "unit_tests": unit_tests,
        "modules": modules,
        "deselected_scenarios": sorted(deselected_scenarios - selected_scenarios),
        "tier_scenarios": sorted([*key, tier] for key, tier in tiers.items() if key not in selected_scenarios),
    }


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep every collected item: the gates judge the whole suite, not one story's selection."""
    session.stash[_ALL_ITEMS] = list(items)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Record the session facts where the controller will find them."""
    selected = {item.nodeid for item in session.items}
    facts = collection_facts(session, session.stash.get(_ALL_ITEMS, session.items), selected)
    session.config.stash[FACTS_KEY] = facts
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT] = json.dumps(facts)
