"""What the httpx response hooks note about the wire: each exchange's metadata and how a stream ended.

cozepy discards the HTTP status and headers before it raises, pydantic errors carry no logid, and
cozepy's workflow stream handler turns Coze's terminal ``Done`` event into nothing. The client
factories install two response hooks so the integration can still see what happened on the wire:

- :func:`record_response` notes the request line, status, logid and ``Retry-After`` of the last
  exchange, which the error translation of :mod:`coze_integration.errors` reads, and gives the
  repairs a place (``dropped``) for what the body carries that cozepy drops (a blocking run's
  ``interrupt_data``, which :func:`coze_integration.workflows.run_workflow` reads);
- :func:`watch_stream_end` wraps an ``event-stream`` response's line iterator and notes each
  ``event:`` line and the ``data:`` line that follows it, so a finished workflow run and a
  connection closed cleanly mid-run no longer look the same. Stream consumers call
  :func:`forget_stream_end` before they open a stream and :func:`last_stream_end` after it.

Both are one concern, observing a response without changing it, kept per call in context
variables so concurrent async calls stay apart (each task sees only its own exchange and stream).
Changing what cozepy reads is another concern with its own module,
:mod:`coze_integration.wire_repairs`, which :func:`record_response` applies before cozepy reads
the body. This module sits at the bottom of the package: it imports only ``wire_repairs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from coze_integration.wire_repairs import repair

LOGID_HEADER = "x-tt-logid"


@dataclass(frozen=True, slots=True)
class Exchange:
    """The request line and response metadata of one HTTP exchange."""

    target: str
    status: int
    logid: str | None
    content_type: str | None
    #: The raw ``Retry-After`` header; :func:`coze_integration.errors.retry_after_seconds` reads it.
    retry_after: str | None
    #: What the body carried that cozepy drops and the backend reads (a blocking run's
    #: ``interrupt_data``), noted by :mod:`coze_integration.wire_repairs` as cozepy reads the body.
    dropped: dict[str, Any] = field(default_factory=dict)


_last: ContextVar[Exchange | None] = ContextVar("coze_last_exchange", default=None)


def describe(request: httpx.Request) -> str:
    """``METHOD /path?query`` of a request: what error messages name."""
    return f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"


def record_response(response: httpx.Response) -> None:
    """Httpx response hook (sync clients)."""
    exchange = Exchange(
        target=describe(response.request),
        status=response.status_code,
        logid=response.headers.get(LOGID_HEADER),
        content_type=response.headers.get("content-type"),
        retry_after=response.headers.get("retry-after"),
    )
    _last.set(exchange)
    repair(response, exchange.dropped)  # before cozepy reads the body: see coze_integration.wire_repairs


async def arecord_response(response: httpx.Response) -> None:
    """Httpx response hook (async clients)."""
    record_response(response)


def last_exchange() -> Exchange | None:
    """The exchange recorded since the last :func:`forget_exchange` in this context."""
    return _last.get()


def forget_exchange() -> None:
    """Start a new call: earlier exchanges must not explain this call's errors."""
    _last.set(None)


# How an event stream ended.


@dataclass(slots=True)
class StreamEnd:
    """The last event a stream delivered so far, as its SSE lines named it."""

    event: str | None = None
    data: str | None = None

    def see(self, line: str) -> None:
        """Note one line of the stream."""
        if line.startswith("event:"):
            self.event, self.data = line[6:].strip(), None
        elif line.startswith("data:"):
            self.data = line[5:].strip()


_NOTED = frozenset("ed")  # first letters of the ``event:`` and ``data:`` lines

_current: ContextVar[StreamEnd | None] = ContextVar("coze_stream_end", default=None)


def forget_stream_end() -> None:
    """Start watching a new stream: an earlier stream's end must not count for this one."""
    _current.set(None)


def last_stream_end() -> StreamEnd | None:
    """How the stream opened since :func:`forget_stream_end` ended, or ``None`` if none was watched."""
    return _current.get()


def _is_event_stream(response: httpx.Response) -> bool:
    return "event-stream" in response.headers.get("content-type", "")


# Every line of every stream passes through these loops, so they test the two prefixes that
# matter (``event:`` and ``data:`` both start with a letter no other field line starts with)
# before calling into StreamEnd.


def _watched(lines: Callable[[], Iterator[str]], end: StreamEnd) -> Callable[[], Iterator[str]]:
    def iter_lines() -> Iterator[str]:
        for line in lines():
            if line[:1] in _NOTED:
                end.see(line)
            yield line

    return iter_lines


def _awatched(lines: Callable[[], AsyncIterator[str]], end: StreamEnd) -> Callable[[], AsyncIterator[str]]:
    async def aiter_lines() -> AsyncIterator[str]:
        async for line in lines():
            if line[:1] in _NOTED:
                end.see(line)
            yield line

    return aiter_lines


def watch_stream_end(response: httpx.Response) -> None:
    """Httpx response hook (sync clients): watch the lines of an event stream."""
    if _is_event_stream(response):
        end = StreamEnd()
        _current.set(end)
        response.iter_lines = _watched(response.iter_lines, end)  # type: ignore[method-assign]


async def awatch_stream_end(response: httpx.Response) -> None:
    """Httpx response hook (async clients): watch the lines of an event stream."""
    if _is_event_stream(response):
        end = StreamEnd()
        _current.set(end)
        response.aiter_lines = _awatched(response.aiter_lines, end)  # type: ignore[method-assign]
