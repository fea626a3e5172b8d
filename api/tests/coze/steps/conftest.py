"""pytest-bdd wiring: tags become registered markers, and bare async steps fail loudly."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import respx

from coze_acceptance.evidence import record_exchanges
from coze_acceptance.tags import pytest_bdd_apply_tag  # noqa: F401  (the tag → marker hook)


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: object, scenario: object, step: object, step_func: Callable[..., Any]
) -> None:
    """An un-wrapped ``async def`` step would return a coroutine and pass without running."""
    if inspect.iscoroutinefunction(step_func):
        raise TypeError(f"async step {step_func.__qualname__!r} must be wrapped with @async_step")


@pytest.fixture(autouse=True)
def _wire_evidence(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep the HTTP exchanges a scenario made as evidence for the traceability report."""
    yield
    if "coze_router" in request.fixturenames:  # the router's calls belong to this test only then
        router: respx.MockRouter = request.getfixturevalue("_session_router")
        record_exchanges(request.node, router.calls)
