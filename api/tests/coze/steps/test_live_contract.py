"""Step definitions for ``live_contract.feature``: ``coze-acceptance --live`` against a fake Coze on 127.0.0.1.

The fake Coze answers over real sockets, so the scenario belongs to the ``live_contract`` tier that
the default run leaves out (CI runs it with ``-m live_contract``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import given, scenarios, then, when

from coze_acceptance.live.command import LiveResult, run_check
from coze_acceptance.live.inputs import read_inputs
from tests.acceptance.live_coze import FakeCoze, live_environment
from tests.coze.real_socket.conftest import (  # noqa: F401  (the loopback server and its socket guard)
    _module_server,
    coze_server,
    loopback_network,
    loopback_passthrough,
    stall,
)
from tests.coze.wire import LOGID

pytestmark = pytest.mark.live_contract

ROOT = Path(__file__).resolve().parents[4]

scenarios("live_contract.feature")


@given("a Coze workspace on 127.0.0.1 that answers with the documented wire", target_fixture="fake")
def documented_workspace(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, mock_coze_api_token: str
) -> FakeCoze:
    """The golden files behind a real socket, and the variables that point the check at them."""
    fake = FakeCoze(request.getfixturevalue("coze_server"))
    monkeypatch.chdir(ROOT)
    live_environment(fake, monkeypatch, mock_coze_api_token)
    return fake


@when("the team runs the live contract check against it", target_fixture="live_result")
def run_live_check(coze_kind: str) -> LiveResult:
    """The check with the scenario's client kind, through the runtime's factories and helpers."""
    return run_check(read_inputs(), ROOT, client=coze_kind)


@then("every operation is reported with its status, logid and duration")
def every_operation_reported(live_result: LiveResult, fake: FakeCoze) -> None:
    """One reported exchange per request the server answered, each with status 200, the logid and a duration."""
    exchanges = [exchange for step in live_result.steps for exchange, _ in step.exchanges]
    assert len(exchanges) == len(fake.server.log) > 0
    assert all((e.status, e.logid) == (200, LOGID) and e.seconds is not None for e in exchanges)
    assert {checked.operation for step in live_result.steps for _, checked in step.exchanges} >= {
        "GET /v1/users/me",
        "GET /v1/workspaces",
        "GET /v1/space/published_bots_list",
        "GET /v1/bot/get_online_info",
        "GET /v1/conversations",
    }


@then("no drift is found, and the check exits 0 after at most 30 requests")
def no_drift(live_result: LiveResult, fake: FakeCoze) -> None:
    """Nothing drifted, every step passed, and the request count stayed within the budget."""
    assert live_result.drifts == []
    assert {step.outcome for step in live_result.steps} == {"ok"}
    assert live_result.exit_code == 0
    assert live_result.sent == len(fake.server.log) <= 30
