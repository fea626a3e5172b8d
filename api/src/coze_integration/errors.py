"""Typed errors raised by the integration; each carries the Coze logid when the server sent one.

cozepy raises a bare ``CozeAPIError`` for every API failure, lets httpx exceptions escape raw and
raises pydantic or ``TypeError`` on malformed bodies. :mod:`coze_integration.translate` maps all of
them onto this hierarchy so callers can branch on the class, not on strings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from coze_integration.chat_stream import ChatTranscript
    from coze_integration.workflows import WorkflowProgress

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


class CozeStreamError(CozeIntegrationError):
    """A streamed answer failed; ``partial`` keeps everything received before the failure."""

    def __init__(self, message: str, *, partial: ChatTranscript | WorkflowProgress, logid: str | None = None) -> None:
        self.partial = partial
        super().__init__(message, logid=logid or getattr(partial, "logid", None))


class CozeStreamInterruptedError(CozeStreamError):
    """The connection dropped, or the stream ended before its terminal event."""


class CozeStreamEventError(CozeStreamError):
    """The server sent an ``error`` event (a chat's ``error``, a workflow's ``Error``)."""

    def __init__(
        self, *, code: int | None, msg: str, partial: ChatTranscript | WorkflowProgress, logid: str | None = None
    ) -> None:
        self.code = code
        self.msg = msg
        super().__init__(f"stream error event: code {code}: {msg}", partial=partial, logid=logid)


class CozeMalformedEventError(CozeStreamError):
    """A stream line or event payload could not be parsed."""

    #: Longest excerpt of the offending line kept in the error.
    MAX_LINE = 200

    def __init__(self, *, line: str, partial: ChatTranscript | WorkflowProgress, logid: str | None = None) -> None:
        self.line = line[: self.MAX_LINE]
        super().__init__(f"malformed stream event: {self.line!r}", partial=partial, logid=logid)
