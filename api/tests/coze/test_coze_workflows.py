"""Workflow runs: blocking and async runs, streamed progress, run histories and the deadline helper.

Endpoints: POST /v1/workflow/run, POST /v1/workflow/stream_run and
GET /v1/workflows/{workflow_id}/run_histories/{execute_id}.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
import pytest
import respx
from cozepy import (
    WorkflowEventType,
    WorkflowExecuteStatus,
)

from coze_integration.calls import CozeCalls
from coze_integration.errors import (
    CozeConfigurationError,
    CozeMalformedResponseError,
    CozeServerError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    CozeTimeoutError,
)
from coze_integration.polling import PollPolicy
from coze_integration.workflows import WorkflowProgress, decoded_output, run_history_call
from tests.coze.golden_workflows import delivered_events, done_data, end_node_text, message_data
from tests.coze.parity import AnyCoze, plain_cozepy_client, read, workflow_progress, workflow_run, workflow_until_done
from tests.coze.wire import (
    LOGID,
    event_stream,
    golden,
    golden_events,
    golden_response,
    golden_stream,
    golden_text,
    request_json,
)

END_CHUNKS = "workflows/stream_run_end_chunks.sse"
ERROR_EVENT = "workflows/stream_run_error_event.sse"
INTERRUPT = "workflows/stream_interrupt.sse"
NO_DONE = "workflows/stream_run_no_done.sse"

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-009")]


RUN_OK, RUN_ASYNC = "workflows/run_ok.json", "workflows/run_async.json"
NOT_JSON, INTERRUPTED = "workflows/run_not_json.json", "workflows/run_interrupted.json"
RUNNING, SUCCESS = "workflows/run_history_running.json", "workflows/run_history_success.json"
TEXT = "workflows/run_history_not_json.json"


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
        assert (outcome.output, outcome.raw_output, outcome.output_is_json) == (
            json.loads(wire["data"]),
            wire["data"],
            True,
        )
        assert (outcome.waiting, outcome.interrupt) == (False, None)
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
        assert outcome.logid == LOGID
        assert request_json(route.calls.last.request)["is_async"] is True

    async def test_async_run_without_debug_url(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_execute_id: str
    ) -> None:
        """An async run acknowledged without ``debug_url`` (cozepy alone cannot parse it) still gives its execute id."""
        coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("workflows/run_async_without_debug_url.json")
        )
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={}, is_async=True)
        assert (outcome.execute_id, outcome.debug_url, outcome.status) == (
            sample_execute_id,
            "",
            WorkflowExecuteStatus.RUNNING,
        )
        assert outcome.logid == LOGID

    async def test_blocking_run_with_empty_output_has_finished(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A blocking run Coze answered with code 0 has finished, even with an empty output and an execute id."""
        answer = golden("workflows/run_sync_empty_output.json")
        route = coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("workflows/run_sync_empty_output.json")
        )
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert outcome.status == WorkflowExecuteStatus.SUCCESS
        assert (outcome.output, outcome.raw_output, outcome.output_is_json) == (None, "", False)
        assert outcome.execute_id == answer["execute_id"]
        assert (outcome.debug_url, outcome.logid) == (answer["debug_url"], LOGID)
        assert request_json(route.calls.last.request)["is_async"] is False

    async def test_output_that_is_not_json_is_kept_as_text(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A run whose output is plain text (which Coze documents) has finished: the text is kept, nothing decoded."""
        coze_router.post("/v1/workflow/run").mock(return_value=golden_response(NOT_JSON))
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (outcome.raw_output, outcome.output, outcome.output_is_json) == (golden(NOT_JSON)["data"], None, False)
        assert (outcome.status, outcome.waiting, outcome.logid) == (WorkflowExecuteStatus.SUCCESS, False, LOGID)

    @pytest.mark.parametrize(
        ("data", "output"), [("null", None), ('"Have a nice trip!"', "Have a nice trip!")], ids=["null", "string"]
    )
    async def test_json_output_is_told_from_text_by_the_flag(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, data: str, output: Any
    ) -> None:
        """Output that is JSON ``null`` or a JSON string is decoded and flagged as JSON, unlike plain text."""
        coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_OK, changes={"data": data}))
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (outcome.output, outcome.raw_output, outcome.output_is_json) == (output, data, True)

    async def test_run_is_never_retried(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """A failed run surfaces at once: retrying could run the workflow twice."""
        route = coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("errors/internal_5000.json", status=503)
        )
        with pytest.raises(CozeServerError) as caught:
            await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (route.call_count, caught.value.logid) == (1, LOGID)


def _question_node_answer() -> dict[str, Any]:
    """The interrupted run's answer as a question node gives it: type 2, only the event id and type."""
    body: dict[str, Any] = golden(INTERRUPTED)
    body["interrupt_data"] = {"type": 2, "event_id": body["interrupt_data"]["event_id"]}
    return body


class TestCozeWorkflowRunInterrupted:
    """A blocking run answered with ``interrupt_data`` is waiting, with what it takes to resume it."""

    async def test_run_stopped_at_an_input_node_is_waiting(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        mock_coze_api_token: str,
    ) -> None:
        """The documented interrupted answer is a waiting, unfinished run carrying the event id, type and data."""
        route = coze_router.post("/v1/workflow/run").mock(return_value=golden_response(INTERRUPTED))
        outcome = await workflow_run(coze_client, coze_calls, workflow_id=sample_workflow_id, parameters={})
        wire = golden(INTERRUPTED)
        assert (outcome.waiting, outcome.status) == (True, WorkflowExecuteStatus.RUNNING)
        assert outcome.interrupt is not None
        assert outcome.interrupt.model_dump() == wire["interrupt_data"]
        with pytest.raises(pydantic.ValidationError, match="frozen"):
            outcome.interrupt.event_id = "another"  # type: ignore[misc]  # what Coze sent is what the caller resumes with
        assert (outcome.output, outcome.raw_output, outcome.output_is_json) == (None, wire["data"], False)
        assert (outcome.execute_id, outcome.debug_url, outcome.logid) == (None, wire["debug_url"], LOGID)
        request = route.calls.last.request
        assert request_json(request) == {"workflow_id": sample_workflow_id, "parameters": {}, "is_async": False}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    @pytest.mark.parametrize("event_id", [None, "7"], ids=["documented-id", "one-character-id"])
    async def test_question_node_interrupt_needs_only_event_id_and_type(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, event_id: str | None
    ) -> None:
        """An interrupt with any non-empty event id and no data or required parameters is waiting with empty ones."""
        body = _question_node_answer()
        if event_id is not None:
            body["interrupt_data"]["event_id"] = event_id
        coze_router.post("/v1/workflow/run").mock(
            return_value=event_stream(json.dumps(body), content_type="application/json")
        )
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert outcome.interrupt is not None
        assert (outcome.interrupt.event_id, outcome.interrupt.type) == (body["interrupt_data"]["event_id"], 2)
        assert (outcome.interrupt.data, outcome.interrupt.required_parameters) == ("", {})
        assert (outcome.waiting, outcome.status, outcome.logid) == (True, WorkflowExecuteStatus.RUNNING, LOGID)

    async def test_null_interrupt_data_is_no_interrupt(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter
    ) -> None:
        """``interrupt_data: null`` is a finished run, not a waiting one."""
        coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response(INTERRUPTED, changes={"interrupt_data": None})
        )
        outcome = await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (outcome.waiting, outcome.interrupt, outcome.status) == (False, None, WorkflowExecuteStatus.SUCCESS)

    @pytest.mark.parametrize(
        ("changes", "noted"),
        [
            ({"interrupt_data.event_id": ""}, {**golden(INTERRUPTED)["interrupt_data"], "event_id": ""}),
            ({"interrupt_data.type": "5"}, {**golden(INTERRUPTED)["interrupt_data"], "type": "5"}),
            ({"interrupt_data": "7484523878849822601/2"}, "7484523878849822601/2"),
        ],
        ids=["empty-event-id", "type-not-a-number", "not-an-object"],
    )
    async def test_interrupt_that_cannot_be_resumed_is_malformed(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        changes: dict[str, Any],
        noted: Any,
    ) -> None:
        """An interrupt without a usable event id or type is a malformed answer that keeps what Coze sent."""
        coze_router.post("/v1/workflow/run").mock(return_value=golden_response(INTERRUPTED, changes=changes))
        with pytest.raises(CozeMalformedResponseError) as caught:
            await workflow_run(coze_client, coze_calls, workflow_id="wf", parameters={})
        assert (caught.value.target, caught.value.logid) == ("POST /v1/workflow/run", LOGID)
        assert caught.value.detail.startswith("interrupt_data cannot be resumed: 1 validation error")
        assert caught.value.body is not None
        assert json.loads(caught.value.body) == noted

    async def test_client_without_the_hooks_cannot_tell_a_waiting_run(
        self, coze_kind: str, coze_calls: CozeCalls, coze_router: respx.MockRouter, mock_coze_api_token: str
    ) -> None:
        """On a client without the factories' hooks a run's interrupt is unknowable, which is said, not guessed."""
        route = coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_OK))
        client = plain_cozepy_client(coze_kind, mock_coze_api_token)
        with pytest.raises(CozeConfigurationError) as caught:
            await workflow_run(client, coze_calls, workflow_id="wf", parameters={})
        assert str(caught.value) == (
            "cannot tell whether the workflow run waits on an interrupt: run it on a client built by "
            "build_coze or build_async_coze, whose response hooks note it"
        )
        # The run was sent and answered: the error comes after the call, never instead of it.
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"


class TestCozeWorkflowStream:
    """``workflows.runs.stream`` folded by the project's progress consumer."""

    @pytest.fixture
    def stream_route(self, coze_router: respx.MockRouter) -> respx.Route:
        """POST /v1/workflow/stream_run, answered by each test with a golden stream."""
        return coze_router.post("/v1/workflow/stream_run")

    @pytest.mark.parametrize("recording", [END_CHUNKS, "workflows/stream_ok.sse"], ids=["three-chunks", "two-chunks"])
    async def test_output_is_the_end_nodes_chunks_joined(
        self,
        coze_client: AnyCoze,
        stream_route: respx.Route,
        sample_workflow_id: str,
        mock_coze_api_token: str,
        recording: str,
    ) -> None:
        """The output is every End-node chunk joined in order, not its last chunk; ``Done`` makes the run complete."""
        stream_route.mock(return_value=golden_stream(recording))
        progress = await workflow_progress(coze_client, workflow_id=sample_workflow_id, parameters={"q": 1})
        assert progress.output == end_node_text(recording) == '{"day1":"Louvre","day2":"Orsay","day3":"Versailles"}'
        assert (progress.complete, progress.waiting) == (True, False)
        assert [m.content for m in progress.messages] == [m["content"] for m in message_data(recording)]
        assert list(progress.events) == [WorkflowEventType(e.event) for e in delivered_events(recording)]
        # stream_ok's Done carries no debug URL ({}), the other's does.
        assert (progress.debug_url, progress.logid) == (done_data(recording).get("debug_url"), LOGID)
        request = stream_route.calls.last.request
        assert request_json(request) == {"workflow_id": sample_workflow_id, "parameters": {"q": 1}}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_fields_without_a_space_after_the_colon(
        self, coze_client: AnyCoze, stream_route: respx.Route
    ) -> None:
        """``event:Done`` and ``data:{...}`` (the space after the colon is optional in SSE) still complete the run."""
        stream_route.mock(
            return_value=event_stream(golden_text(END_CHUNKS).replace("event: ", "event:").replace("data: ", "data:"))
        )
        progress = await workflow_progress(coze_client, workflow_id="wf")
        assert (progress.complete, progress.output) == (True, end_node_text(END_CHUNKS))
        assert progress.debug_url == done_data(END_CHUNKS)["debug_url"]

    async def test_end_chunks_are_joined_in_node_seq_id_order(
        self, coze_client: AnyCoze, stream_route: respx.Route
    ) -> None:
        """End-node chunks that arrive out of order are joined in ``node_seq_id`` order; other nodes stay out."""
        blocks = golden_text(END_CHUNKS).split("\n\n")
        at = [i for i, block in enumerate(blocks) if '"node_title":"End"' in block]
        for i, j in zip(at, reversed(at), strict=True):
            blocks[i] = golden_text(END_CHUNKS).split("\n\n")[j]
        stream_route.mock(return_value=event_stream("\n\n".join(blocks)))
        progress = await workflow_progress(coze_client, workflow_id="wf")
        assert [m.node_seq_id for m in progress.messages if m.node_title == "End"] == ["2", "1", "0"]
        assert progress.output == end_node_text(END_CHUNKS)

    @pytest.mark.parametrize("recording", [ERROR_EVENT, "workflows/stream_error.sse"], ids=["no-done", "then-done"])
    @pytest.mark.parametrize(
        "serve", [golden_stream, lambda name: event_stream(golden_text(name), cut=True)], ids=["ends", "then-drops"]
    )
    @pytest.mark.covers("FR-017")
    async def test_error_event_raises_with_partial_progress(
        self,
        coze_client: AnyCoze,
        stream_route: respx.Route,
        serve: Callable[[str], httpx.Response],
        recording: str,
    ) -> None:
        """An ``Error`` event fails the run with its code, message, logid and the messages before it.

        A connection that drops after it changes nothing: Coze has already said why the run failed.
        """
        stream_route.mock(return_value=serve(recording))
        with pytest.raises(CozeStreamEventError) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        [error] = [e.json() for e in golden_events(recording) if e.event == "Error"]
        assert (caught.value.code, caught.value.msg, caught.value.logid) == (
            error["error_code"],
            error["error_message"],
            LOGID,
        )
        partial = caught.value.partial
        assert isinstance(partial, WorkflowProgress)
        assert [m.content for m in partial.messages] == [m["content"] for m in message_data(recording)]
        assert (partial.complete, partial.output, partial.logid) == (False, None, LOGID)

    @pytest.mark.parametrize("done", [True, False], ids=["then-done", "no-done"])
    async def test_interrupt_means_waiting_not_completed(
        self, coze_client: AnyCoze, stream_route: respx.Route, done: bool
    ) -> None:
        """An ``Interrupt`` ends the stream waiting, with the event id and type to resume with, and no output.

        Whether ``Done`` follows it or not (the guide's sample ends without it) changes nothing.
        """
        text = golden_text(INTERRUPT)
        stream_route.mock(return_value=event_stream(text if done else text[: text.rindex("id: ")]))
        progress = await workflow_progress(coze_client, workflow_id="wf")
        [interrupt] = [e.json() for e in golden_events(INTERRUPT) if e.event == "Interrupt"]
        assert (progress.waiting, progress.complete, progress.output) == (True, False, None)
        assert progress.interrupt is not None
        resume = progress.interrupt.interrupt_data
        assert (resume.event_id, resume.type) == (
            interrupt["interrupt_data"]["event_id"],
            interrupt["interrupt_data"]["type"],
        )
        assert progress.interrupt.node_title == interrupt["node_title"]
        assert [m.content for m in progress.messages] == [m["content"] for m in message_data(INTERRUPT)]

    async def test_stream_without_done_is_interrupted(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """A stream closed cleanly before ``Done`` raises the interrupted-stream error, keeping every chunk."""
        stream_route.mock(return_value=golden_stream(NO_DONE))
        with pytest.raises(
            CozeStreamInterruptedError, match=rf"^workflow stream ended before Done \(logid={LOGID}\)$"
        ) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        partial = caught.value.partial
        assert isinstance(partial, WorkflowProgress)
        assert [m.content for m in partial.messages] == [m["content"] for m in message_data(NO_DONE)]
        assert (partial.complete, partial.output, caught.value.logid) == (False, None, LOGID)

    async def test_client_without_the_watcher_cannot_vouch_for_done(
        self, coze_kind: str, coze_router: respx.MockRouter, stream_route: respx.Route, mock_coze_api_token: str
    ) -> None:
        """Cozepy hides ``Done``: on a client not built by the factories a finished stream raises, it never passes."""
        stream_route.mock(return_value=golden_stream(END_CHUNKS))
        client = plain_cozepy_client(coze_kind, mock_coze_api_token)
        with pytest.raises(CozeConfigurationError) as caught:
            await workflow_progress(client, workflow_id="wf")
        assert str(caught.value) == (
            "cannot tell whether the workflow stream ended with Done: open it on a client built by "
            "build_coze or build_async_coze, which watch the stream for it"
        )

    async def test_progress_callback_errors_pass_through(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """An exception from the caller's ``on_progress`` reaches the caller unchanged, never as a stream error."""
        stream_route.mock(return_value=golden_stream(END_CHUNKS))

        def report(progress: WorkflowProgress) -> None:
            raise ValueError(f"the page showing event {progress.event_count} was closed")

        with pytest.raises(ValueError, match="event 1 was closed") as caught:
            await workflow_progress(coze_client, report, workflow_id="wf")
        assert type(caught.value) is ValueError

    async def test_progress_snapshots_share_one_history(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """``on_progress`` gets one snapshot per event, each covering what had arrived, none copying the history."""
        stream_route.mock(return_value=golden_stream(END_CHUNKS))
        seen: list[WorkflowProgress] = []
        final = await workflow_progress(coze_client, seen.append, workflow_id="wf")
        events = delivered_events(END_CHUNKS)
        assert [s.event_count for s in seen] == list(range(1, len(events) + 1))
        assert [len(s.messages) for s in seen] == [
            sum(e.event == "Message" for e in events[: i + 1]) for i in range(len(events))
        ]
        assert all(s._record is final._record for s in seen)  # one shared record: no copy per event
        assert [s.complete for s in seen] == [False] * len(events)
        assert {s.logid for s in seen} == {LOGID}

    async def test_snapshot_before_an_interrupt_is_not_waiting(
        self, coze_client: AnyCoze, stream_route: respx.Route
    ) -> None:
        """Each snapshot shows the interrupt only once it has arrived, even read after the run."""
        stream_route.mock(return_value=golden_stream(INTERRUPT))
        seen: list[WorkflowProgress] = []
        final = await workflow_progress(coze_client, seen.append, workflow_id="wf")
        assert [s.waiting for s in seen] == [False, True]
        assert (len(seen[0].interrupts), len(final.interrupts)) == (0, 1)


class TestCozeWorkflowRunHistory:
    """``run_histories.retrieve`` reads one run by workflow id and execute id."""

    @pytest.mark.parametrize(
        "wire",
        [SUCCESS, RUNNING, "workflows/run_history_fail.json", "workflows/run_history_trimmed_surrogate.json", TEXT],
        ids=["success", "running", "fail", "output-trimmed-mid-character", "output-not-json"],
    )
    @pytest.mark.covers("FR-010")
    async def test_history_by_ids(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_workflow_id: str,
        sample_execute_id: str,
        mock_coze_api_token: str,
        wire: str,
    ) -> None:
        """The path names the workflow, then the execution; status, output, error and times come back typed.

        An output Coze trimmed in the middle of a surrogate pair (an escaped lone surrogate) arrives as sent.
        """
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
        assert (found.output, found.is_output_trimmed) == (sent["output"], sent["is_output_trimmed"])
        assert found.response.logid == LOGID
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert route.calls.last.request.method == "GET"


class TestCozeWorkflowUntilDone:
    """Start an async run and poll its history until it finishes or the deadline passes."""

    @pytest.fixture
    def start(self, coze_router: respx.MockRouter, sample_execute_id: str) -> respx.Route:
        """The async run answers with an execute id."""
        return coze_router.post("/v1/workflow/run").mock(return_value=golden_response(RUN_ASYNC))

    @pytest.mark.parametrize(
        ("finished", "decoded"),
        [(SUCCESS, (True, json.loads(golden(SUCCESS)["data"][0]["output"]))), (TEXT, (False, None))],
        ids=["json-output", "text-output"],
    )
    @pytest.mark.covers("FR-010")
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
        finished: str,
        decoded: tuple[bool, Any],
    ) -> None:
        """Running, then Success: one sleep on the fake clock, then the finished history, its output JSON or text."""
        history = coze_router.get(_history_path(sample_workflow_id, sample_execute_id)).mock(
            side_effect=[golden_response(RUNNING), golden_response(finished)]
        )
        result = await workflow_until_done(
            coze_client, coze_calls, poll_policy, workflow_id=sample_workflow_id, parameters={"city": "Paris"}
        )
        assert (result.execute_status, result.output) == (
            WorkflowExecuteStatus.SUCCESS,
            golden(finished)["data"][0]["output"],
        )
        assert decoded_output(result.output) == decoded
        assert result.response.logid == LOGID
        assert request_json(start.calls.last.request) == {
            "workflow_id": sample_workflow_id,
            "parameters": {"city": "Paris"},
            "is_async": True,
        }
        assert history.call_count == 2
        assert recorded_sleeps == [2.0]

    @pytest.mark.covers("FR-010")
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
        assert caught.value.target == f"workflow {sample_execute_id}"
        assert caught.value.reason == "still running after 5 s"
        assert f"execute_id={sample_execute_id}" in str(caught.value)
        assert not caught.value.retryable  # the deadline has passed: another attempt cannot meet it
        # t=0 read, sleep 2, read, sleep 2, read; one more sleep would end past the 5 s deadline.
        assert history.call_count == 3
        assert recorded_sleeps == [2.0, 2.0]

    @pytest.mark.covers("FR-010")
    async def test_async_run_without_execute_id_is_malformed(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, poll_policy: PollPolicy
    ) -> None:
        """An async run answer with no execute id cannot be followed, so it is a typed error."""
        coze_router.post("/v1/workflow/run").mock(
            return_value=golden_response("workflows/run_async_without_execute_id.json")
        )
        with pytest.raises(CozeMalformedResponseError) as caught:
            await workflow_until_done(coze_client, coze_calls, poll_policy, workflow_id="wf", parameters={})
        assert (caught.value.target, caught.value.detail) == (
            "POST /v1/workflow/run",
            "async run returned no execute_id",
        )
        assert caught.value.logid == LOGID
