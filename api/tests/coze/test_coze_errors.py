"""Typed errors: every way Coze, a proxy or the network can fail maps onto one error class.

cozepy decides success from the JSON ``code`` and ignores the HTTP status, lets httpx errors
escape raw and raises pydantic errors for bodies of the wrong shape. Each row below is a response
the server sends and the typed error the backend gets, checked for both clients.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import httpx
import pydantic
import pytest
import respx
from cozepy import AsyncCoze, ChatStatus

from coze_integration.calls import CozeCalls
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
    CozeStreamInterruptedError,
    CozeTimeoutError,
    api_error,
    translate,
    utc_now,
)
from coze_integration.wire import Exchange
from tests.coze.parity import AnyCoze, read, resolve, streamed_transcript, write
from tests.coze.wire import LOGID, event_stream, golden, golden_events, golden_response, golden_text

RETRIEVE = "/v1/bot/get_online_info"
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>"
OK_STREAM = golden_text("chat/stream_ok.sse")
ANSWER = golden_events("chat/stream_ok.sse")[5].json()["content"]
PERMISSION = "errors/permission_4101.json"


def _raw(status: int, content: bytes, content_type: str) -> Callable[[], httpx.Response]:
    return lambda: httpx.Response(status, content=content, headers={"content-type": content_type, "x-tt-logid": LOGID})


def _golden(status: int, name: str) -> Callable[[], httpx.Response]:
    return lambda: golden_response(f"errors/{name}.json", status=status)


def _json(status: int, body: object) -> Callable[[], httpx.Response]:
    # Answers outside Coze's documented envelope: the OAuth error shape, a bare error_message, broken bodies.
    return lambda: httpx.Response(status, json=body, headers={"x-tt-logid": LOGID})


async def _retrieve(client: AnyCoze, calls: CozeCalls, bot_id: str) -> CozeIntegrationError:
    with pytest.raises(CozeIntegrationError) as caught:
        await read(client, calls, partial(client.bots.retrieve, bot_id=bot_id))
    return caught.value


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeErrorsTranslation:
    """Coze's business codes and HTTP statuses select the error class."""

    @pytest.mark.parametrize(
        ("answer", "expected", "code", "http_status"),
        [
            (_golden(200, "bad_request_4000"), CozeAPIRequestError, 4000, None),
            (_golden(401, "unauthenticated_4100"), CozeAuthenticationError, 4100, 401),
            (_golden(200, "unauthenticated_4100"), CozeAuthenticationError, 4100, None),
            (_golden(400, "bad_request_4000"), CozeAPIRequestError, 4000, 400),
            (_golden(200, "permission_4101"), CozePermissionError, 4101, None),
            (_golden(200, "not_found_4200"), CozeNotFoundError, 4200, None),
            (_golden(429, "rate_limited_4013"), CozeRateLimitError, 4013, 429),
            (_golden(200, "rate_limited_4013"), CozeRateLimitError, 4013, None),
            (_golden(500, "internal_5000"), CozeServerError, 5000, 500),
            (_raw(401, b"Unauthorized", "text/plain"), CozeAuthenticationError, None, 401),
            (_raw(403, b"Forbidden", "text/plain"), CozePermissionError, None, 403),
            (_raw(404, b"<html>Not Found</html>", "text/html"), CozeNotFoundError, None, 404),
            (_raw(429, b"Too Many Requests", "text/plain"), CozeRateLimitError, None, 429),
            (_raw(500, b"Internal Server Error", "text/plain"), CozeServerError, None, 500),
            (_json(200, {"error_code": "access_denied"}), CozeAuthenticationError, None, None),
            (_json(200, {"error_message": "workflow is not published"}), CozeAPIRequestError, None, None),
        ],
        ids=[
            "code-4000",
            "code-4100-auth",
            "code-4100-http-200",
            "code-4000-http-400",
            "code-4101-permission",
            "code-4200-not-found",
            "code-4013-rate-limit",
            "code-4013-http-200",
            "code-5000-server",
            "text-401",
            "text-403",
            "html-404",
            "text-429",
            "text-500",
            "oauth-access-denied",
            "error-message-only",
        ],
    )
    @pytest.mark.covers("FR-017")
    async def test_answer_maps_to_class(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        answer: Callable[[], httpx.Response],
        expected: type[CozeAPIRequestError],
        code: int | None,
        http_status: int | None,
    ) -> None:
        """The error has exactly the expected class, Coze code, HTTP status, request and logid."""
        coze_router.get(RETRIEVE).mock(side_effect=lambda request: answer())
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert type(error) is expected
        assert isinstance(error, CozeAPIRequestError)
        assert (error.code, error.http_status, error.logid) == (code, http_status, LOGID)
        assert error.target == f"GET {RETRIEVE}?bot_id={sample_bot_id}"
        # Only a new token can fix an authentication error, so only that error says to check it.
        assert (TOKEN_HINT in str(error)) == (expected is CozeAuthenticationError)
        if expected is CozeAuthenticationError:
            assert str(error).endswith(f"; check COZE_API_TOKEN (logid={LOGID})")

    async def test_oauth_error_keeps_its_error_code(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """An OAuth error answer keeps its ``error_code`` as the message and names the failed request."""
        coze_router.get(RETRIEVE).mock(side_effect=lambda request: _json(200, {"error_code": "access_denied"})())
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert isinstance(error, CozeAuthenticationError)
        assert (error.msg, error.target, error.logid) == (
            "access_denied",
            f"GET {RETRIEVE}?bot_id={sample_bot_id}",
            LOGID,
        )

    @pytest.mark.covers("FR-017")
    async def test_huge_msg_in_a_json_envelope_is_quoted(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """A 200 kB ``msg`` in Coze's error envelope is cut to 200 characters; code, class and logid stay."""
        huge = "x" * 200_000
        coze_router.get(RETRIEVE).mock(
            side_effect=lambda request: golden_response("errors/bad_request_4000.json", changes={"msg": huge})
        )
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert type(error) is CozeAPIRequestError
        assert (error.code, error.logid) == (4000, LOGID)
        assert error.msg == "x" * 200 + "…"
        assert len(str(error)) < 500


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeErrorsBadInput:
    """The bad-input matrix: each malformed answer and the typed error it produces."""

    @pytest.mark.parametrize(
        ("answer", "expected", "detail"),
        [
            (_raw(200, b"OK", "text/plain"), CozeMalformedResponseError, "not JSON: 'OK'"),
            (_raw(502, HTML_502.encode(), "text/html"), CozeServerError, "502 Bad Gateway"),
            (_raw(200, b"", "application/json"), CozeMalformedResponseError, "empty body"),
            (_json(200, {"unexpected": True}), CozeMalformedResponseError, "ValidationError"),
            (_golden(200, "bad_request_4000"), CozeAPIRequestError, "code 4000"),
            (_json(503, {"code": 0, "msg": ""}), CozeServerError, "HTTP 503"),
            (_raw(200, b"x" * 1_000_000, "text/plain"), CozeMalformedResponseError, "not JSON: 'xxx"),
        ],
        ids=[
            "non-json-body",
            "html-502-page",
            "empty-body",
            "json-without-code",
            "code-above-zero-with-http-200",
            "http-503-code-0-no-data",
            "huge-body",
        ],
    )
    @pytest.mark.covers("FR-017")
    async def test_malformed_answer(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        answer: Callable[[], httpx.Response],
        expected: type[CozeIntegrationError],
        detail: str,
    ) -> None:
        """A typed error with the logid and a short message, never a raw parsing exception."""
        coze_router.get(RETRIEVE).mock(side_effect=lambda request: answer())
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert type(error) is expected
        assert detail in str(error)
        assert error.logid == LOGID
        assert len(str(error)) < 500, "an error message must quote a bounded excerpt of the body"
        if isinstance(error, CozeMalformedResponseError):
            assert error.target == f"GET {RETRIEVE}?bot_id={sample_bot_id}"
            assert detail in error.detail

    @pytest.mark.parametrize(
        "answer",
        [
            lambda: event_stream(OK_STREAM[: OK_STREAM.index("event:conversation.chat.completed")]),
            lambda: event_stream(OK_STREAM[: OK_STREAM.index("event:conversation.message.completed")], cut=True),
        ],
        ids=["truncated-sse-stream", "sse-stream-breaks-mid-read"],
    )
    async def test_broken_stream(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, answer: Callable[[], httpx.Response]
    ) -> None:
        """A stream that ends early or breaks raises a stream-interrupted error keeping the answer so far."""
        coze_router.post("/v3/chat").mock(side_effect=lambda request: answer())
        with pytest.raises(CozeStreamInterruptedError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert caught.value.partial.text == ANSWER
        assert caught.value.logid == LOGID

    async def test_unknown_enum_value_is_kept(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_chat_id: str, sample_conversation_id: str
    ) -> None:
        """An enum value Coze added later is kept, with cozepy's warning, rather than failing the call."""
        coze_router.route(path="/v3/chat/retrieve").mock(
            return_value=golden_response("chat/retrieve_in_progress.json", changes={"data.status": "paused"})
        )
        with pytest.warns(UserWarning, match="Unknown ChatStatus value: paused"):
            result = await resolve(
                coze_client.chat.retrieve(conversation_id=sample_conversation_id, chat_id=sample_chat_id)
            )
        assert result.status == "paused"
        assert result.status not in set(ChatStatus)
        assert result.response.logid == LOGID


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeErrorsNetwork:
    """Transport failures become typed network or timeout errors naming the request."""

    @pytest.mark.parametrize(
        ("failure", "expected"),
        # Factories, not instances (the rule in test_coze_suite.py): a raised instance keeps its test's frames.
        [
            (partial(httpx.ConnectError, "connection refused"), CozeNetworkError),
            (partial(httpx.ConnectTimeout, "connect timed out"), CozeTimeoutError),
            (partial(httpx.ReadTimeout, "read timed out"), CozeTimeoutError),
            (partial(httpx.RemoteProtocolError, "peer closed connection"), CozeNetworkError),
            (partial(httpx.ReadError, "connection reset by peer"), CozeNetworkError),
        ],
        ids=["connect-error", "connect-timeout", "read-timeout", "protocol-error", "reset"],
    )
    async def test_transport_failure_is_typed(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        failure: Callable[[], httpx.TransportError],
        expected: type[CozeNetworkError],
    ) -> None:
        """The error class, method and path are right, and the raw httpx error is kept as the cause."""
        sent = failure()
        route = coze_router.get(RETRIEVE).mock(side_effect=sent)
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert type(error) is expected
        assert isinstance(error, CozeNetworkError)
        assert error.target == f"GET {RETRIEVE}?bot_id={sample_bot_id}"
        assert error.__cause__ is sent
        assert type(sent).__name__ in error.reason
        assert error.execute_id is None
        assert str(error) == f"{error.target} failed: {error.reason}"  # nothing to resume for a read
        assert route.call_count == 3, "reads are retried up to the configured attempts"


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeErrorsPermission:
    """A valid token without access gets its own error, not an authentication error with a token hint."""

    @pytest.mark.parametrize("status", [200, 403], ids=["code-4101-http-200", "code-4101-http-403"])
    async def test_permission_error_is_not_authentication(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        status: int,
    ) -> None:
        """Code 4101 raises ``CozePermissionError`` outside the authentication branch, without the token hint."""
        route = coze_router.get(RETRIEVE).mock(return_value=golden_response(PERMISSION, status=status))
        error = await _retrieve(coze_client, coze_calls, sample_bot_id)
        assert type(error) is CozePermissionError
        assert isinstance(error, CozeAPIRequestError)
        assert not isinstance(error, CozeAuthenticationError)
        assert (error.code, error.msg, error.logid) == (4101, golden(PERMISSION)["msg"], LOGID)
        assert error.http_status == (403 if status == 403 else None)
        assert "COZE_API_TOKEN" not in str(error)
        assert route.calls.last.request.url.params["bot_id"] == sample_bot_id
        assert route.call_count == 1, "a permission error would be the same next time: no retry"


def _exchange(status: int) -> Exchange:
    return Exchange(
        target=f"GET {RETRIEVE}", status=status, logid=LOGID, content_type="application/json", retry_after=None
    )


def _validation_error() -> pydantic.ValidationError:
    try:
        pydantic.TypeAdapter(int).validate_python("not a number")
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("pydantic accepted a string as an int")


class TestCozeErrorsBodyShapes:
    """What cozepy raises while it digs into a body of the wrong shape becomes a typed error."""

    @pytest.mark.parametrize(
        "failure",
        # Factories, not instances (the rule in test_coze_suite.py): a raised instance keeps its test's frames.
        [
            _validation_error,
            partial(TypeError, "'NoneType' object is not subscriptable"),
            partial(KeyError, "data"),
            partial(IndexError, "list index out of range"),
            partial(ValueError, "not a valid value"),
        ],
        ids=["ValidationError", "TypeError", "KeyError", "IndexError", "ValueError"],
    )
    def test_shape_error_is_a_malformed_response(self, failure: Callable[[], Exception]) -> None:
        """Every kind of shape failure is a malformed-response error naming the request, with the logid."""
        raised = failure()
        error = translate(raised, _exchange(200))
        assert type(error) is CozeMalformedResponseError
        assert (error.target, error.logid) == (f"GET {RETRIEVE}", LOGID)
        assert error.detail.startswith(f"{type(raised).__name__}: ")

    @pytest.mark.parametrize(
        ("status", "expected"),
        [
            (428, CozeMalformedResponseError),
            (429, CozeRateLimitError),
            (430, CozeMalformedResponseError),
            (499, CozeMalformedResponseError),
            (500, CozeServerError),
        ],
    )
    def test_error_status_explains_a_shape_error(self, status: int, expected: type[CozeIntegrationError]) -> None:
        """On 429 or a 5xx the status, not the body's shape, says what went wrong."""
        error = translate(KeyError("data"), _exchange(status))
        assert type(error) is expected
        assert error.logid == LOGID

    def test_failure_outside_a_call_is_left_alone(self) -> None:
        """Without a recorded exchange a shape error is not Coze's answer, and other exceptions never are."""
        assert translate(KeyError("data"), None) is None
        assert translate(RuntimeError("caller bug"), _exchange(200)) is None


class TestCozeErrorsHttpStatus:
    """Which HTTP statuses an API error reports and which class they select without a known code."""

    @pytest.mark.parametrize(
        ("status", "http_status", "expected"),
        [
            (200, None, CozeAPIRequestError),
            (399, None, CozeAPIRequestError),
            (400, 400, CozeAPIRequestError),
            (499, 499, CozeAPIRequestError),
            (500, 500, CozeServerError),
            (501, 501, CozeServerError),
        ],
    )
    def test_error_statuses_start_at_400_and_server_errors_at_500(
        self, status: int, http_status: int | None, expected: type[CozeAPIRequestError]
    ) -> None:
        """An error answer keeps an HTTP status from 400 up, and from 500 up it is a server error."""
        error = api_error(code=None, msg="", logid=LOGID, target="GET /x", exchange=_exchange(status))
        assert type(error) is expected
        assert error.http_status == http_status


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeErrorsCallBoundaries:
    """Only Coze's and the transport's failures are typed, and only those of the call that failed."""

    async def test_caller_exception_passes_through(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, recorded_sleeps: list[float]
    ) -> None:
        """An exception of the caller's own code is neither typed nor retried."""
        attempts: list[int] = []

        def fail() -> None:
            attempts.append(1)
            raise RuntimeError("caller bug")

        async def afail() -> None:
            fail()

        with pytest.raises(RuntimeError, match="caller bug"):
            await read(coze_client, coze_calls, afail if isinstance(coze_client, AsyncCoze) else fail)
        assert (len(attempts), recorded_sleeps) == (1, [])

    async def test_typed_error_is_raised_as_is(self, coze_client: AnyCoze, coze_calls: CozeCalls) -> None:
        """A typed error raised inside a call reaches the caller unchanged, not wrapped in itself."""
        error = CozeNotFoundError(code=4200, msg="gone", logid=LOGID, target="GET /x")

        def fail() -> None:
            raise error

        async def afail() -> None:
            fail()

        with pytest.raises(CozeNotFoundError) as caught:
            await write(coze_client, coze_calls, afail if isinstance(coze_client, AsyncCoze) else fail)
        assert caught.value is error
        assert caught.value.__cause__ is None

    async def test_earlier_exchange_never_explains_a_later_failure(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """After a successful call, a call that fails before sending anything is not blamed on the old answer."""
        coze_router.get(RETRIEVE).mock(return_value=golden_response("bots/get_online_info_ok.json"))
        await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))

        def fail() -> None:
            raise KeyError("data")

        async def afail() -> None:
            fail()

        with pytest.raises(KeyError):
            await read(coze_client, coze_calls, afail if isinstance(coze_client, AsyncCoze) else fail)


class TestCozeErrorsClock:
    """The default clock that dates a ``Retry-After`` HTTP-date."""

    def test_now_is_timezone_aware_utc(self) -> None:
        """``utc_now`` is aware and in UTC, so it can be subtracted from a parsed HTTP-date."""
        before = datetime.now(UTC)
        now = utc_now()
        assert now.utcoffset() == timedelta(0)
        assert before <= now <= datetime.now(UTC)
