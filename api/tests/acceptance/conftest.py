"""The demo project's report, built once per process and shared by the report tool's tests."""

from __future__ import annotations

import pytest

from tests.acceptance.demo import DemoRun, run_demo

_CACHE: dict[str, DemoRun] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that read the demo project's nested run test the report tool: they join the ``report_e2e`` tier.

    The nested run costs more than a tenth of the default run and checks the report tool, not the
    Coze integration, so the default run leaves it to CI's ``-m report_e2e`` step. Running first
    lets the marker reach pytest's own ``-m`` selection.
    """
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.report_e2e)


@pytest.fixture
def demo(request: pytest.FixtureRequest) -> DemoRun:
    """The demo project's run and report; only the first test that asks pays for the run."""
    if "run" not in _CACHE:
        _CACHE["run"] = run_demo(request.getfixturevalue("pytester"))
    return _CACHE["run"]
