"""Run ``async def`` step functions on pytest-asyncio's event loop.

pytest-bdd calls step functions synchronously, so a bare ``async def`` step returns an un-awaited
coroutine and the step "passes" without running. :func:`async_step` wraps the coroutine function
in a sync one that runs it on the loop pytest-asyncio gives this test, the same loop its async
fixtures use. The ``pytest_bdd_before_step`` hook in ``conftest.py`` rejects bare async steps.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import pytest_asyncio

P = ParamSpec("P")
T = TypeVar("T")

LOOP_FIXTURE = "bdd_event_loop"


@pytest_asyncio.fixture(name=LOOP_FIXTURE)
async def bdd_event_loop() -> asyncio.AbstractEventLoop:
    """The running loop of this test's pytest-asyncio runner."""
    return asyncio.get_running_loop()


def async_step(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """Make an ``async def`` step runnable by pytest-bdd; put it below ``@given/@when/@then``."""
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{fn.__qualname__} is not an async function")
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        loop: asyncio.AbstractEventLoop = kwargs.pop(LOOP_FIXTURE)  # type: ignore[assignment]
        return loop.run_until_complete(fn(*args, **kwargs))

    # pytest-bdd injects fixtures by signature: advertise the loop fixture as well.
    loop_param = inspect.Parameter(LOOP_FIXTURE, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[loop_param, *signature.parameters.values()]
    )
    return run
