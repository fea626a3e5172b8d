"""The clients on a real connection: timeouts, stalls, refused connections, bodies in pieces, huge bodies.

A local HTTP server on 127.0.0.1 serves golden files (see ``conftest.py``). These are the failures
respx cannot produce: a timer that really fires, bytes that really arrive a few at a time.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import pytest
from cozepy import AsyncCoze, Coze, Message
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from coze_integration.calls import CozeCalls
from coze_integration.chat import ChatTranscript
from coze_integration.errors import (
    MAX_EXCERPT,
    CozeNetworkError,
    CozeServerError,
    CozeStreamInterruptedError,
    CozeTimeoutError,
)
from coze_integration.settings import CozeSettings
from tests.coze.parity import authenticate, build_client, streamed_transcript
from tests.coze.real_socket.conftest import LOOPBACK, READ_TIMEOUT, Stall
from tests.coze.wire import LOGID, golden_events, golden_text

pytestmark = [pytest.mark.real_socket, pytest.mark.parity]

CHAT_STREAM = "chat/stream_realsocket_answer.sse"
BAD_GATEWAY = "users/me_realsocket_bad_gateway.html"
#: How late a timeout may fire on a loaded machine and still count as "on time".
TIMEOUT_MARGIN = 0.5
#: The server notes a stall just after its last write, a moment after the client's timer may start.
CLOCK_SKEW = 0.02
#: Events of the golden chat stream sent before the server stalls: created, in progress, two deltas.
EVENTS_BEFORE_STALL = 4
ERROR_BODY_BYTES = 2 * 1024 * 1024

SSE_HEADERS = {"content-type": "text/event-stream", "x-tt-logid": LOGID}


class Seen:
    """The requests the server received, recorded as they arrive (a stalled one never reaches the log)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []

    def record(self, request: Request) -> None:
        """Keep ``request``, reading its body while the connection is open."""
        request.get_data()
        self.requests.append(request)

    @property
    def last(self) -> Request:
        """The latest request."""
        assert self.requests, "the server received no request"
        return self.requests[-1]


def _sse_events(text: str) -> list[str]:
    """The golden stream split after each event, framing kept."""
    return [event + "\n\n" for event in text.split("\n\n") if event.strip()]


def _assert_on_time(waited: float) -> None:
    """The client gave up about ``READ_TIMEOUT`` after the server stopped sending."""
    assert READ_TIMEOUT - CLOCK_SKEW <= waited < READ_TIMEOUT + TIMEOUT_MARGIN, f"gave up after {waited:.3f} s"


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    return (data[start : start + size] for start in range(0, len(data), size))


def _stream_response(pieces: Iterable[bytes]) -> Response:
    return Response(pieces, status=200, headers=SSE_HEADERS, direct_passthrough=True)


@dataclass(frozen=True)
class ChatCall:
    """Who asks which bot what, the token they send, and the ids Coze answers with (the golden stream's)."""

    token: str
    bot_id: str
    user_id: str
    question: str
    chat_id: str
    conversation_id: str

    async def stream(self, client: Coze | AsyncCoze) -> ChatTranscript:
        """Stream the chat through the project's consumer."""
        question = Message.build_user_question_text(self.question)
        return await streamed_transcript(
            client, bot_id=self.bot_id, user_id=self.user_id, additional_messages=[question]
        )

    def assert_sent_by(self, seen: Seen) -> None:
        """The server received this chat: the bearer token, the bot, the user, streaming, the question."""
        request = seen.last
        assert request.headers["Authorization"] == f"Bearer {self.token}"
        body = json.loads(request.get_data())
        assert (body["bot_id"], body["user_id"], body["stream"]) == (self.bot_id, self.user_id, True)
        assert body["additional_messages"][0]["content"] == self.question


@pytest.fixture
def chat_call(
    mock_coze_api_token: str,
    sample_bot_id: str,
    sample_user_id: str,
    sample_user_message: str,
    sample_chat_id: str,
    sample_conversation_id: str,
) -> ChatCall:
    """The sample user's question to the sample bot, answered in the sample chat and conversation."""
    return ChatCall(
        mock_coze_api_token, sample_bot_id, sample_user_id, sample_user_message, sample_chat_id, sample_conversation_id
    )


def _expect_chat(server: HTTPServer, seen: Seen, respond: Callable[[], Response]) -> None:
    def handler(request: Request) -> Response:
        seen.record(request)
        return respond()

    server.expect_request("/v3/chat", method="POST").respond_with_handler(handler)


@pytest.mark.asyncio
class TestCozeRealSocketTimeouts:
    """A server that stops answering trips the configured read timeout, as the typed timeout error."""

    @pytest.mark.parametrize("stops", ["before_headers", "mid_body"])
    async def test_read_timeout_fires_on_time(
        self,
        stops: str,
        socket_client: Coze | AsyncCoze,
        socket_calls: CozeCalls,
        coze_server: HTTPServer,
        stall: Stall,
        mock_coze_api_token: str,
    ) -> None:
        """A server that stops before its headers or halfway through its body fails as a timeout, on time."""
        seen = Seen()
        body = golden_text("users/me_ok.json").encode()

        def half_then_stall() -> Iterator[bytes]:
            yield body[: len(body) // 2]
            stall.hold()

        def respond(request: Request) -> Response:
            seen.record(request)
            headers = {"content-type": "application/json", "x-tt-logid": LOGID}
            if stops == "before_headers":
                stall.hold()
                return Response(body, headers=headers)
            return Response(half_then_stall(), headers=headers, direct_passthrough=True)

        coze_server.expect_request("/v1/users/me", method="GET").respond_with_handler(respond)
        with pytest.raises(CozeTimeoutError) as caught:
            await authenticate(socket_client, socket_calls)
        _assert_on_time(stall.waited())
        assert caught.value.target == "GET /v1/users/me"
        assert "ReadTimeout" in caught.value.reason
        assert seen.last.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_stall_mid_stream_keeps_the_partial_transcript(
        self,
        socket_client: Coze | AsyncCoze,
        coze_server: HTTPServer,
        stall: Stall,
        chat_call: ChatCall,
    ) -> None:
        """A stream that stalls after two deltas raises the interrupted error holding those two deltas."""
        seen = Seen()
        sent = _sse_events(golden_text(CHAT_STREAM))[:EVENTS_BEFORE_STALL]

        def stall_after_some_events() -> Iterator[bytes]:
            yield "".join(sent).encode()
            stall.hold()

        _expect_chat(coze_server, seen, lambda: _stream_response(stall_after_some_events()))
        with pytest.raises(CozeStreamInterruptedError) as caught:
            await chat_call.stream(socket_client)
        _assert_on_time(stall.waited())
        partial = caught.value.partial
        assert isinstance(partial, ChatTranscript)
        deltas = [event.json()["content"] for event in golden_events(CHAT_STREAM)[:EVENTS_BEFORE_STALL][2:]]
        assert partial.text == "".join(deltas) == "The capital of France"
        assert (partial.chat_id, partial.conversation_id) == (chat_call.chat_id, chat_call.conversation_id)
        assert partial.complete is False
        assert partial.logid == caught.value.logid == LOGID
        assert "ReadTimeout" in str(caught.value)
        chat_call.assert_sent_by(seen)


@pytest.mark.asyncio
class TestCozeRealSocketConnections:
    """Nothing listening on the port is a network failure, not a timeout."""

    async def test_refused_connection_is_a_network_error(
        self,
        coze_kind: str,
        socket_settings: CozeSettings,
        socket_calls: CozeCalls,
        loopback_passthrough: object,
    ) -> None:
        """A port that refuses connections fails at once as the typed network error naming the request."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed_port:
            closed_port.bind((LOOPBACK, 0))  # bound, never listening: connecting is refused
            port = closed_port.getsockname()[1]
            settings = socket_settings.model_copy(update={"api_base": f"http://{LOOPBACK}:{port}"})
            client = build_client(coze_kind, settings)
            with pytest.raises(CozeNetworkError) as caught:
                await authenticate(client, socket_calls)

        assert not isinstance(caught.value, CozeTimeoutError)  # refused at once, not given up on
        assert caught.value.target == "GET /v1/users/me"
        assert caught.value.reason.startswith("ConnectError")
        assert caught.value.retryable


@pytest.mark.asyncio
class TestCozeRealSocketStreams:
    """How the bytes of a stream arrive does not change the transcript."""

    async def test_stream_in_tiny_pieces_equals_stream_at_once(
        self,
        socket_client: Coze | AsyncCoze,
        coze_server: HTTPServer,
        chat_call: ChatCall,
    ) -> None:
        """A stream sent three bytes at a time, splitting lines and UTF-8 characters, folds to the same transcript."""
        body = golden_text(CHAT_STREAM).encode()
        seen = Seen()
        _expect_chat(coze_server, seen, lambda: _stream_response([body]))
        whole = await chat_call.stream(socket_client)
        coze_server.clear_all_handlers()
        _expect_chat(coze_server, seen, lambda: _stream_response(_chunks(body, 3)))
        pieces = await chat_call.stream(socket_client)

        assert pieces == whole
        events = golden_events(CHAT_STREAM)
        completed = events[-2].json()
        assert whole.text == "".join(e.json()["content"] for e in events if e.event == "conversation.message.delta")
        assert whole.text == "The capital of France is Paris — ça va ✓."
        assert (whole.chat_id, whole.conversation_id) == (chat_call.chat_id, chat_call.conversation_id)
        assert whole.usage is not None
        assert whole.usage.token_count == completed["usage"]["token_count"]
        assert whole.complete is True
        assert whole.logid == LOGID
        assert len(seen.requests) == 2
        chat_call.assert_sent_by(seen)


@pytest.mark.asyncio
class TestCozeRealSocketErrorBodies:
    """A huge error body is quoted, not copied, into the error."""

    async def test_two_megabyte_error_body_gives_a_bounded_excerpt(
        self,
        socket_client: Coze | AsyncCoze,
        socket_calls: CozeCalls,
        coze_server: HTTPServer,
    ) -> None:
        """A 2 MB gateway page on HTTP 502 becomes a server error quoting at most the excerpt limit."""
        page = golden_text(BAD_GATEWAY)
        body = page * (ERROR_BODY_BYTES // len(page) + 1)
        coze_server.expect_request("/v1/users/me", method="GET").respond_with_data(
            body, status=502, headers={"x-tt-logid": LOGID}, content_type="text/html"
        )
        with pytest.raises(CozeServerError) as caught:
            await authenticate(socket_client, socket_calls)

        error = caught.value
        assert len(body.encode()) >= ERROR_BODY_BYTES
        assert (error.http_status, error.code, error.logid) == (502, None, LOGID)
        assert error.msg.endswith("…")
        assert len(error.msg) == MAX_EXCERPT + 1
        assert " ".join(body.split()).startswith(error.msg.removesuffix("…"))
        assert len(str(error)) < 2 * MAX_EXCERPT


class TestCozeRealSocketGuard:
    """The tier opens loopback only: the session's socket block still holds for every other address."""

    def test_only_loopback_is_reachable(self, loopback_network: None) -> None:
        """Inside this tier a connection anywhere but 127.0.0.1 is still refused before it leaves the machine."""
        with pytest.raises(RuntimeError, match=r"127\.0\.0\.1 only"):
            socket.create_connection(("192.0.2.1", 80), timeout=READ_TIMEOUT)
        with pytest.raises(RuntimeError, match=r"127\.0\.0\.1 only"):
            socket.getaddrinfo("coze.example", 443)
