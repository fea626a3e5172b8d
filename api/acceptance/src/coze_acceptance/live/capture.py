"""The raw wire of the runtime's own clients: each response's bytes as they arrived, and a request budget.

The live check asks Coze through the clients ``build_coze``/``build_async_coze`` return, so what it
checks is exactly what the backend gets. Two httpx hooks go in front of the client's own: one
counts requests and refuses any beyond the budget; one notes each response and copies its body
as the client reads it, before the runtime's repairs (``coze_integration.wire_repairs``) rewrite
anything. cozepy keeps its httpx client in a private attribute and offers no other way to reach
it; the client's ``event_hooks`` themselves are httpx's public API.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from cozepy import AsyncCoze, Coze

LOGID_HEADER = "x-tt-logid"
#: The most requests one live check sends, retries and later pages included.
REQUEST_LIMIT = 30


class RequestBudgetExhausted(Exception):
    """The check has sent its :data:`REQUEST_LIMIT` requests; the next one is refused before it leaves."""


@dataclass
class Exchange:
    """One request and its response as they crossed the wire."""

    method: str
    path: str
    status: int
    logid: str | None
    content_type: str
    encoding: str
    started: float
    #: Seconds from sending the request to the end of its body (``None`` while the body is unread).
    seconds: float | None = None
    raw: bytearray = field(default_factory=bytearray)

    @property
    def is_stream(self) -> bool:
        """Whether the response is a server-sent-event stream."""
        return "event-stream" in self.content_type

    def body(self) -> bytes:
        """The body without its content encoding; :class:`ValueError` for one the standard library cannot undo."""
        if self.encoding == "identity":
            return bytes(self.raw)
        if self.encoding not in ("gzip", "deflate"):
            raise ValueError(f"body sent with content-encoding {self.encoding!r}, which this check cannot read")
        try:
            return zlib.decompress(bytes(self.raw), zlib.MAX_WBITS | 32)
        except zlib.error:
            return zlib.decompress(bytes(self.raw), -zlib.MAX_WBITS)  # deflate without its zlib header


class _Tee(httpx.SyncByteStream, httpx.AsyncByteStream):
    """The response body, passed on unchanged and copied into its :class:`Exchange`."""

    def __init__(self, original: Any, exchange: Exchange, clock: Callable[[], float]) -> None:
        self._original = original
        self._exchange = exchange
        self._clock = clock

    def _done(self) -> None:
        if self._exchange.seconds is None:
            self._exchange.seconds = self._clock() - self._exchange.started

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._original:
            self._exchange.raw.extend(chunk)
            yield chunk
        self._done()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._original:
            self._exchange.raw.extend(chunk)
            yield chunk
        self._done()

    def close(self) -> None:
        self._done()
        if isinstance(self._original, httpx.SyncByteStream):
            self._original.close()

    async def aclose(self) -> None:
        self._done()
        if isinstance(self._original, httpx.AsyncByteStream):
            await self._original.aclose()


class WireRecorder:
    """Counts the requests of one live check and keeps every exchange, in order."""

    def __init__(self, limit: int = REQUEST_LIMIT, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.sent = 0
        self.exchanges: list[Exchange] = []
        self._clock = clock
        self._started: dict[int, float] = {}

    def on_request(self, request: httpx.Request) -> None:
        """Httpx request hook: send within the budget, note when."""
        if self.sent >= self.limit:
            raise RequestBudgetExhausted(f"the live check sends at most {self.limit} requests")
        self.sent += 1
        self._started[id(request)] = self._clock()

    def on_response(self, response: httpx.Response) -> None:
        """Httpx response hook: note the exchange and copy its body as the client reads it."""
        request = response.request
        exchange = Exchange(
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            logid=response.headers.get(LOGID_HEADER),
            content_type=response.headers.get("content-type", ""),
            encoding=response.headers.get("content-encoding", "identity").lower(),
            started=self._started.pop(id(request), self._clock()),
        )
        self.exchanges.append(exchange)
        response.stream = _Tee(response.stream, exchange, self._clock)

    async def aon_request(self, request: httpx.Request) -> None:
        """Async twin of :meth:`on_request`."""
        self.on_request(request)

    async def aon_response(self, response: httpx.Response) -> None:
        """Async twin of :meth:`on_response`."""
        self.on_response(response)

    def attach(self, coze: Coze | AsyncCoze) -> None:
        """Put this recorder's hooks in front of the client's own."""
        requester = coze._requester  # cozepy exposes its httpx client nowhere else
        client: httpx.Client | httpx.AsyncClient | None
        hooks: tuple[Any, Any]
        if isinstance(coze, AsyncCoze):
            client, hooks = requester._async_client, (self.aon_request, self.aon_response)
        else:
            client, hooks = requester._sync_client, (self.on_request, self.on_response)
        if client is None:
            raise TypeError("the client has no httpx client of its own to watch")
        current = client.event_hooks
        client.event_hooks = {
            "request": [hooks[0], *current["request"]],
            "response": [hooks[1], *current["response"]],
        }
