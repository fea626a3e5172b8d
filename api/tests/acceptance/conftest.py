"""The demo project's report, built once per process and shared by the report tool's tests."""

from __future__ import annotations

import pytest

from tests.acceptance.demo import DemoRun, run_demo

_CACHE: dict[str, DemoRun] = {}


@pytest.fixture
def demo(request: pytest.FixtureRequest) -> DemoRun:
    """The demo project's run and report; only the first test that asks pays for the run."""
    if "run" not in _CACHE:
        _CACHE["run"] = run_demo(request.getfixturevalue("pytester"))
    return _CACHE["run"]
