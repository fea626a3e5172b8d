"""Recognise how a cozepy event stream failed, for chat and workflow streams alike."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pydantic
from cozepy import CozeInvalidEventError

from coze_integration.wire import last_exchange

# cozepy raises ``Exception(f"error event: {data}")`` for a server ``error`` event.
_ERROR_EVENT_PREFIX = "error event: "


@dataclass(frozen=True)
class StreamFailure:
    """Why a stream stopped: a cut connection, an ``error`` event or an unparsable line."""

    reason: str
    error_event: str | None = None
    malformed_line: str | None = None
    logid: str | None = None


def _validation_input(exc: pydantic.ValidationError) -> str:
    errors = exc.errors(include_url=False)
    value = errors[0].get("input", "") if errors else ""
    return value if isinstance(value, str) else repr(value)


def classify_stream_failure(exc: Exception) -> StreamFailure | None:
    """The stream failure ``exc`` stands for, or ``None`` when it is not one.

    Failures before the response arrived (connect errors, API error answers) are left to the
    general translation: nothing was streamed yet.
    """
    exchange = last_exchange()
    logid = exchange.logid if exchange else None
    if isinstance(exc, CozeInvalidEventError):
        return StreamFailure("malformed line", malformed_line=exc.data or exc.field, logid=exc.logid or logid)
    if type(exc) is Exception and str(exc).startswith(_ERROR_EVENT_PREFIX):
        return StreamFailure("error event", error_event=str(exc).removeprefix(_ERROR_EVENT_PREFIX), logid=logid)
    if exchange is None:
        return None
    if isinstance(exc, pydantic.ValidationError):
        return StreamFailure("invalid event data", malformed_line=_validation_input(exc), logid=logid)
    if isinstance(exc, TypeError) and exchange.content_type is None:
        # cozepy tests ``"event-stream" in None`` when the content-type header is missing.
        return StreamFailure("no content-type", malformed_line="<response without content-type>", logid=logid)
    if isinstance(exc, httpx.TransportError):
        return StreamFailure(f"{type(exc).__name__}: {exc}", logid=logid)
    if isinstance(exc, ValueError | KeyError):
        return StreamFailure("invalid event", malformed_line=str(exc), logid=logid)
    return None
