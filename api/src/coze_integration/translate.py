"""Map what cozepy and httpx raise onto the typed errors of :mod:`coze_integration.errors`."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import pydantic
from cozepy import CozeAPIError, CozePKCEAuthError

from coze_integration.errors import (
    TOKEN_HINT,
    CozeAPIRequestError,
    CozeAuthenticationError,
    CozeIntegrationError,
    CozeMalformedResponseError,
    CozeNetworkError,
    CozeNotFoundError,
    CozePermissionError,
    CozeRateLimitError,
    CozeServerError,
    CozeTimeoutError,
)
from coze_integration.wire import Exchange, describe

# Coze business codes (from its public error-code table) whose meaning callers act on.
_BY_CODE: dict[int, type[CozeAPIRequestError]] = {
    4100: CozeAuthenticationError,
    4101: CozePermissionError,
    4200: CozeNotFoundError,
    4013: CozeRateLimitError,
}

#: What "now" is when a ``Retry-After`` HTTP-date is turned into seconds; tests pass a fake clock.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


#: Longest excerpt of a response body quoted in an error.
MAX_EXCERPT = 200

# Raised by cozepy while it digs into a body of the wrong shape.
_SHAPE_ERRORS = (pydantic.ValidationError, TypeError, KeyError, IndexError, ValueError)

_BY_STATUS: dict[int, type[CozeAPIRequestError]] = {
    401: CozeAuthenticationError,
    403: CozePermissionError,
    404: CozeNotFoundError,
    429: CozeRateLimitError,
}


def _class_for(code: int | None, status: int | None) -> type[CozeAPIRequestError]:
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code]
    if status is not None and status >= 500:
        return CozeServerError
    return _BY_STATUS.get(status or 0, CozeAPIRequestError)


def retry_after_seconds(header: str | None, now: Clock = utc_now) -> float | None:
    """Seconds the server asked to wait, from ``Retry-After`` in either RFC 9110 form.

    Delay-seconds (``"3"``; a fraction is accepted) or an HTTP-date (``"Wed, 21 Oct 2026 07:28:00
    GMT"``, counted from ``now()``). ``None`` when there is no usable hint: absent, unparsable,
    negative, not finite, or a date already past. The caller then falls back to its own backoff.
    """
    if header is None:
        return None
    text = header.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" means UTC with no claim about the local zone (RFC 5322)
            when = when.replace(tzinfo=UTC)
        seconds = (when - now()).total_seconds()
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def api_error(
    *,
    code: int | None,
    msg: str,
    logid: str | None,
    target: str,
    exchange: Exchange | None,
    now: Clock = utc_now,
) -> CozeAPIRequestError:
    """The typed error for an error answer from Coze."""
    status = exchange.status if exchange and exchange.status >= 400 else None
    cls = _class_for(code, status)
    hint = TOKEN_HINT if issubclass(cls, CozeAuthenticationError) else ""
    error = cls(code=code, msg=msg, logid=logid, target=target, http_status=status, hint=hint)
    # RFC 9110 defines Retry-After for 503 as well as for rate limits.
    if exchange is not None and (
        isinstance(error, CozeRateLimitError) or (isinstance(error, CozeServerError) and status == 503)
    ):
        error.retry_after = retry_after_seconds(exchange.retry_after, now)
    return error


def excerpt(text: str) -> str:
    """A single-line prefix of ``text`` short enough for an error message."""
    # Only the head is ever shown: never scan a huge body in full.
    flat = " ".join(text[: MAX_EXCERPT * 2].split())
    return flat if len(flat) <= MAX_EXCERPT and len(text) <= MAX_EXCERPT * 2 else flat[:MAX_EXCERPT] + "…"


def _from_coze_api_error(exc: CozeAPIError, exchange: Exchange | None, now: Clock) -> CozeIntegrationError:
    target = exchange.target if exchange else "request"
    if isinstance(exc.__cause__, json.JSONDecodeError | UnicodeDecodeError):
        # cozepy puts the HTTP status in ``code`` and the raw body in ``msg`` for non-JSON bodies.
        status = exc.code
        if status is not None and (status >= 500 or status in _BY_STATUS):
            return api_error(
                code=None, msg=excerpt(exc.msg), logid=exc.logid, target=target, exchange=exchange, now=now
            )
        detail = f"not JSON: {excerpt(exc.msg)!r}" if exc.msg.strip() else "empty body"
        return CozeMalformedResponseError(target=target, detail=detail, logid=exc.logid)
    return api_error(code=exc.code, msg=exc.msg, logid=exc.logid, target=target, exchange=exchange, now=now)


def translate(exc: BaseException, exchange: Exchange | None, now: Clock = utc_now) -> CozeIntegrationError | None:
    """The typed error for ``exc``, or ``None`` when it is not a Coze or transport failure.

    ``exchange`` is the HTTP exchange recorded during the failed call, if any; ``now`` dates a
    ``Retry-After`` given as an HTTP-date.
    """
    if isinstance(exc, CozeIntegrationError):
        return exc
    if isinstance(exc, CozePKCEAuthError):
        target = exchange.target if exchange else "request"
        return CozeAuthenticationError(code=None, msg=str(exc.error), logid=exc.logid, target=target, hint=TOKEN_HINT)
    if isinstance(exc, CozeAPIError):
        return _from_coze_api_error(exc, exchange, now)
    if isinstance(exc, httpx.DecodingError):
        # A body whose content encoding does not decode (a RequestError, not a TransportError): Coze
        # answered, but with nothing readable.
        target = exchange.target if exchange else "request"
        logid = exchange.logid if exchange else None
        return CozeMalformedResponseError(target=target, detail=f"body does not decode: {exc}", logid=logid)
    if isinstance(exc, httpx.TimeoutException):
        return CozeTimeoutError(target=describe(exc.request), reason=f"timed out ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return CozeNetworkError(target=describe(exc.request), reason=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, _SHAPE_ERRORS) and exchange is not None:
        if exchange.status >= 500 or exchange.status == 429:
            return api_error(
                code=None, msg="", logid=exchange.logid, target=exchange.target, exchange=exchange, now=now
            )
        detail = f"{type(exc).__name__}: {excerpt(str(exc))}"
        return CozeMalformedResponseError(target=exchange.target, detail=detail, logid=exchange.logid)
    return None
