"""Workflow runs: blocking, async with a deadline, streamed with progress, and run histories.

cozepy returns a workflow's output as a JSON *string* in ``data``, swallows the stream's ``Done``
event, and never waits for an async run. These helpers decode the output, fold a run's stream
into progress (reporting each event as it arrives) and poll an async run until it finishes or a
deadline passes; the deadline error then carries the ``execute_id`` so the caller can resume.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterable, Callable, Iterable, Sequence
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
    CozeConfigurationError,
    CozeDeadlineExceededError,
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeMalformedResponseError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
)
from coze_integration.polling import DEFAULT_POLICY, Deadline, PollPolicy
from coze_integration.stream_ends import forget_stream_end, last_stream_end
from coze_integration.stream_failures import classify_stream_failure
from coze_integration.translate import excerpt
from coze_integration.wire import last_exchange

RUN_TARGET = "POST /v1/workflow/run"


@dataclass(frozen=True)
class WorkflowRunOutcome:
    """What a workflow run returned: the decoded output, or an ``execute_id`` for async runs.

    ``status`` comes from how Coze answered, never from the output: a blocking run that Coze
    answered with code 0 has finished (a failed one is answered with an error code, which raises),
    even when its output is empty; an async run's answer only acknowledges it, so it is
    ``Running`` until its run history says otherwise (:func:`wait_for_run`).
    """

    execute_id: str | None
    output: Any
    raw_output: str | None
    debug_url: str
    usage: ChatUsage | None
    logid: str | None
    status: WorkflowExecuteStatus = WorkflowExecuteStatus.SUCCESS


def outcome_of(result: WorkflowRunResult, *, is_async: bool = False) -> WorkflowRunOutcome:
    """Decode the answer to a run (``is_async`` as requested); output that is not JSON raises, quoting it."""
    raw = result.data
    logid = result.response.logid
    try:
        output = json.loads(raw) if raw else None
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
        status=WorkflowExecuteStatus.RUNNING if is_async else WorkflowExecuteStatus.SUCCESS,
    )


def _run_call(coze: Coze | AsyncCoze, workflow_id: str, parameters: dict[str, Any], is_async: bool) -> Any:
    return functools.partial(
        coze.workflows.runs.create, workflow_id=workflow_id, parameters=parameters, is_async=is_async
    )


def run_workflow(
    coze: Coze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], is_async: bool = False
) -> WorkflowRunOutcome:
    """Run a workflow once (a write: never retried, so it cannot run twice)."""
    return outcome_of(calls.write(_run_call(coze, workflow_id, parameters, is_async)), is_async=is_async)


async def arun_workflow(
    coze: AsyncCoze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], is_async: bool = False
) -> WorkflowRunOutcome:
    """Async twin of :func:`run_workflow`."""
    return outcome_of(await calls.awrite(_run_call(coze, workflow_id, parameters, is_async)), is_async=is_async)


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
        raise CozeDeadlineExceededError(
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

#: The SSE event with which Coze ends a workflow stream; cozepy yields nothing for it.
DONE_EVENT = "Done"


@dataclass(frozen=True)
class WorkflowProgress:
    """What a streamed workflow run reported, up to one event.

    Every snapshot of a run shares the run's append-only list of events and covers its first
    ``event_count``, so taking one costs the same at the 100,000th event as at the first; the
    tuples below are built when read. The final result of a run is one of:

    - ``complete``: Coze sent ``Done``; ``output`` is the End node's streamed output.
    - ``waiting``: the run stopped at an ``Interrupt``; resume it with ``interrupt``'s
      ``interrupt_data.event_id`` and ``interrupt_data.type``. ``output`` stays ``None``.

    Any other end raises a :class:`~coze_integration.errors.CozeStreamError` whose ``partial`` is
    the progress so far.
    """

    seen: list[WorkflowEvent] = field(default_factory=list, repr=False)
    event_count: int = 0
    complete: bool = False
    output: str | None = None
    debug_url: str | None = None
    logid: str | None = None

    def _covered(self) -> list[WorkflowEvent]:
        return self.seen[: self.event_count]

    @property
    def events(self) -> tuple[WorkflowEventType, ...]:
        """The type of every event, in arrival order (``Done`` is never among them)."""
        return tuple(e.event for e in self._covered())

    @property
    def messages(self) -> tuple[WorkflowEventMessage, ...]:
        """Every ``Message`` event's data, in arrival order."""
        return tuple(e.message for e in self._covered() if e.message is not None)

    @property
    def interrupts(self) -> tuple[WorkflowEventInterrupt, ...]:
        """Every ``Interrupt`` event's data."""
        return tuple(e.interrupt for e in self._covered() if e.interrupt is not None)

    @property
    def errors(self) -> tuple[WorkflowEventError, ...]:
        """Every ``Error`` event's data."""
        return tuple(e.error for e in self._covered() if e.error is not None)

    @property
    def interrupt(self) -> WorkflowEventInterrupt | None:
        """The interrupt the run waits on, if it stopped at one."""
        interrupts = self.interrupts
        return interrupts[-1] if interrupts else None

    @property
    def waiting(self) -> bool:
        """Whether the run stopped at an interrupt and waits to be resumed."""
        return self.interrupt is not None


def _chunk_order(message: WorkflowEventMessage) -> int:
    return int(message.node_seq_id)


def end_node_output(messages: Sequence[WorkflowEventMessage]) -> str:
    """The End node's output: its ``Message`` chunks joined in ``node_seq_id`` order.

    The End node runs last, so it is the node of the last message; cozepy keeps only
    ``node_title`` of a message's node, so that is what tells its chunks from other nodes'.
    """
    if not messages:
        return ""
    node = messages[-1].node_title
    chunks = sorted((m for m in messages if m.node_title == node), key=_chunk_order)
    return "".join(m.content for m in chunks)


def _debug_url(done_data: str | None) -> str | None:
    try:
        body = json.loads(done_data or "{}")
    except json.JSONDecodeError:
        return None
    url = body.get("debug_url") if isinstance(body, dict) else None
    return url if isinstance(url, str) else None


@dataclass
class _Folder:
    on_progress: Callable[[WorkflowProgress], None] | None
    seen: list[WorkflowEvent] = field(default_factory=list)

    def feed(self, event: WorkflowEvent) -> None:
        self.seen.append(event)
        if self.on_progress is not None:
            self.on_progress(WorkflowProgress(self.seen, len(self.seen), logid=self._logid()))

    def _logid(self) -> str | None:
        exchange = last_exchange()
        return exchange.logid if exchange else None

    def snapshot(self, logid: str | None = None) -> WorkflowProgress:
        end = last_stream_end()
        done = end is not None and end.event == DONE_EVENT
        return WorkflowProgress(
            self.seen,
            len(self.seen),
            debug_url=_debug_url(end.data) if end is not None and done else None,
            logid=logid or self._logid(),
        )

    def _error_event(self, partial: WorkflowProgress) -> CozeStreamEventError | None:
        errors = partial.errors
        if not errors:
            return None
        first = errors[0]  # the cause; later errors follow from it
        return CozeStreamEventError(
            code=first.error_code, msg=first.error_message, partial=partial, logid=partial.logid
        )

    def failure(self, exc: Exception) -> CozeIntegrationError | None:
        kind = classify_stream_failure(exc)
        if kind is None:
            return None
        partial = self.snapshot(kind.logid)
        # Once Coze has said why the run failed, a broken connection after it changes nothing.
        event_error = self._error_event(partial)
        if event_error is not None:
            return event_error
        if kind.malformed_line is not None:
            return CozeMalformedEventError(line=kind.malformed_line, partial=partial, logid=partial.logid)
        return CozeStreamInterruptedError(
            f"workflow stream interrupted: {kind.reason}", partial=partial, logid=partial.logid
        )

    def finish(self) -> WorkflowProgress:
        partial = self.snapshot()
        event_error = self._error_event(partial)
        if event_error is not None:
            raise event_error
        if partial.waiting:
            return partial
        end = last_stream_end()
        if end is None:
            raise CozeConfigurationError(
                "cannot tell whether the workflow stream ended with Done: open it on a client built by "
                "build_coze or build_async_coze, which watch the stream for it"
            )
        if end.event != DONE_EVENT:
            raise CozeStreamInterruptedError("workflow stream ended before Done", partial=partial, logid=partial.logid)
        try:
            output = end_node_output(partial.messages)
        except ValueError:
            raise CozeMalformedEventError(
                line=f"node_seq_id {[m.node_seq_id for m in partial.messages]}", partial=partial, logid=partial.logid
            ) from None
        return replace(partial, complete=True, output=output)


def consume_workflow_stream(
    open_stream: Callable[[], Iterable[WorkflowEvent]],
    on_progress: Callable[[WorkflowProgress], None] | None = None,
) -> WorkflowProgress:
    """Open a sync workflow stream and fold it, calling ``on_progress`` after every event.

    Pass ``lambda: coze.workflows.runs.stream(...)``. Returns the complete or waiting run (see
    :class:`WorkflowProgress`). An ``Error`` event raises
    :class:`~coze_integration.errors.CozeStreamEventError` with its code and message; a stream that
    ends without ``Done`` (a connection closed cleanly mid-run) raises
    :class:`~coze_integration.errors.CozeStreamInterruptedError`; both keep the progress so far.

    cozepy yields nothing for ``Done``, so the end is read from the wire: the client factories
    install :func:`~coze_integration.stream_ends.watch_stream_end`, which notes the last SSE
    ``event:`` line (and its data, for the ``debug_url``). A stream opened on a client without that
    hook cannot be told complete, and raises :class:`~coze_integration.errors.CozeConfigurationError`.
    """
    folder = _Folder(on_progress)
    forget_stream_end()
    with typed_errors(folder.failure):
        for event in open_stream():
            folder.feed(event)
    return folder.finish()


async def aconsume_workflow_stream(
    stream: AsyncIterable[WorkflowEvent],
    on_progress: Callable[[WorkflowProgress], None] | None = None,
) -> WorkflowProgress:
    """Async twin of :func:`consume_workflow_stream`; pass ``acoze.workflows.runs.stream(...)``."""
    folder = _Folder(on_progress)
    forget_stream_end()
    with typed_errors(folder.failure):
        async for event in stream:
            folder.feed(event)
    return folder.finish()
