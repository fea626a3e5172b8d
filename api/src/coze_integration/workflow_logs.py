"""Query workflow run logs by status, creation time and keyword.

Coze has no endpoint that lists or searches workflow runs: only one run history at a time, by
``execute_id``. The backend records the execute ids it started; this module fetches their
histories (one after another for the sync client, concurrently with a bound for the async one)
and filters them. An execute id Coze does not know is reported, not fatal; any other failure
(authentication, network after retries) aborts the query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cozepy import AsyncCoze, Coze, WorkflowExecuteStatus, WorkflowRunHistory

from coze_integration.calls import CozeCalls
from coze_integration.errors import (
    CozeIntegrationError,
    CozeInvalidQueryError,
    CozeMalformedResponseError,
    CozeNotFoundError,
)
from coze_integration.workflows import run_history_call

#: How many run histories the async query fetches at once.
DEFAULT_CONCURRENCY = 5


def _aware(name: str, value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise CozeInvalidQueryError(f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
    return value


@dataclass(frozen=True)
class WorkflowLogFilter:
    """Which runs to keep. Every criterion left empty matches everything.

    ``statuses`` may be any iterable (a generator included); it is read once, into a frozenset.
    ``created_from`` and ``created_to`` bound the run's creation time inclusively and must be
    timezone-aware: Coze reports Unix timestamps, which name an instant, not a wall-clock time.
    """

    statuses: Iterable[WorkflowExecuteStatus] = frozenset()
    created_from: datetime | None = None
    created_to: datetime | None = None
    keyword: str | None = None

    def __post_init__(self) -> None:
        # Matching tests membership once per entry: a one-shot iterable would be used up by the first.
        object.__setattr__(self, "statuses", frozenset(self.statuses))
        start = _aware("created_from", self.created_from)
        end = _aware("created_to", self.created_to)
        if start is not None and end is not None and start > end:
            raise CozeInvalidQueryError(f"created_from {start.isoformat()} is after created_to {end.isoformat()}")
        if self.keyword is not None and not self.keyword.strip():
            raise CozeInvalidQueryError("keyword must not be blank; leave it out to match every run")

    @classmethod
    def build(
        cls,
        *,
        statuses: Iterable[str] = (),
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        keyword: str | None = None,
    ) -> WorkflowLogFilter:
        """A filter from plain values, e.g. ``statuses=["Fail", "Running"]`` from a query string.

        ``statuses`` may be any iterable of names (list, set, generator), matched case-insensitively.
        """
        known = {status.value.lower(): status for status in WorkflowExecuteStatus}
        # ``statuses`` may be a generator: read it exactly once.
        wanted = {name: known.get(name.lower()) for name in statuses}
        unknown = [name for name, status in wanted.items() if status is None]
        if unknown:
            raise CozeInvalidQueryError(
                f"unknown status {unknown}; expected one of {sorted(s.value for s in known.values())}"
            )
        return cls(
            statuses=frozenset(status for status in wanted.values() if status is not None),
            created_from=created_from,
            created_to=created_to,
            keyword=keyword,
        )

    def matches(self, entry: WorkflowLogEntry) -> bool:
        """Whether ``entry`` passes every criterion."""
        if self.statuses and entry.status not in self.statuses:
            return False
        if self.created_from is not None and entry.created_at < self.created_from:
            return False
        if self.created_to is not None and entry.created_at > self.created_to:
            return False
        if self.keyword is not None:
            needle = self.keyword.casefold()
            return needle in entry.output.casefold() or needle in entry.error_message.casefold()
        return True


@dataclass(frozen=True)
class WorkflowLogEntry:
    """One workflow run, as the log query reports it.

    ``output`` is the run's output exactly as Coze sent it, usually JSON and sometimes plain text
    (keywords are searched in that text); :func:`~coze_integration.workflows.decoded_output` tells
    the two apart and decodes the JSON.
    """

    execute_id: str
    status: WorkflowExecuteStatus
    created_at: datetime
    updated_at: datetime
    output: str
    error_code: int
    error_message: str
    debug_url: str
    logid: str

    @classmethod
    def of(cls, history: WorkflowRunHistory) -> WorkflowLogEntry:
        """The entry for a run history; Coze's Unix timestamps become UTC datetimes."""
        return cls(
            execute_id=history.execute_id,
            status=history.execute_status,
            created_at=datetime.fromtimestamp(history.create_time, UTC),
            updated_at=datetime.fromtimestamp(history.update_time, UTC),
            output=history.output,
            error_code=history.error_code,
            error_message=history.error_message or "",
            debug_url=history.debug_url,
            logid=history.logid,
        )


@dataclass(frozen=True)
class WorkflowLogQueryResult:
    """The matching runs, newest first, and the execute ids Coze did not know."""

    entries: tuple[WorkflowLogEntry, ...]
    missing: tuple[str, ...]


def _unknown_run(exc: CozeIntegrationError) -> bool:
    # Coze answers an unknown execute id with a not-found code, or with an empty ``data`` list that
    # cozepy indexes (IndexError, typed by the translation as a malformed response).
    return isinstance(exc, CozeNotFoundError) or (
        isinstance(exc, CozeMalformedResponseError) and isinstance(exc.__cause__, IndexError)
    )


def _result(found: Iterable[WorkflowRunHistory | str], log_filter: WorkflowLogFilter) -> WorkflowLogQueryResult:
    entries, missing = [], []
    for item in found:
        if isinstance(item, str):
            missing.append(item)
        elif log_filter.matches(entry := WorkflowLogEntry.of(item)):
            entries.append(entry)
    entries.sort(key=lambda e: (e.created_at, e.execute_id), reverse=True)
    return WorkflowLogQueryResult(tuple(entries), tuple(missing))


def query_workflow_logs(
    coze: Coze, calls: CozeCalls, *, workflow_id: str, execute_ids: Iterable[str], log_filter: WorkflowLogFilter
) -> WorkflowLogQueryResult:
    """The runs among ``execute_ids`` that match ``log_filter``, fetched one after another."""
    found: list[WorkflowRunHistory | str] = []
    for execute_id in dict.fromkeys(execute_ids):
        try:
            found.append(calls.read(run_history_call(coze, workflow_id, execute_id)))
        except CozeIntegrationError as exc:
            if not _unknown_run(exc):
                raise
            found.append(execute_id)
    return _result(found, log_filter)


async def aquery_workflow_logs(
    coze: AsyncCoze,
    calls: CozeCalls,
    *,
    workflow_id: str,
    execute_ids: Iterable[str],
    log_filter: WorkflowLogFilter,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> WorkflowLogQueryResult:
    """Async twin of :func:`query_workflow_logs`, at most ``concurrency`` requests at a time."""
    if concurrency < 1:
        raise CozeInvalidQueryError("concurrency must be at least 1")
    gate = asyncio.Semaphore(concurrency)

    async def fetch(execute_id: str) -> WorkflowRunHistory | str:
        async with gate:
            try:
                history: WorkflowRunHistory = await calls.aread(run_history_call(coze, workflow_id, execute_id))
            except CozeIntegrationError as exc:
                if not _unknown_run(exc):
                    raise
                return execute_id
            return history

    try:
        # A TaskGroup cancels the other fetches as soon as one fails for real.
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(fetch(execute_id)) for execute_id in dict.fromkeys(execute_ids)]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return _result((task.result() for task in tasks), log_filter)
