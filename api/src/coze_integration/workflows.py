"""Workflow runs: blocking, async with a deadline, streamed with progress, and run histories.

cozepy returns a workflow's output as a JSON *string* in ``data``, swallows the stream's ``Done``
event, and never waits for an async run. These helpers decode the output, fold a run's stream
into progress (reporting each event as it arrives) and poll an async run until it finishes or a
deadline passes; the timeout error then carries the ``execute_id`` so the caller can resume.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cozepy import (
    AsyncCoze,
    ChatUsage,
    Coze,
    WorkflowEvent,
    WorkflowEventError,
    WorkflowEventInterrupt,
    WorkflowEventMessage,
    WorkflowEventType,
    WorkflowExecuteStatus,
    WorkflowRunHistory,
    WorkflowRunResult,
)

from coze_integration.calls import CozeCalls, typed_errors
from coze_integration.errors import (
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeMalformedResponseError,
    CozeStreamInterruptedError,
    CozeTimeoutError,
)
from coze_integration.polling import DEFAULT_POLICY, Deadline, PollPolicy
from coze_integration.stream_failures import classify_stream_failure
from coze_integration.translate import excerpt

RUN_TARGET = "POST /v1/workflow/run"


@dataclass(frozen=True)
class WorkflowRunOutcome:
    """What a workflow run returned: the decoded output, or an ``execute_id`` for async runs."""

    execute_id: str | None
    output: Any
    raw_output: str | None
    debug_url: str
    usage: ChatUsage | None
    logid: str | None

    @property
    def status(self) -> WorkflowExecuteStatus:
        """``Success`` for a finished blocking run, ``Running`` for an async run still going.

        A failed blocking run never gets here: Coze answers it with an error code.
        """
        if self.execute_id is not None and self.raw_output is None:
            return WorkflowExecuteStatus.RUNNING
        return WorkflowExecuteStatus.SUCCESS


def outcome_of(result: WorkflowRunResult) -> WorkflowRunOutcome:
    """Decode a run result; output that is not JSON raises, quoting it in full."""
    raw = result.data or None
    logid = result.response.logid
    try:
        output = json.loads(raw) if raw is not None else None
    except json.JSONDecodeError:
        raise CozeMalformedResponseError(
            target=RUN_TARGET, detail=f"output is not JSON: {excerpt(raw or '')!r}", logid=logid, body=raw
        ) from None
    return WorkflowRunOutcome(
        execute_id=result.execute_id or None,
        output=output,
        raw_output=raw,
        debug_url=result.debug_url,
        usage=result.usage,
        logid=logid,
    )


def _run_call(coze: Coze | AsyncCoze, workflow_id: str, parameters: dict[str, Any], is_async: bool) -> Any:
    return functools.partial(
        coze.workflows.runs.create, workflow_id=workflow_id, parameters=parameters, is_async=is_async
    )


def run_workflow(
    coze: Coze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], is_async: bool = False
) -> WorkflowRunOutcome:
    """Run a workflow once (a write: never retried, so it cannot run twice)."""
    return outcome_of(calls.write(_run_call(coze, workflow_id, parameters, is_async)))


async def arun_workflow(
    coze: AsyncCoze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], is_async: bool = False
) -> WorkflowRunOutcome:
    """Async twin of :func:`run_workflow`."""
    return outcome_of(await calls.awrite(_run_call(coze, workflow_id, parameters, is_async)))


# --- waiting for async runs ------------------------------------------------------------------------


def run_history_call(coze: Coze | AsyncCoze, workflow_id: str, execute_id: str) -> Any:
    return functools.partial(coze.workflows.runs.run_histories.retrieve, workflow_id=workflow_id, execute_id=execute_id)


def _execute_id(outcome: WorkflowRunOutcome) -> str:
    if outcome.execute_id is None:
        raise CozeMalformedResponseError(
            target=RUN_TARGET, detail="async run returned no execute_id", logid=outcome.logid
        )
    return outcome.execute_id


def _running(history: WorkflowRunHistory, deadline: Deadline) -> bool:
    if history.execute_status != WorkflowExecuteStatus.RUNNING:
        return False
    if deadline.passed():
        raise CozeTimeoutError(
            target=f"workflow {history.execute_id}",
            reason=f"still running after {deadline.policy.timeout:g} s",
            execute_id=history.execute_id,
        )
    return True


def wait_for_run(
    coze: Coze, calls: CozeCalls, *, workflow_id: str, execute_id: str, policy: PollPolicy = DEFAULT_POLICY
) -> WorkflowRunHistory:
    """Poll a run's history until it is no longer ``Running``; raise a resumable timeout at the deadline."""
    deadline = policy.deadline()
    history: WorkflowRunHistory = calls.read(run_history_call(coze, workflow_id, execute_id))
    while _running(history, deadline):
        policy.sleep(policy.interval)
        history = calls.read(run_history_call(coze, workflow_id, execute_id))
    return history


async def await_run(
    coze: AsyncCoze, calls: CozeCalls, *, workflow_id: str, execute_id: str, policy: PollPolicy = DEFAULT_POLICY
) -> WorkflowRunHistory:
    """Async twin of :func:`wait_for_run`."""
    deadline = policy.deadline()
    history: WorkflowRunHistory = await calls.aread(run_history_call(coze, workflow_id, execute_id))
    while _running(history, deadline):
        await policy.asleep(policy.interval)
        history = await calls.aread(run_history_call(coze, workflow_id, execute_id))
    return history


def run_workflow_until_done(
    coze: Coze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], policy: PollPolicy = DEFAULT_POLICY
) -> WorkflowRunHistory:
    """Start an async run and wait for its result, up to the policy's deadline."""
    outcome = run_workflow(coze, calls, workflow_id=workflow_id, parameters=parameters, is_async=True)
    return wait_for_run(coze, calls, workflow_id=workflow_id, execute_id=_execute_id(outcome), policy=policy)


async def arun_workflow_until_done(
    coze: AsyncCoze,
    calls: CozeCalls,
    *,
    workflow_id: str,
    parameters: dict[str, Any],
    policy: PollPolicy = DEFAULT_POLICY,
) -> WorkflowRunHistory:
    """Async twin of :func:`run_workflow_until_done`."""
    outcome = await arun_workflow(coze, calls, workflow_id=workflow_id, parameters=parameters, is_async=True)
    return await await_run(coze, calls, workflow_id=workflow_id, execute_id=_execute_id(outcome), policy=policy)


# --- streamed runs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowProgress:
    """Everything a streamed workflow run reported so far."""

    messages: tuple[WorkflowEventMessage, ...] = ()
    interrupts: tuple[WorkflowEventInterrupt, ...] = ()
    errors: tuple[WorkflowEventError, ...] = ()
    events: tuple[WorkflowEventType, ...] = ()

    @property
    def output(self) -> str:
        """The content of the last message from a node that finished."""
        finished = [m.content for m in self.messages if m.node_is_finish]
        return finished[-1] if finished else ""

    def add(self, event: WorkflowEvent) -> WorkflowProgress:
        """The progress after ``event``."""
        return replace(
            self,
            messages=self.messages + ((event.message,) if event.message else ()),
            interrupts=self.interrupts + ((event.interrupt,) if event.interrupt else ()),
            errors=self.errors + ((event.error,) if event.error else ()),
            events=(*self.events, event.event),
        )


@dataclass
class _Folder:
    on_progress: Callable[[WorkflowProgress], None] | None
    progress: WorkflowProgress = field(default_factory=WorkflowProgress)

    def feed(self, event: WorkflowEvent) -> None:
        self.progress = self.progress.add(event)
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def failure(self, exc: Exception) -> CozeIntegrationError | None:
        kind = classify_stream_failure(exc)
        if kind is None:
            return None
        if kind.malformed_line is not None:
            return CozeMalformedEventError(line=kind.malformed_line, partial=self.progress, logid=kind.logid)
        return CozeStreamInterruptedError(
            f"workflow stream interrupted: {kind.reason}", partial=self.progress, logid=kind.logid
        )


def consume_workflow_stream(
    open_stream: Callable[[], Iterable[WorkflowEvent]],
    on_progress: Callable[[WorkflowProgress], None] | None = None,
) -> WorkflowProgress:
    """Fold a sync workflow stream, calling ``on_progress`` after every event."""
    folder = _Folder(on_progress)
    with typed_errors(folder.failure):
        for event in open_stream():
            folder.feed(event)
    return folder.progress


async def aconsume_workflow_stream(
    stream: AsyncIterable[WorkflowEvent],
    on_progress: Callable[[WorkflowProgress], None] | None = None,
) -> WorkflowProgress:
    """Async twin of :func:`consume_workflow_stream`."""
    folder = _Folder(on_progress)
    with typed_errors(folder.failure):
        async for event in stream:
            folder.feed(event)
    return folder.progress
