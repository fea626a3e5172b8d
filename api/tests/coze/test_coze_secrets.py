"""Secrets: the API token never appears in logs, errors or settings, even at DEBUG.

A canary token is configured with every logger involved (cozepy, httpx, coze_integration) at
DEBUG; a success, an API error, a network error and a stream error are triggered, and every log
record, exception string and repr is searched for the canary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from coze_acceptance.documents import load_features, load_spec
from coze_acceptance.evidence import exchange
from coze_acceptance.render import write_reports
from coze_acceptance.report import Measurements, build_report
from coze_acceptance.results import Results, Run
from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeIntegrationError
from coze_integration.settings import LOGGER_NAME, CozeSettings
from tests.coze.parity import AnyCoze, authenticate, build_client, read, streamed_transcript
from tests.coze.wire import golden_response, golden_stream

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-015")]

CANARY = "pat_CANARY_7f3e9b1c5d_must_never_leak"
LOGGERS = ("cozepy", "httpx", LOGGER_NAME)


def _exception_texts(error: BaseException) -> Iterator[str]:
    seen: BaseException | None = error
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        yield repr(vars(seen))
        seen = seen.__cause__ or seen.__context__


def _write_report_with(evidence: list[dict[str, Any]], folder: Path) -> list[Path]:
    """Write the traceability report with ``evidence`` as the first scenario's HTTP exchanges."""
    root = Path(__file__).resolve().parents[3]
    features = load_features(root / "features", root)
    scenario = features[0].scenarios[0]
    facts = {"feature_file": scenario.feature_file, "scenario": scenario.name, "exchanges": evidence}
    results = Results(scenario_runs={"run": Run("run", facts, status="passed")})
    measured = Measurements(duration_seconds=0.1, tests_run=1, collection_errors=0)
    return write_reports(build_report(load_spec(root / "docs" / "spec.md"), features, results, measured), folder)


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> pytest.LogCaptureFixture:
    """Every logger involved at DEBUG, captured by ``caplog``; levels restored afterwards."""
    # cozepy's logger stops at its own handler; let its records reach caplog too.
    monkeypatch.setattr(logging.getLogger("cozepy"), "propagate", True)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


class TestCozeSecretsNeverLeak:
    """The token stays out of every output a developer or operator sees."""

    @pytest.mark.covers("FR-014")
    async def test_canary_never_appears(
        self,
        coze_kind: str,
        coze_router: respx.MockRouter,
        coze_calls: CozeCalls,
        monkeypatch: pytest.MonkeyPatch,
        debug_logging: pytest.LogCaptureFixture,
    ) -> None:
        """Success, API error, network error and stream error, all at DEBUG: the canary shows nowhere."""
        monkeypatch.setenv("COZE_API_TOKEN", CANARY)
        monkeypatch.setenv("COZE_DEBUG", "true")
        settings = CozeSettings.from_env()
        client: AnyCoze = build_client(coze_kind, settings)
        users_me = coze_router.get("/v1/users/me").mock(return_value=golden_response("users/me_ok.json"))
        coze_router.get("/v1/bot/get_online_info").mock(
            return_value=golden_response("errors/unauthenticated_4100.json")
        )
        coze_router.get("/v1/workspaces").mock(side_effect=httpx.ConnectError("connection refused"))
        coze_router.post("/v3/chat").mock(return_value=golden_stream("chat/stream_error.sse"))

        await authenticate(client, coze_calls)
        assert users_me.calls.last.request.headers["Authorization"] == f"Bearer {CANARY}"
        errors: list[CozeIntegrationError] = []
        for failing in (
            read(client, coze_calls, partial(client.bots.retrieve, bot_id="b")),
            read(client, coze_calls, client.workspaces.list),
            streamed_transcript(client, bot_id="b", user_id="u"),
        ):
            with pytest.raises(CozeIntegrationError) as caught:
                await failing
            errors.append(caught.value)

        records = debug_logging.records
        assert {record.name for record in records} >= {"cozepy", LOGGER_NAME}, "the loggers must have spoken"
        texts = [record.getMessage() for record in records] + [repr(record.__dict__) for record in records]
        texts += [text for error in errors for text in _exception_texts(error)]
        texts += [repr(settings), str(settings), settings.model_dump_json()]
        assert [text for text in texts if CANARY in text] == []

    async def test_canary_never_reaches_the_report(
        self,
        coze_kind: str,
        coze_router: respx.MockRouter,
        coze_calls: CozeCalls,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
    ) -> None:
        """The report's wire evidence masks ``Authorization``: no report file carries the canary."""
        monkeypatch.setenv("COZE_API_TOKEN", CANARY)
        client: AnyCoze = build_client(coze_kind, CozeSettings.from_env())
        users_me = coze_router.get("/v1/users/me").mock(return_value=golden_response("users/me_ok.json"))
        await authenticate(client, coze_calls)
        assert users_me.calls.last.request.headers["Authorization"] == f"Bearer {CANARY}"

        evidence = [exchange(call.request, call.optional_response) for call in coze_router.calls]
        files = _write_report_with(evidence, tmp_path)
        assert [path.name for path in files if CANARY in path.read_text(encoding="utf-8")] == []
        assert "Bearer ***" in (tmp_path / "traceability.html").read_text(encoding="utf-8")
