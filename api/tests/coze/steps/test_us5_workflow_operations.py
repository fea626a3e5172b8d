"""User Story 5: workflow runs, results and log queries (features/us5_workflow_operations.feature)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import respx
from cozepy import WorkflowExecuteStatus, WorkflowRunHistory
from pytest_bdd import given, scenarios, then, when

from coze_integration.calls import CozeCalls
from coze_integration.workflow_logs import WorkflowLogFilter, WorkflowLogQueryResult
from coze_integration.workflows import WorkflowProgress, WorkflowRunOutcome, run_history_call
from tests.coze.golden_workflows import delivered_events, done_data, end_node_text, message_data
from tests.coze.parity import AnyCoze, read, workflow_logs, workflow_progress, workflow_run
from tests.coze.steps.async_steps import async_step
from tests.coze.steps.shared import serve_workflow_stream
from tests.coze.wire import (
    LOGID,
    assert_lossless,
    golden,
    golden_response,
    golden_run_history,
    request_json,
)

scenarios("us5_workflow_operations.feature")

RUN_OK = "workflows/run_ok.json"
HISTORY = "workflows/run_history_success.json"
END_CHUNKS = "workflows/stream_run_end_chunks.sse"
HISTORIES = "/v1/workflows/{workflow_id}/run_histories/{execute_id}"


@dataclass(frozen=True)
class WorkflowRequest:
    """Which workflow to run with which inputs."""

    workflow_id: str
    parameters: dict[str, Any]


def _assert_run_body(request_body: dict[str, Any], workflow: WorkflowRequest) -> None:
    assert request_body["workflow_id"] == workflow.workflow_id
    assert request_body["parameters"] == workflow.parameters


@given("workflow ID and inputs", target_fixture="workflow")
def _workflow(sample_workflow_id: str, sample_workflow_inputs: dict[str, Any]) -> WorkflowRequest:
    return WorkflowRequest(sample_workflow_id, sample_workflow_inputs)


@when("executing workflow in blocking mode", target_fixture="run_outcome")
@async_step
async def _run_blocking(
    coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, workflow: WorkflowRequest
) -> WorkflowRunOutcome:
    coze_router.post("/v1/workflow/run", name="workflow.run").mock(return_value=golden_response(RUN_OK))
    return await workflow_run(coze_client, coze_calls, workflow_id=workflow.workflow_id, parameters=workflow.parameters)


@then("returns workflow results with execution status and output data")
def _blocking_results(
    run_outcome: WorkflowRunOutcome, workflow: WorkflowRequest, coze_router: respx.MockRouter
) -> None:
    assert run_outcome.status == WorkflowExecuteStatus.SUCCESS
    wire = golden(RUN_OK)
    assert run_outcome.output == json.loads(wire["data"])
    assert run_outcome.debug_url == wire["debug_url"]
    assert run_outcome.usage is not None
    assert run_outcome.usage.token_count == wire["usage"]["token_count"]
    assert run_outcome.logid == LOGID
    body = request_json(coze_router["workflow.run"].calls.last.request)
    _assert_run_body(body, workflow)
    assert body["is_async"] is False


@dataclass(frozen=True)
class StreamedRun:
    """The final progress and every intermediate snapshot, in arrival order."""

    final: WorkflowProgress
    snapshots: list[WorkflowProgress]


@when("executing workflow in streaming mode", target_fixture="streamed_run")
@async_step
async def _run_streaming(coze_client: AnyCoze, coze_router: respx.MockRouter, workflow: WorkflowRequest) -> StreamedRun:
    serve_workflow_stream(coze_router, END_CHUNKS)
    snapshots: list[WorkflowProgress] = []
    final = await workflow_progress(
        coze_client, snapshots.append, workflow_id=workflow.workflow_id, parameters=workflow.parameters
    )
    return StreamedRun(final, snapshots)


@then("streams workflow progress and results incrementally")
def _streamed_progress(streamed_run: StreamedRun, workflow: WorkflowRequest, coze_router: respx.MockRouter) -> None:
    # One snapshot per event, each holding exactly what had arrived by then.
    events = delivered_events(END_CHUNKS)
    messages = message_data(END_CHUNKS)
    assert [s.event_count for s in streamed_run.snapshots] == list(range(1, len(events) + 1))
    assert [[m.content for m in s.messages] for s in streamed_run.snapshots] == [
        [e.json()["content"] for e in events[: i + 1] if e.event == "Message"] for i in range(len(events))
    ]
    assert not any(s.complete for s in streamed_run.snapshots)
    # The result: the End node's chunks joined in node_seq_id order, complete once Done arrived.
    final = streamed_run.final
    assert (final.complete, final.output) == (True, end_node_text(END_CHUNKS))
    assert [m.node_is_finish for m in final.messages] == [m["node_is_finish"] for m in messages]
    assert (final.debug_url, final.logid) == (done_data(END_CHUNKS)["debug_url"], LOGID)
    _assert_run_body(request_json(coze_router["workflow.stream"].calls.last.request), workflow)


@given("workflow run ID", target_fixture="execute_id")
def _execute_id(sample_workflow_id: str, sample_execute_id: str, coze_router: respx.MockRouter) -> str:
    path = HISTORIES.format(workflow_id=sample_workflow_id, execute_id=sample_execute_id)
    coze_router.get(path, name="run_history").mock(return_value=golden_response(HISTORY))
    return sample_execute_id


@when("retrieving workflow results", target_fixture="run_history")
@async_step
async def _retrieve_results(
    coze_client: AnyCoze, coze_calls: CozeCalls, sample_workflow_id: str, execute_id: str
) -> WorkflowRunHistory:
    history: WorkflowRunHistory = await read(
        coze_client, coze_calls, run_history_call(coze_client, sample_workflow_id, execute_id)
    )
    return history


@then("returns complete execution details and output")
def _execution_details(run_history: WorkflowRunHistory, execute_id: str, coze_router: respx.MockRouter) -> None:
    [wire] = golden(HISTORY)["data"]
    assert (run_history.execute_id, run_history.output) == (execute_id, wire["output"])
    assert run_history.execute_status == WorkflowExecuteStatus.SUCCESS
    assert (run_history.create_time, run_history.update_time) == (wire["create_time"], wire["update_time"])
    # Every documented detail arrives, except error_code: cozepy 0.20.0 reads the string as an int.
    assert_lossless(run_history, {key: value for key, value in wire.items() if key != "error_code"})
    assert run_history.response.logid == LOGID
    assert coze_router["run_history"].call_count == 1


RUNS = {
    # execute id: (status, created at, output, error message)
    "7484523878849822701": (WorkflowExecuteStatus.FAIL, datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "", "Plugin TIMEOUT"),
    "7484523878849822702": (WorkflowExecuteStatus.FAIL, datetime(2026, 11, 22, 9, 0, tzinfo=UTC), "", "quota exceeded"),
    "7484523878849822703": (WorkflowExecuteStatus.SUCCESS, datetime(2026, 11, 23, 9, 0, tzinfo=UTC), "timeout=30", ""),
    "7484523878849822704": (WorkflowExecuteStatus.FAIL, datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "", "LLM timeout"),
    "7484523878849822705": (WorkflowExecuteStatus.FAIL, datetime(2026, 11, 26, 9, 0, tzinfo=UTC), "", "timeout"),
}
UNKNOWN_RUN = "7484523878849822799"


@given("filter parameters (status, date range, keywords)", target_fixture="log_filter")
def _log_filter(coze_router: respx.MockRouter, sample_workflow_id: str) -> WorkflowLogFilter:
    for execute_id, (status, created, output, error) in RUNS.items():
        history = golden_run_history(
            execute_id, status, create_time=int(created.timestamp()), output=output, error_message=error
        )
        path = HISTORIES.format(workflow_id=sample_workflow_id, execute_id=execute_id)
        coze_router.get(path, name=execute_id).mock(return_value=history)
    path = HISTORIES.format(workflow_id=sample_workflow_id, execute_id=UNKNOWN_RUN)
    coze_router.get(path, name=UNKNOWN_RUN).mock(return_value=golden_response("errors/not_found_4200.json"))
    return WorkflowLogFilter.build(
        statuses=["Fail"],
        created_from=datetime(2026, 11, 21, tzinfo=UTC),
        created_to=datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC),
        keyword="TimeOut",
    )


@when("querying workflow logs", target_fixture="log_result")
@async_step
async def _query_logs(
    coze_client: AnyCoze, coze_calls: CozeCalls, sample_workflow_id: str, log_filter: WorkflowLogFilter
) -> WorkflowLogQueryResult:
    return await workflow_logs(
        coze_client,
        coze_calls,
        workflow_id=sample_workflow_id,
        execute_ids=[*RUNS, UNKNOWN_RUN],
        log_filter=log_filter,
    )


@then("returns filtered log entries matching criteria")
def _filtered_logs(log_result: WorkflowLogQueryResult, coze_router: respx.MockRouter) -> None:
    # Only 704 is a failure, created inside the range, mentioning "timeout" in any case:
    # 701 is too early, 702 lacks the keyword, 703 succeeded, 705 is too late.
    assert [entry.execute_id for entry in log_result.entries] == ["7484523878849822704"]
    [entry] = log_result.entries
    assert (entry.status, entry.error_message) == (WorkflowExecuteStatus.FAIL, "LLM timeout")
    assert entry.created_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert log_result.missing == (UNKNOWN_RUN,)
    assert all(coze_router[name].call_count == 1 for name in [*RUNS, UNKNOWN_RUN])
