"""Typed errors: the hierarchy, the translation of cozepy and httpx failures onto it, and stream failures.

cozepy raises a bare ``CozeAPIError`` for every API failure, lets httpx exceptions escape raw and
raises pydantic or ``TypeError`` on malformed bodies. This module maps all of them onto one
hierarchy, each error carrying the Coze logid when the server sent one, so callers can branch on
the class, not on strings. Turning a failure into a typed error is one concern, so it lives in one
module (httpx's ``_exceptions.py`` is the model): :func:`typed_errors` wraps a call,
:func:`translate` types a cozepy or httpx failure, :func:`classify_stream_failure` recognises how
an event stream broke off.

It sits just above :mod:`coze_integration.wire`, which records the HTTP exchange the translation
reads, and imports nothing else from the package: a stream error's ``partial`` (a chat transcript
or workflow progress) is typed through the :class:`StreamPartial` protocol and a type parameter.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar, Generic, Protocol, TypeVar

import httpx
import pydantic
from cozepy import CozeAPIError, CozeInvalidEventError, CozePKCEAuthError

from coze_integration.wire import Exchange, describe, forget_exchange, last_exchange

TOKEN_HINT = "check COZE_API_TOKEN"


class CozeIntegrationError(Exception):
    """Base class of every error the integration raises."""

    #: Whether an idempotent read may be retried after this error.
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, logid: str | None = None) -> None:
        self.logid = logid
        super().__init__(f"{message} (logid={logid})" if logid else message)


class CozeConfigurationError(CozeIntegrationError):
    """A setting is missing or invalid; the message names the environment variable."""


class CozeVersionConflictError(CozeConfigurationError):
    """An installed package is outside the version range this project declares."""


class CozeInvalidQueryError(CozeIntegrationError, ValueError):
    """A query the caller built cannot be run: unknown status, inverted or naive date range."""


class CozeAPIRequestError(CozeIntegrationError):
    """Coze answered a request with an error code or an error HTTP status."""

    def __init__(
        self,
        *,
        code: int | None,
        msg: str,
        logid: str | None,
        target: str,
        http_status: int | None = None,
        hint: str = "",
    ) -> None:
        self.code = code
        self.msg = msg
        self.target = target
        self.http_status = http_status
        parts = [f"{target} failed"]
        if code is not None:
            parts.append(f"code {code}")
        if http_status is not None:
            parts.append(f"HTTP {http_status}")
        text = f"{', '.join(parts)}: {msg}" if msg else ", ".join(parts)
        super().__init__(f"{text}; {hint}" if hint else text, logid=logid)


class CozeAuthenticationError(CozeAPIRequestError):
    """The token is invalid or expired."""


class CozePermissionError(CozeAPIRequestError):
    """The token is valid but may not access the resource (code 4101 or HTTP 403).

    Not an authentication error: a new token would not help, access to the workspace, bot or
    workflow must be granted to the token's account.
    """


class CozeNotFoundError(CozeAPIRequestError):
    """The workspace, bot, conversation or workflow does not exist."""


class CozeRateLimitError(CozeAPIRequestError):
    """Coze throttled the request (code 4013 or HTTP 429)."""

    retryable = True
    #: Seconds Coze asked the caller to wait (its ``Retry-After`` header), when it said.
    retry_after: float | None = None


class CozeServerError(CozeAPIRequestError):
    """Coze or a proxy in front of it failed (HTTP 5xx)."""

    retryable = True
    #: Seconds a 503 answer asked the caller to wait (``Retry-After``, RFC 9110), when it said.
    retry_after: float | None = None


class CozeMalformedResponseError(CozeIntegrationError):
    """The response body is not the JSON envelope the endpoint promises."""

    def __init__(self, *, target: str, detail: str, logid: str | None, body: str | None = None) -> None:
        self.target = target
        self.detail = detail
        #: The whole offending body, where the caller may still want it.
        self.body = body
        super().__init__(f"{target} returned a malformed response: {detail}", logid=logid)


class CozeNetworkError(CozeIntegrationError):
    """The request never got a complete answer: connection refused, reset or broken."""

    retryable = True

    def __init__(self, *, target: str, reason: str, execute_id: str | None = None) -> None:
        self.target = target
        self.reason = reason
        self.execute_id = execute_id
        resume = f"; resume with execute_id={execute_id}" if execute_id else ""
        super().__init__(f"{target} failed: {reason}{resume}")


class CozeTimeoutError(CozeNetworkError):
    """A request, or a workflow being waited on, ran past its time limit."""


class CozeDeadlineExceededError(CozeTimeoutError):
    """A chat or workflow run was still going when the caller's deadline passed.

    Not retryable: the deadline is already behind, so another attempt could only overrun it. The
    ids (``chat_id`` and ``conversation_id`` for a chat, ``execute_id`` for a workflow run) let
    the caller cancel the run or fetch its result later.
    """

    retryable = False

    def __init__(
        self,
        *,
        target: str,
        reason: str,
        execute_id: str | None = None,
        chat_id: str | None = None,
        conversation_id: str | None = None,
    ) -> None:
        self.chat_id = chat_id
        self.conversation_id = conversation_id
        super().__init__(target=target, reason=reason, execute_id=execute_id)


class StreamPartial(Protocol):
    """What a stream error's ``partial`` offers whatever the stream: the logid of its response."""

    @property
    def logid(self) -> str | None:
        """The logid of the stream's response, when it has arrived."""
        ...


#: The type of a stream error's ``partial``: ``ChatTranscript`` or ``WorkflowProgress``.
PartialT = TypeVar("PartialT", bound=StreamPartial)


class CozeStreamError(CozeIntegrationError, Generic[PartialT]):
    """A streamed answer failed; ``partial`` keeps everything received before the failure, its logid too."""

    def __init__(self, message: str, *, partial: PartialT) -> None:
        self.partial = partial
        super().__init__(message, logid=partial.logid)


class CozeStreamInterruptedError(CozeStreamError[PartialT]):
    """The connection dropped, or the stream ended before its terminal event."""


class CozeStreamEventError(CozeStreamError[PartialT]):
    """The server sent an ``error`` event (a chat's ``error``, a workflow's ``Error``)."""

    def __init__(self, *, code: int | None, msg: str, partial: PartialT) -> None:
        self.code = code
        self.msg = msg
        super().__init__(f"stream error event: code {code}: {msg}", partial=partial)


class CozeMalformedEventError(CozeStreamError[PartialT]):
    """A stream line or event payload could not be parsed."""

    #: Longest excerpt of the offending line kept in the error.
    MAX_LINE = 200

    def __init__(self, *, line: str, partial: PartialT) -> None:
        self.line = line[: self.MAX_LINE]
        super().__init__(f"malformed stream event: {self.line!r}", partial=partial)


# Translating what cozepy and httpx raise.

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
    """The typed error for an error answer from Coze; its ``msg`` is an :func:`excerpt` of Coze's."""
    status = exchange.status if exchange and exchange.status >= 400 else None
    cls = _class_for(code, status)
    hint = TOKEN_HINT if issubclass(cls, CozeAuthenticationError) else ""
    # A proxy or a broken server may put a whole page into ``msg``: quote it, never copy it.
    error = cls(code=code, msg=excerpt(msg), logid=logid, target=target, http_status=status, hint=hint)
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
            return api_error(code=None, msg=exc.msg, logid=exc.logid, target=target, exchange=exchange, now=now)
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
        return CozeAuthenticationError(code=None, msg=exc.error.value, logid=exc.logid, target=target, hint=TOKEN_HINT)
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


# Classifying how an event stream failed, for chat and workflow streams alike.

# cozepy raises ``Exception(f"error event: {data}")`` for a server ``error`` event.
_ERROR_EVENT_PREFIX = "error event: "


@dataclass(frozen=True)
class StreamFailure:
    """Why a stream stopped: an ``error`` event, an unparsable line, or else a cut connection.

    Exactly one of ``error_event``, ``malformed_line`` and ``interruption`` is set.
    """

    error_event: str | None = None
    malformed_line: str | None = None
    #: How the connection broke (``ReadError: ...``), when it did.
    interruption: str | None = None


def _validation_input(exc: pydantic.ValidationError) -> str:
    # Validation raises with at least one error, and each error carries the input it rejected.
    value = exc.errors()[0]["input"]
    return value if isinstance(value, str) else repr(value)


def classify_stream_failure(exc: Exception) -> StreamFailure | None:
    """The stream failure ``exc`` stands for, or ``None`` when it is not one.

    Failures before the response arrived (connect errors, API error answers) are left to the
    general translation: nothing was streamed yet.
    """
    exchange = last_exchange()
    if isinstance(exc, CozeInvalidEventError):
        return StreamFailure(malformed_line=exc.data or exc.field)
    if type(exc) is Exception and str(exc).startswith(_ERROR_EVENT_PREFIX):
        return StreamFailure(error_event=str(exc).removeprefix(_ERROR_EVENT_PREFIX))
    if exchange is None:
        return None
    if isinstance(exc, pydantic.ValidationError):
        return StreamFailure(malformed_line=_validation_input(exc))
    if isinstance(exc, TypeError) and exchange.content_type is None:
        # cozepy tests ``"event-stream" in None`` when the content-type header is missing.
        return StreamFailure(malformed_line="<response without content-type>")
    if isinstance(exc, httpx.TransportError):
        return StreamFailure(interruption=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError | KeyError):
        return StreamFailure(malformed_line=str(exc))
    return None


# Typing every failure of a block of cozepy calls.


@contextmanager
def typed_errors(
    translate_first: Callable[[Exception], CozeIntegrationError | None] | None = None,
    *,
    now: Clock = utc_now,
) -> Iterator[None]:
    """Re-raise cozepy and httpx failures inside the block as :class:`CozeIntegrationError`.

    ``translate_first`` gets a chance to type the failure before the general translation (streams
    use it to attach what they received so far); ``now`` dates a ``Retry-After`` HTTP-date.
    """
    forget_exchange()
    try:
        yield
    except Exception as exc:
        typed = (translate_first(exc) if translate_first else None) or translate(exc, last_exchange(), now)
        if typed is None or typed is exc:
            raise
        raise typed from exc
