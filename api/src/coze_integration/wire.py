"""What the last HTTP exchange looked like, recorded by an httpx response hook.

cozepy discards the HTTP status and headers before it raises, and pydantic errors carry no logid.
The client factories install :func:`record_response` so the error translation can still name the
request, the status, the logid and ``Retry-After``. The same hook installs the repairs of
:mod:`coze_integration.wire_repairs`, where cozepy cannot read what Coze documents. A context
variable keeps concurrent async calls apart: each task sees only its own exchange.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import httpx

from coze_integration.wire_repairs import repair

LOGID_HEADER = "x-tt-logid"


@dataclass(frozen=True, slots=True)
class Exchange:
    """The request line and response metadata of one HTTP exchange."""

    method: str
    target: str
    status: int
    logid: str | None
    content_type: str | None
    #: The raw ``Retry-After`` header; :func:`coze_integration.translate.retry_after_seconds` reads it.
    retry_after: str | None


_last: ContextVar[Exchange | None] = ContextVar("coze_last_exchange", default=None)


def describe(request: httpx.Request) -> str:
    """``METHOD /path?query`` of a request: what error messages name."""
    return f"{request.method} {request.url.raw_path.decode('ascii', 'replace')}"


def record_response(response: httpx.Response) -> None:
    """Httpx response hook (sync clients)."""
    _last.set(
        Exchange(
            method=response.request.method,
            target=describe(response.request),
            status=response.status_code,
            logid=response.headers.get(LOGID_HEADER),
            content_type=response.headers.get("content-type"),
            retry_after=response.headers.get("retry-after"),
        )
    )
    repair(response)  # before cozepy reads the body: see coze_integration.wire_repairs


async def arecord_response(response: httpx.Response) -> None:
    """Httpx response hook (async clients)."""
    record_response(response)


def last_exchange() -> Exchange | None:
    """The exchange recorded since the last :func:`forget_exchange` in this context."""
    return _last.get()


def forget_exchange() -> None:
    """Start a new call: earlier exchanges must not explain this call's errors."""
    _last.set(None)
