"""pytest-bdd wiring: tags become registered markers, and bare async steps fail loudly."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd.parser import Feature, Scenario, Step

from coze_acceptance.tags import parse_tag


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> bool:
    """``@story:US1`` → ``pytest.mark.story(id="US1")``; unknown tags are an error."""
    parsed = parse_tag(tag)
    mark = getattr(pytest.mark, parsed.marker)
    (mark(id=parsed.id) if parsed.id else mark)(function)
    return True


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Feature, scenario: Scenario, step: Step, step_func: Callable[..., Any]
) -> None:
    """An un-wrapped ``async def`` step would return a coroutine and pass without running."""
    if inspect.iscoroutinefunction(step_func):
        raise TypeError(f"async step {step_func.__qualname__!r} must be wrapped with @async_step")
