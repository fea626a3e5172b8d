"""Watch the lines of a server-sent-events response for the event it ended with.

cozepy's workflow stream handler turns Coze's terminal ``Done`` event into nothing: a run Coze
finished and a connection closed cleanly in the middle of a run look the same to its caller. The
client factories install :func:`watch_stream_end` as an httpx response hook; for an
``event-stream`` response it wraps the line iterator cozepy is about to read, noting each
``event:`` line and the ``data:`` line that follows it. Stream consumers call
:func:`forget_stream_end` before they open a stream and :func:`last_stream_end` after it, in the
same context (a context variable keeps concurrent async streams apart, as in :mod:`.wire`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import httpx


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
