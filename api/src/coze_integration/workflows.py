"""Workflow runs: blocking, async with a deadline, streamed with progress, and run histories.

cozepy returns a workflow's output as the string in ``data`` (usually JSON, sometimes plain text),
drops the interrupt a blocking run stopped at, swallows the stream's ``Done`` event, and never
waits for an async run. These helpers decode the output where it is JSON, keep the interrupt
(noted by the client's response hooks), fold a run's stream into progress (reporting each event
as it arrives) and poll an async run until it finishes or a deadline passes; the deadline error
then carries the ``execute_id`` so the caller can resume.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Generator, Iterable
from contextlib import aclosing, closing
from dataclasses import dataclass, field, replace
from typing import Any

import pydantic
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

from coze_integration.calls import CozeCalls
from coze_integration.errors import (
    CozeConfigurationError,
    CozeDeadlineExceededError,
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeMalformedResponseError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    classify_stream_failure,
    excerpt,
    typed_errors,
)
from coze_integration.polling import DEFAULT_POLICY, Deadline, PollPolicy
from coze_integration.wire import forget_stream_end, last_exchange, last_stream_end

RUN_TARGET = "POST /v1/workflow/run"


class WorkflowInterrupt(pydantic.BaseModel):
    """What a blocking run that stopped at a node waits for: Coze's ``interrupt_data``.

    ``type`` is 2 for a question node, 5 for an input node (6 an on-device plugin, 7 an OAuth
    plugin); ``data`` is what the node asks, as Coze sent it (often a JSON string); and
    ``required_parameters`` what an input node needs, by parameter name. Resume the run with
    Coze's resume API (``POST /v1/workflows/resume``), passing back ``event_id`` and ``type`` (as
    ``interrupt_type``) with the answer as ``resume_data``.
    """

    model_config = pydantic.ConfigDict(frozen=True, strict=True)

    event_id: str = pydantic.Field(min_length=1)
    type: int
    data: str = ""
    required_parameters: dict[str, Any] = pydantic.Field(default_factory=dict)


def decoded_output(text: str | None) -> tuple[bool, Any]:
    """``(True, value)`` when a workflow's output ``text`` is JSON, else ``(False, None)``.

    Coze sends a run's output as a string that is usually JSON and sometimes plain text (both
    valid outputs); an empty or missing output is not JSON. A run history's ``output`` is decoded
    the same way.
    """
    try:
        return True, json.loads(text or "")
    except json.JSONDecodeError:
        return False, None


@dataclass(frozen=True)
class WorkflowRunOutcome:
    """What a workflow run returned: its output, an ``execute_id`` for async runs, or the interrupt it waits on.

    ``raw_output`` is the output exactly as Coze sent it. ``output_is_json`` says whether it is
    JSON: then ``output`` is its decoded value; otherwise (plain text, or no output) ``output`` is
    ``None`` and the text is in ``raw_output``.

    ``status`` comes from how Coze answered, never from the output: a blocking run that Coze
    answered with code 0 has finished (a failed one is answered with an error code, which raises),
    even when its output is empty; an async run's answer only acknowledges it, so it is
    ``Running`` until its run history says otherwise (:func:`wait_for_run`).

    A blocking run that stopped at a question or input node is ``waiting``: its ``interrupt``
    carries the event id and type to resume it with (see :class:`WorkflowInterrupt`), and it is
    ``Running`` because it has not finished.
    """

    execute_id: str | None
    output: Any
    raw_output: str | None
    debug_url: str
    usage: ChatUsage | None
    logid: str | None
    status: WorkflowExecuteStatus = WorkflowExecuteStatus.SUCCESS
    output_is_json: bool = False
    interrupt: WorkflowInterrupt | None = None

    @property
    def waiting(self) -> bool:
        """Whether the run stopped at an interrupt and waits to be resumed."""
        return self.interrupt is not None


def _interrupt_of(result: WorkflowRunResult) -> WorkflowInterrupt | None:
    """The interrupt the hooks noted in the run's answer (cozepy drops ``interrupt_data``)."""
    exchange = last_exchange()
    if exchange is None:
        raise CozeConfigurationError(
            "cannot tell whether the workflow run waits on an interrupt: run it on a client built by "
            "build_coze or build_async_coze, whose response hooks note it"
        )
    noted = exchange.dropped.get("interrupt_data")
    if noted is None:
        return None
    try:
        return WorkflowInterrupt.model_validate(noted)
    except pydantic.ValidationError as exc:
        raise CozeMalformedResponseError(
            target=RUN_TARGET,
            detail=f"interrupt_data cannot be resumed: {excerpt(str(exc))}",
            logid=result.response.logid,
            body=json.dumps(noted),
        ) from None


def outcome_of(result: WorkflowRunResult, *, is_async: bool) -> WorkflowRunOutcome:
    """The outcome of the answer to a run (``is_async`` as requested)."""
    interrupt = _interrupt_of(result)
    is_json, output = decoded_output(result.data)
    finished = not is_async and interrupt is None
    return WorkflowRunOutcome(
        execute_id=result.execute_id or None,
        output=output,
        raw_output=result.data,
        debug_url=result.debug_url,
        usage=result.usage,
        logid=result.response.logid,
        status=WorkflowExecuteStatus.SUCCESS if finished else WorkflowExecuteStatus.RUNNING,
        output_is_json=is_json,
        interrupt=interrupt,
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
    """Poll a run's history until it is no longer ``Running``; raise a resumable timeout at the deadline.

    The history's ``output`` is Coze's text as sent; :func:`decoded_output` decodes it where it is JSON.
    """
    deadline = policy.deadline()
    history: WorkflowRunHistory = calls.read(run_history_call(coze, workflow_id, execute_id))
    while _running(history, deadline):
        policy.sleep(policy.interval)
        history = calls.read(run_history_call(coze, workflow_id, execute_id))
    return history


async def await_for_run(
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
    return await await_for_run(coze, calls, workflow_id=workflow_id, execute_id=_execute_id(outcome), policy=policy)


# --- streamed runs ---------------------------------------------------------------------------------

#: The SSE event with which Coze ends a workflow stream; cozepy yields nothing for it.
DONE_EVENT = "Done"


#: One ``Message`` as the record keeps it: (node_title, node_seq_id, content, node_is_finish).
_Chunk = tuple[str, str, str, bool]


@dataclass(slots=True)
class _Record:
    """A run's stream as it arrives, appended to and never changed; every snapshot shares it.

    Messages are kept as tuples of plain values, not as cozepy's models: the garbage collector
    keeps scanning every model a long stream leaves alive, which made the fold cost far more than
    reading the stream. A message with ``usage`` or ``ext`` is also kept whole, by index.
    """

    kinds: list[WorkflowEventType] = field(default_factory=list)
    chunks: list[_Chunk] = field(default_factory=list)
    whole: dict[int, WorkflowEventMessage] = field(default_factory=dict)
    #: Interrupts and errors, each with the index of its event.
    stops: list[tuple[int, WorkflowEventInterrupt | WorkflowEventError]] = field(default_factory=list)

    def add(self, event: WorkflowEvent) -> None:
        self.kinds.append(event.event)
        message = event.message
        if message is not None:
            if message.usage is not None or message.ext:
                self.whole[len(self.chunks)] = message
            self.chunks.append((message.node_title, message.node_seq_id, message.content, message.node_is_finish))
        else:
            stop = event.interrupt or event.error
            if stop is not None:
                self.stops.append((len(self.kinds) - 1, stop))

    def message(self, index: int) -> WorkflowEventMessage:
        whole = self.whole.get(index)
        if whole is not None:
            return whole
        title, seq_id, content, finished = self.chunks[index]
        return WorkflowEventMessage.model_construct(
            content=content, node_title=title, node_seq_id=seq_id, node_is_finish=finished
        )


@dataclass(frozen=True, slots=True)
class _Ending:
    complete: bool
    output: str | None
    debug_url: str | None


_RUNNING = _Ending(complete=False, output=None, debug_url=None)


@dataclass(slots=True, eq=False)
class WorkflowProgress:
    """What a streamed workflow run reported, up to one event; read-only.

    Every snapshot of a run shares the run's append-only record and covers its first
    ``event_count`` events, so taking one costs the same at the 100,000th event as at the first;
    the tuples below are built when read. The final result of a run is one of:

    - ``complete``: Coze sent ``Done``; ``output`` is the End node's streamed output.
    - ``waiting``: the run stopped at an ``Interrupt``; resume it with ``interrupt``'s
      ``interrupt_data.event_id`` and ``interrupt_data.type``. ``output`` stays ``None``.

    Any other end raises a :class:`~coze_integration.errors.CozeStreamError` whose ``partial`` is
    the progress so far.
    """

    _record: _Record = field(repr=False)
    _events: int
    _messages: int
    _logid: str | None
    _ending: _Ending = _RUNNING

    @property
    def event_count(self) -> int:
        """How many events (of any type, ``Done`` aside) this snapshot covers."""
        return self._events

    @property
    def logid(self) -> str | None:
        """The logid of the stream's response."""
        return self._logid

    @property
    def complete(self) -> bool:
        """Whether Coze ended the stream with ``Done`` (never true while waiting on an interrupt)."""
        return self._ending.complete

    @property
    def output(self) -> str | None:
        """A complete run's output: the End node's ``Message`` chunks joined in ``node_seq_id`` order.

        ``None`` for any run that is not complete. The End node runs last, so it is the node of
        the last message; cozepy keeps only ``node_title`` of a message's node, so that is what
        tells its chunks from other nodes'.
        """
        return self._ending.output

    @property
    def debug_url(self) -> str | None:
        """The debug URL Coze sent with ``Done``, when it sent one."""
        return self._ending.debug_url

    @property
    def events(self) -> tuple[WorkflowEventType, ...]:
        """The type of every event, in arrival order (``Done`` is never among them)."""
        return tuple(self._record.kinds[: self._events])

    @property
    def messages(self) -> tuple[WorkflowEventMessage, ...]:
        """Every ``Message`` event's data, in arrival order."""
        return tuple(self._record.message(i) for i in range(self._messages))

    def _stops(self, kind: type[Any]) -> tuple[Any, ...]:
        return tuple(stop for at, stop in self._record.stops if at < self._events and isinstance(stop, kind))

    @property
    def interrupts(self) -> tuple[WorkflowEventInterrupt, ...]:
        """Every ``Interrupt`` event's data."""
        return self._stops(WorkflowEventInterrupt)

    @property
    def errors(self) -> tuple[WorkflowEventError, ...]:
        """Every ``Error`` event's data."""
        return self._stops(WorkflowEventError)

    @property
    def interrupt(self) -> WorkflowEventInterrupt | None:
        """The interrupt the run waits on, if it stopped at one."""
        interrupts = self.interrupts
        return interrupts[-1] if interrupts else None

    @property
    def waiting(self) -> bool:
        """Whether the run stopped at an interrupt and waits to be resumed."""
        return self.interrupt is not None


def _end_node_output(chunks: list[_Chunk]) -> str:
    """The last message's node's chunks joined in ``node_seq_id`` order (raises ValueError on a bad id)."""
    if not chunks:
        return ""
    node = chunks[-1][0]
    ordered = sorted((int(seq_id), content) for title, seq_id, content, _ in chunks if title == node)
    return "".join(content for _, content in ordered)


def _debug_url(done_data: str | None) -> str | None:
    try:
        body = json.loads(done_data or "{}")
    except json.JSONDecodeError:
        return None
    url = body.get("debug_url") if isinstance(body, dict) else None
    return url if isinstance(url, str) else None


def _logid() -> str | None:
    exchange = last_exchange()
    return exchange.logid if exchange else None


@dataclass
class _Folder:
    on_progress: Callable[[WorkflowProgress], None] | None
    record: _Record = field(default_factory=_Record)
    logid: str | None = None

    def feed(self, event: WorkflowEvent) -> None:
        record = self.record
        record.add(event)
        if self.on_progress is not None:
            if self.logid is None:
                self.logid = _logid()  # the response has arrived with the first event
            self.on_progress(WorkflowProgress(record, len(record.kinds), len(record.chunks), self.logid))

    def snapshot(self) -> WorkflowProgress:
        record = self.record
        return WorkflowProgress(record, len(record.kinds), len(record.chunks), _logid())

    def _error_event(self, partial: WorkflowProgress) -> CozeStreamEventError[WorkflowProgress] | None:
        errors = partial.errors
        if not errors:
            return None
        first = errors[0]  # the cause; later errors follow from it
        return CozeStreamEventError(code=first.error_code, msg=first.error_message, partial=partial)

    def failure(self, exc: Exception) -> CozeIntegrationError | None:
        stream_failure = classify_stream_failure(exc)
        if stream_failure is None:
            return None
        partial = self.snapshot()
        # Once Coze has said why the run failed, a broken connection after it changes nothing.
        event_error = self._error_event(partial)
        if event_error is not None:
            return event_error
        if stream_failure.malformed_line is not None:
            return CozeMalformedEventError(line=stream_failure.malformed_line, partial=partial)
        return CozeStreamInterruptedError(
            f"workflow stream interrupted: {stream_failure.interruption}", partial=partial
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
            raise CozeStreamInterruptedError("workflow stream ended before Done", partial=partial)
        try:
            output = _end_node_output(self.record.chunks)
        except ValueError as exc:  # a node_seq_id that is not a number
            raise CozeMalformedEventError(line=f"node_seq_id: {exc}", partial=partial) from None
        return replace(partial, _ending=_Ending(complete=True, output=output, debug_url=_debug_url(end.data)))


# Only reading the stream is typed: an exception from the caller's ``on_progress`` is the
# caller's own and passes through unchanged, so ``feed`` runs outside these blocks.


def _typed_events(open_stream: Callable[[], Iterable[WorkflowEvent]], folder: _Folder) -> Generator[WorkflowEvent]:
    with typed_errors(folder.failure):
        yield from open_stream()


async def _atyped_events(stream: AsyncIterable[WorkflowEvent], folder: _Folder) -> AsyncGenerator[WorkflowEvent]:
    with typed_errors(folder.failure):
        async for event in stream:
            yield event


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
    install :func:`~coze_integration.wire.watch_stream_end`, which notes the last SSE
    ``event:`` line (and its data, for the ``debug_url``). A stream opened on a client without that
    hook cannot be told complete, and raises :class:`~coze_integration.errors.CozeConfigurationError`.
    """
    folder = _Folder(on_progress)
    forget_stream_end()
    with closing(_typed_events(open_stream, folder)) as events:
        for event in events:
            folder.feed(event)
    return folder.finish()


async def aconsume_workflow_stream(
    stream: AsyncIterable[WorkflowEvent],
    on_progress: Callable[[WorkflowProgress], None] | None = None,
) -> WorkflowProgress:
    """Async twin of :func:`consume_workflow_stream`; pass ``acoze.workflows.runs.stream(...)``."""
    folder = _Folder(on_progress)
    forget_stream_end()
    async with aclosing(_atyped_events(stream, folder)) as events:
        async for event in events:
            folder.feed(event)
    return folder.finish()
