"""Workflow runs: blocking and async runs, streamed progress, run histories and the deadline helper.

Endpoints: POST /v1/workflow/run, POST /v1/workflow/stream_run and
GET /v1/workflows/{workflow_id}/run_histories/{execute_id}.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from cozepy import WorkflowEventType, WorkflowExecuteStatus

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeMalformedResponseError, CozeServerError, CozeTimeoutError
from coze_integration.polling import PollPolicy
from coze_integration.workflows import WorkflowProgress, run_history_call
from tests.coze.coze_clients import AnyCoze, read, workflow_progress, workflow_run, workflow_until_done
from tests.coze.wire import LOGID, golden, golden_events, golden_response, golden_stream, request_json

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-009", "FR-010", "FR-012", "FR-017")]


RUN_OK, RUN_ASYNC = "workflows/run_ok.json", "workflows/run_async.json"
RUNNING, SUCCESS = "workflows/run_history_running.json", "workflows/run_history_success.json"


def _history_path(workflow_id: str, execute_id: str) -> str:
    return f"/v1/workflows/{workflow_id}/run_histories/{execute_id}"


class TestCozeWorkflowRun:
    """``workflows.runs.create`` through the project's ``run_workflow``."""

    async def test_blocking_run_decodes_output(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        sample_workflow_inputs: dict[str, Any],
        mock_coze_api_token: str,
    ) -> None:
        """The body carries workflow id and inputs; ``data`` (a JSON string) comes back as a dict."""
        route = coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_OK))
        outcome = await workflow_run(
            coze_client, coze_calls, workflow_id=sample_workflow_id, parameters=sample_workflow_inputs
        )
        wire = golden(RUN_OK)
        assert (outcome.output, outcome.raw_output) == (json.loads(wire["data"]), wire["data"])
        assert outcome.usage is not None
        assert (outcome.debug_url, outcome.usage.token_count) == (wire["debug_url"], wire["usage"]["token_count"])
        assert (outcome.status, outcome.execute_id, outcome.logid) == (WorkflowExecuteStatus.SUCCESS, None, LOGID)
        request = route.calls.last.request
        assert request_json(request) == {
            "workflow_id": sample_workflow_id,
            "parameters": sample_workflow_inputs,
            "is_async": False,
        }
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_async_run_returns_execute_id(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_execute_id: str
    ) -> None:
        """An async run has no output yet: its ``execute_id`` is what the caller keeps."""
        route = coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_ASYNC))
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={}, is_async=True)
        assert (outcome.execute_id, outcome.output, outcome.status) == (
            sample_execute_id,
            None,
            WorkflowExecuteStatus.RUNNING,
        )
        assert request_json(route.calls.last.request)["is_async"] is True

    async def test_output_that_is_not_json_is_kept_in_the_error(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """Output that is not JSON raises a typed error that keeps the whole output and the logid."""
        coze_router.post("/v1/workflow/run").mock(return_value=golden_response("workflows/run_not_json.json"))
        with pytest.raises(CozeMalformedResponseError) as caught:
            await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (caught.value.body, caught.value.logid) == (golden("workflows/run_not_json.json")["data"], LOGID)

    async def test_run_is_never_retried(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A failed run surfaces at once: retrying could run the workflow twice."""
        route = coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("errors/internal_5000.json", status=503)
        )
        with pytest.raises(CozeServerError):
            await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert route.call_count == 1


class TestCozeWorkflowStream:
    """``workflows.runs.stream`` folded by the project's progress consumer."""

    @pytest.mark.parametrize(
        ("recording", "events", "output"),
        [
            ("workflows/stream_ok.sse", [WorkflowEventType.MESSAGE] * 3, '"day2":"Orsay","day3":"Versailles"}'),
            (
                "workflows/stream_interrupt.sse",
                [WorkflowEventType.MESSAGE, WorkflowEventType.INTERRUPT],
                "Which hotel budget?",
            ),
            (
                "workflows/stream_error.sse",
                [WorkflowEventType.MESSAGE, WorkflowEventType.ERROR],
                "Checking the weather in Paris",
            ),
        ],
        ids=["ok", "interrupt", "error"],
    )
    async def test_events_and_output(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        recording: str,
        events: list[WorkflowEventType],
        output: str,
    ) -> None:
        """Message, Interrupt and Error events arrive typed and in order; ``Done`` ends the stream."""
        route = coze_router.post("/v1/workflow/stream_run").mock(return_value=golden_stream(recording))
        progress = await workflow_progress(coze_client, workflow_id=sample_workflow_id, parameters={"q": 1})
        assert list(progress.events) == events
        assert progress.output == output
        assert request_json(route.calls.last.request) == {"workflow_id": sample_workflow_id, "parameters": {"q": 1}}

    async def test_interrupt_and_error_payloads(self, coze_client: AnyCoze, coze_router: respx.MockRouter) -> None:
        """An interrupt keeps its event id and type; an error event keeps its code and message."""
        route = coze_router.post("/v1/workflow/stream_run")
        route.mock(return_value=golden_stream("workflows/stream_interrupt.sse"))
        interrupted = await workflow_progress(coze_client, workflow_id="wf")
        [interrupt] = interrupted.interrupts
        sent = golden_events("workflows/stream_interrupt.sse")[1].json()
        assert (interrupt.interrupt_data.event_id, interrupt.interrupt_data.type, interrupt.node_title) == (
            sent["interrupt_data"]["event_id"],
            sent["interrupt_data"]["type"],
            sent["node_title"],
        )
        route.mock(return_value=golden_stream("workflows/stream_error.sse"))
        failed = await workflow_progress(coze_client, workflow_id="wf")
        [error] = failed.errors
        sent = golden_events("workflows/stream_error.sse")[1].json()
        assert (error.error_code, error.error_message) == (sent["error_code"], sent["error_message"])

    async def test_progress_is_reported_per_event(self, coze_client: AnyCoze, coze_router: respx.MockRouter) -> None:
        """``on_progress`` sees every intermediate state, not only the last one."""
        coze_router.post("/v1/workflow/stream_run").mock(return_value=golden_stream("workflows/stream_ok.sse"))
        seen: list[WorkflowProgress] = []
        await workflow_progress(coze_client, seen.append, workflow_id="wf")
        sent = [event.json()["content"] for event in golden_events("workflows/stream_ok.sse")[:2]]
        assert [[m.content for m in s.messages] for s in seen][:2] == [sent[:1], sent]


class TestCozeWorkflowRunHistory:
    """``run_histories.retrieve`` reads one run by workflow id and execute id."""

    @pytest.mark.parametrize(
        "wire",
        [SUCCESS, RUNNING, "workflows/run_history_fail.json"],
        ids=["success", "running", "fail"],
    )
    async def test_history_by_ids(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        sample_execute_id: str,
        wire: str,
    ) -> None:
        """The path names the workflow, then the execution; status, error and times come back typed."""
        route = coze_router.get(_history_path(sample_workflow_id, sample_execute_id)).mock(
            return_value=golden_response(wire)
        )
        found: Any = await read(
            coze_client, coze_calls, run_history_call(coze_client, sample_workflow_id, sample_execute_id)
        )
        [sent] = golden(wire)["data"]
        assert (found.execute_id, found.execute_status, found.error_message) == (
            sample_execute_id,
            sent["execute_status"],
            sent["error_message"],
        )
        # cozepy 0.20.0 reads the string error_code as an int ("" as 0); test_coze_wire_contract xfails that.
        assert found.error_code == int(sent["error_code"] or 0)
        assert (found.create_time, found.update_time) == (sent["create_time"], sent["update_time"])
        assert found.response.logid == LOGID
        assert route.calls.last.request.method == "GET"


class TestCozeWorkflowUntilDone:
    """Start an async run and poll its history until it finishes or the deadline passes."""

    @pytest.fixture
    def start(self, coze_router: respx.MockRouter, sample_execute_id: str) -> respx.Route:
        """The async run answers with an execute id."""
        return coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_ASYNC))

    async def test_polls_until_success(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        poll_policy: PollPolicy,
        start: respx.Route,
        recorded_sleeps: list[float],
        sample_workflow_id: str,
        sample_execute_id: str,
    ) -> None:
        """Running, Running, Success: two sleeps on the fake clock, then the finished history."""
        history = coze_router.get(_history_path(sample_workflow_id, sample_execute_id)).mock(
            side_effect=[golden_response(RUNNING), golden_response(SUCCESS)]
        )
        result = await workflow_until_done(
            coze_client, coze_calls, poll_policy, workflow_id=sample_workflow_id, parameters={"city": "Paris"}
        )
        assert (result.execute_status, result.output) == (
            WorkflowExecuteStatus.SUCCESS,
            golden(SUCCESS)["data"][0]["output"],
        )
        assert request_json(start.calls.last.request)["is_async"] is True
        assert history.call_count == 2
        assert recorded_sleeps == [2.0]

    async def test_deadline_raises_with_execute_id(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        poll_policy: PollPolicy,
        start: respx.Route,
        recorded_sleeps: list[float],
        sample_workflow_id: str,
        sample_execute_id: str,
    ) -> None:
        """A run still going at the deadline raises a timeout carrying the execute id to resume with."""
        history = coze_router.get(_history_path(sample_workflow_id, sample_execute_id)).mock(
            return_value=golden_response(RUNNING)
        )
        with pytest.raises(CozeTimeoutError) as caught:
            await workflow_until_done(
                coze_client, coze_calls, poll_policy, workflow_id=sample_workflow_id, parameters={}
            )
        assert caught.value.execute_id == sample_execute_id
        assert f"execute_id={sample_execute_id}" in str(caught.value)
        # t=0 read, sleep 2, read, sleep 2, read; one more sleep would end past the 5 s deadline.
        assert history.call_count == 3
        assert recorded_sleeps == [2.0, 2.0]

    async def test_async_run_without_execute_id_is_malformed(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, poll_policy: PollPolicy
    ) -> None:
        """An async run answer with no execute id cannot be followed, so it is a typed error."""
        coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("workflows/run_async_without_execute_id.json")
        )
        with pytest.raises(CozeMalformedResponseError, match="no execute_id"):
            await workflow_until_done(coze_client, coze_calls, poll_policy, workflow_id="wf", parameters={})
