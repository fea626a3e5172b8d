"""A faster way for pytest-bdd to find the step definitions that match a step.

pytest-bdd 9.0 asks pytest about every registered fixture name (about 190 here) for every step it
runs: 0.4 ms a step, a third of a scenario's cost. Its step definitions are fixtures named
``pytestbdd_stepdef_<keyword or *>_<pattern>``, so only names with the step's keyword (or ``*``)
can match. The result is otherwise the same as pytest-bdd's: the definitions visible to the test,
with the keyword and pattern checked by the step's own parser.

This replaces a pytest-bdd internal; pyproject pins pytest-bdd to 9.0.x for that reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from _pytest.fixtures import FixtureDef, FixtureManager
from pytest_bdd.compat import get_fixture_names, getfixturedefs
from pytest_bdd.parser import Step
from pytest_bdd.steps import StepNamePrefix, step_function_context_registry


def find_fixturedefs_for_step(
    step: Step, fixturemanager: FixtureManager, node: pytest.Item
) -> Iterator[FixtureDef[Any]]:
    """The step-definition fixtures visible to ``node`` that can run ``step``."""
    prefixes = tuple(f"{StepNamePrefix.step_def.value}_{keyword}_" for keyword in (step.type, "*"))
    for name in get_fixture_names(fixturemanager):
        if not name.startswith(prefixes):
            continue
        for fixturedef in getfixturedefs(fixturemanager, name, node) or ():
            context = step_function_context_registry.get(fixturedef.func)
            if context and context.type in (None, step.type) and context.parser.is_matching(step.name):
                yield fixturedef


def install() -> None:
    """Make pytest-bdd use :func:`find_fixturedefs_for_step`."""
    # ``pytest_bdd.scenario`` as an attribute is the re-exported function, not the module.
    vars(importlib.import_module("pytest_bdd.scenario"))["find_fixturedefs_for_step"] = find_fixturedefs_for_step
