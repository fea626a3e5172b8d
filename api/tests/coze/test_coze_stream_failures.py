"""Stream failures: error events, malformed lines, cut connections and missing headers.

cozepy raises a bare ``Exception`` for an ``error`` event, a raw httpx error for a dropped
connection, pydantic or ``TypeError`` for bad data, and ends silently when a stream stops
mid-event. The project's consumers turn each into a typed stream error that keeps what arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
import respx
from cozepy import ChatEventType, ChatStatus

from coze_integration.chat import ChatTranscript
from coze_integration.errors import (
    CozeAPIRequestError,
    CozeMalformedEventError,
    CozeNetworkError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    classify_stream_failure,
)
from coze_integration.wire import forget_exchange, record_response
from coze_integration.workflows import WorkflowProgress
from tests.coze.golden_workflows import end_node_text, message_data
from tests.coze.parity import AnyCoze, plain_cozepy_client, streamed_transcript, workflow_progress
from tests.coze.wire import LOGID, event_stream, golden, golden_events, golden_response, golden_stream, golden_text

END_CHUNKS = "workflows/stream_run_end_chunks.sse"
ERROR_EVENT = "workflows/stream_run_error_event.sse"
FAILED_CODE_MSG = "chat/stream_failed_code_msg.sse"

OK_STREAM = golden_text("chat/stream_ok.sse")
WORKFLOW_STREAM = golden_text("workflows/stream_ok.sse")
ANSWER = golden_events("chat/stream_ok.sse")[5].json()["content"]
FIRST_WORKFLOW_EVENT = WORKFLOW_STREAM[: WORKFLOW_STREAM.index("id: 1")]
# Everything up to and including the three answer deltas.
DELTAS = OK_STREAM[: OK_STREAM.index("event:conversation.message.completed")]


@pytest.fixture
def chat_route(coze_router: respx.MockRouter) -> respx.Route:
    """POST /v3/chat, answered by each test."""
    return coze_router.post("/v3/chat")


@pytest.mark.covers("FR-016")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeStreamErrorEvents:
    """A server ``error`` event becomes a typed stream error with its code and message."""

    @pytest.mark.parametrize(
        ("data", "code", "msg"),
        [
            ('{"code":4000,"msg":"Request parameter error"}', 4000, "Request parameter error"),
            ("upstream exploded", None, "upstream exploded"),
            ('{"code":4000}', 4000, ""),
        ],
        ids=["json-payload", "plain-payload", "json-without-msg"],
    )
    async def test_error_event(
        self, coze_client: AnyCoze, chat_route: respx.Route, data: str, code: int | None, msg: str
    ) -> None:
        """Code and message are parsed when the payload is JSON, kept verbatim otherwise; the deltas survive."""
        chat_route.mock(return_value=event_stream(DELTAS + f"event:error\ndata:{data}\n\n"))
        with pytest.raises(CozeStreamEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (caught.value.code, caught.value.msg) == (code, msg)
        assert f"code {code}: {msg}" in str(caught.value)  # what the logs show of Coze's error
        assert caught.value.partial.text == ANSWER
        assert caught.value.logid == LOGID


@pytest.mark.covers("FR-016")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeStreamFailedChatPayload:
    """``conversation.chat.failed`` carrying ``{code, msg}`` (chat_v3.md's example) is a failed chat, not a bad line."""

    @pytest.mark.golden(FAILED_CODE_MSG)
    async def test_code_and_msg_fail_the_chat(
        self, coze_client: AnyCoze, chat_route: respx.Route, sample_chat_id: str, sample_conversation_id: str
    ) -> None:
        """The documented payload raises a stream error with its code and message; the transcript is failed."""
        chat_route.mock(return_value=golden_stream(FAILED_CODE_MSG))
        with pytest.raises(CozeStreamEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        payload = golden_events(FAILED_CODE_MSG)[2].json()
        assert (caught.value.code, caught.value.msg, caught.value.logid) == (payload["code"], payload["msg"], LOGID)
        partial = caught.value.partial
        assert isinstance(partial, ChatTranscript)
        assert (partial.status, partial.error_code, partial.error_message, partial.complete) == (
            ChatStatus.FAILED,
            701231,
            "error",
            True,
        )
        assert (partial.chat_id, partial.conversation_id) == (sample_chat_id, sample_conversation_id)
        assert partial.events[-1] == ChatEventType.CONVERSATION_CHAT_FAILED

    @pytest.mark.parametrize("data", ['{"msg":"error"}', "failed"], ids=["json-without-code", "not-json"])
    async def test_failed_event_without_a_code_stays_malformed(
        self, coze_client: AnyCoze, chat_route: respx.Route, data: str
    ) -> None:
        """A failed-chat event that is neither a Chat nor ``{code, msg}`` is a malformed event, as any other."""
        head = golden_text(FAILED_CODE_MSG)
        chat_route.mock(return_value=event_stream(head[: head.index('data:{"code"')] + f"data:{data}\n\n"))
        with pytest.raises(CozeMalformedEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert caught.value.partial.status == ChatStatus.IN_PROGRESS

    async def test_malformed_line_on_a_client_without_the_watcher(
        self, coze_kind: str, chat_route: respx.Route, mock_coze_api_token: str
    ) -> None:
        """Without the factories' stream watcher nothing is noted, and a line cozepy rejects stays a malformed event."""
        chat_route.mock(return_value=golden_stream("chat/stream_with_id_and_comments.sse"))
        with pytest.raises(CozeMalformedEventError) as caught:
            await streamed_transcript(plain_cozepy_client(coze_kind, mock_coze_api_token), bot_id="b", user_id="u")
        assert caught.value.partial.events == ()


@pytest.mark.covers("FR-016")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeStreamMalformedEvents:
    """Lines cozepy cannot parse raise a typed malformed-event error with the line and logid."""

    @pytest.mark.parametrize(
        ("tail", "line"),
        [
            (
                "event:conversation.message.delta\nevent:conversation.message.delta\n\n",
                "event:conversation.message.delta",
            ),
            ('event:conversation.message.delta\ndata:{"role":"assistant",\n\n', '{"role":"assistant",'),
            ("event:conversation.chat.completed\ndata:[1, 2]\n\n", "[1, 2]"),
        ],
        # Comment and retry: lines are standard SSE; the wire repairs drop them (test_coze_wire_contract).
        ids=["repeated-field", "invalid-json", "json-of-wrong-shape"],
    )
    @pytest.mark.covers("FR-017")
    async def test_malformed_line(self, coze_client: AnyCoze, chat_route: respx.Route, tail: str, line: str) -> None:
        """The error quotes the offending line or data, keeps the logid and the answer so far."""
        chat_route.mock(return_value=event_stream(DELTAS + tail))
        with pytest.raises(CozeMalformedEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert caught.value.line == line
        assert caught.value.logid == LOGID
        assert caught.value.partial.text == ANSWER
        assert repr(line) in str(caught.value)

    async def test_long_line_is_cut(self, coze_client: AnyCoze, chat_route: respx.Route) -> None:
        """A huge offending line is quoted only up to a bounded length."""
        chat_route.mock(return_value=event_stream(DELTAS + "x" * 100_000 + "\n\n"))
        with pytest.raises(CozeMalformedEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert caught.value.line == "x" * 200
        assert len(str(caught.value)) < 400

    @pytest.mark.covers("FR-017")
    async def test_missing_content_type(self, coze_client: AnyCoze, chat_route: respx.Route) -> None:
        """A stream response without ``content-type`` raises a typed error, not cozepy's ``TypeError``."""
        chat_route.mock(return_value=event_stream(OK_STREAM, content_type=None))
        with pytest.raises(CozeMalformedEventError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert caught.value.line == "<response without content-type>"
        assert caught.value.logid == LOGID


@pytest.mark.covers("FR-016")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeStreamInterruptions:
    """A stream that stops early keeps what it delivered."""

    @pytest.mark.parametrize(
        "answer",
        [
            lambda: event_stream(DELTAS),
            lambda: event_stream(DELTAS + "event:conversation.chat.completed\n"),
            lambda: event_stream(DELTAS, cut=True),
            lambda: event_stream(DELTAS + 'event:conversation.message.completed\ndata:{"role"', cut=True),
        ],
        ids=["ends-without-completion", "ends-mid-event", "connection-drops", "connection-drops-mid-event"],
    )
    @pytest.mark.covers("FR-017")
    async def test_partial_transcript_survives(
        self,
        coze_client: AnyCoze,
        chat_route: respx.Route,
        sample_chat_id: str,
        answer: Callable[[], httpx.Response],
    ) -> None:
        """The interrupted error carries the text, chat id and logid received before the cut."""
        chat_route.mock(side_effect=lambda request: answer())
        with pytest.raises(CozeStreamInterruptedError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        partial = caught.value.partial
        assert (partial.text, partial.chat_id, partial.complete) == (ANSWER, sample_chat_id, False)
        assert caught.value.logid == LOGID
        # The message says what was missing, or how the connection broke.
        assert str(caught.value).startswith(
            ("chat stream ended before conversation.chat.completed (", "chat stream interrupted: ReadError: ")
        )

    async def test_connection_refused_is_a_network_error(self, coze_client: AnyCoze, chat_route: respx.Route) -> None:
        """A stream that never opened is a network error naming the request, not an interrupted stream."""
        chat_route.mock(side_effect=httpx.ConnectError("connection refused"))
        with pytest.raises(CozeNetworkError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert not isinstance(caught.value, CozeStreamInterruptedError)
        assert caught.value.target.startswith("POST /v3/chat")

    @pytest.mark.covers("FR-017")
    async def test_json_error_instead_of_stream(self, coze_client: AnyCoze, chat_route: respx.Route) -> None:
        """A JSON error answer to a stream request is the API error it is, with its code and logid."""
        chat_route.mock(return_value=golden_response("errors/bad_request_4000.json"))
        with pytest.raises(CozeAPIRequestError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (caught.value.code, caught.value.logid) == (golden("errors/bad_request_4000.json")["code"], LOGID)


@pytest.mark.covers("FR-009")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeWorkflowStreamFailures:
    """The workflow stream consumer keeps the progress made before a failure."""

    @pytest.fixture
    def workflow_route(self, coze_router: respx.MockRouter) -> respx.Route:
        """POST /v1/workflow/stream_run, answered by each test."""
        return coze_router.post("/v1/workflow/stream_run")

    async def test_connection_drop_keeps_progress(self, coze_client: AnyCoze, workflow_route: respx.Route) -> None:
        """A dropped connection raises an interrupted error holding the messages received."""
        workflow_route.mock(return_value=event_stream(FIRST_WORKFLOW_EVENT, cut=True))
        with pytest.raises(CozeStreamInterruptedError) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        assert isinstance(caught.value.partial, WorkflowProgress)
        first = golden_events("workflows/stream_ok.sse")[0].json()
        assert [m.content for m in caught.value.partial.messages] == [first["content"]]
        # cozepy exposes no logid for async workflow streams; the integration still reports it.
        assert caught.value.logid == LOGID
        assert str(caught.value).startswith("workflow stream interrupted: ReadError: ")

    @pytest.mark.parametrize(
        ("tail", "line"),
        [
            ('id:one\nevent:Message\ndata:{"content":"x"}\n\n', "invalid literal for int() with base 10: 'one'"),
            ("id:1\nevent:Message\ndata:{not json}\n\n", "{not json}"),
        ],
        ids=["non-integer-id", "invalid-json"],
    )
    @pytest.mark.covers("FR-017")
    async def test_malformed_event_keeps_progress(
        self, coze_client: AnyCoze, workflow_route: respx.Route, tail: str, line: str
    ) -> None:
        """A malformed workflow event raises a typed error with the line, the logid and the progress so far."""
        workflow_route.mock(return_value=event_stream(FIRST_WORKFLOW_EVENT + tail))
        with pytest.raises(CozeMalformedEventError) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        assert caught.value.line == line
        assert caught.value.logid == LOGID
        assert len(caught.value.partial.messages) == 1

    @pytest.mark.parametrize(
        ("recording", "expected"),
        [("workflows/stream_run_no_done.sse", CozeStreamInterruptedError), (ERROR_EVENT, CozeStreamEventError)],
        ids=["ends-before-done", "error-event"],
    )
    async def test_failure_without_a_logid(
        self,
        coze_client: AnyCoze,
        workflow_route: respx.Route,
        recording: str,
        expected: type[CozeStreamInterruptedError[WorkflowProgress]],
    ) -> None:
        """A run answered without ``x-tt-logid`` fails with its typed error and progress, its logid ``None``."""
        body = golden_text(recording).encode()
        workflow_route.mock(
            return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        )
        with pytest.raises(expected) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        assert (caught.value.logid, caught.value.partial.logid) == (None, None)
        assert [m.content for m in caught.value.partial.messages] == [m["content"] for m in message_data(recording)]


@pytest.mark.covers("FR-009")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeWorkflowStreamEnds:
    """How a workflow stream ended decides the result: an Error event, a bad chunk order, Done's data."""

    @pytest.fixture
    def workflow_route(self, coze_router: respx.MockRouter) -> respx.Route:
        """POST /v1/workflow/stream_run, answered by each test."""
        return coze_router.post("/v1/workflow/stream_run")

    async def test_node_seq_id_that_is_not_a_number_is_malformed(
        self, coze_client: AnyCoze, workflow_route: respx.Route
    ) -> None:
        """An End-node chunk whose ``node_seq_id`` is no number cannot be ordered: a typed error keeps the progress."""
        text = golden_text(END_CHUNKS).replace('"node_seq_id":"2"', '"node_seq_id":"two"')
        workflow_route.mock(return_value=event_stream(text))
        with pytest.raises(CozeMalformedEventError) as caught:
            await workflow_progress(coze_client, workflow_id="wf")
        assert "'two'" in caught.value.line
        assert caught.value.logid == LOGID
        assert len(caught.value.partial.messages) == len(message_data(END_CHUNKS))

    @pytest.mark.parametrize("done", ["{}", "not json", '["a list"]', '{"debug_url": 7}'], ids=str)
    async def test_done_without_a_debug_url(self, coze_client: AnyCoze, workflow_route: respx.Route, done: str) -> None:
        """``Done`` with ``{}`` (as the guide shows it) or unusable data completes the run, without a debug URL."""
        text = golden_text(END_CHUNKS)
        text = text[: text.rindex("data: ")] + f"data: {done}\n\n"
        workflow_route.mock(return_value=event_stream(text))
        progress = await workflow_progress(coze_client, workflow_id="wf")
        assert (progress.complete, progress.output, progress.debug_url) == (True, end_node_text(END_CHUNKS), None)

    async def test_run_without_messages_has_empty_output(
        self, coze_client: AnyCoze, workflow_route: respx.Route
    ) -> None:
        """A run that streamed nothing before ``Done`` is complete, with an empty output."""
        text = golden_text(END_CHUNKS)
        workflow_route.mock(return_value=event_stream(text[text.rindex("id: ") :]))
        progress = await workflow_progress(coze_client, workflow_id="wf")
        assert (progress.complete, progress.output, progress.messages) == (True, "", ())


@pytest.fixture
def recorded_stream() -> Iterator[Callable[[str | None], None]]:
    """Record a chat stream response with the given content-type as the last exchange; forget it afterwards."""

    def record(content_type: str | None) -> None:
        response = golden_stream("chat/stream_ok.sse", content_type=content_type)
        response.request = httpx.Request("POST", "https://api.coze.cn/v3/chat")
        record_response(response)

    forget_exchange()
    yield record
    forget_exchange()


@pytest.mark.covers("FR-009", "FR-016")
class TestCozeStreamFailureClassification:
    """Which exceptions stand for which stream failure, for chat and workflow streams alike."""

    def test_only_a_bare_exception_with_the_prefix_is_an_error_event(self) -> None:
        """Cozepy's bare ``Exception("error event: ...")`` is an error event; no other exception is."""
        forget_exchange()
        failure = classify_stream_failure(Exception('error event: {"code":4000}'))
        assert failure is not None
        assert failure.error_event == '{"code":4000}'
        assert classify_stream_failure(Exception("something else")) is None
        assert classify_stream_failure(RuntimeError("error event: {}")) is None

    def test_missing_content_type_is_told_from_a_type_error_alone(
        self, recorded_stream: Callable[[str | None], None]
    ) -> None:
        """A ``TypeError`` means a missing content-type only when the response had none."""
        recorded_stream(None)
        failure = classify_stream_failure(TypeError("argument of type 'NoneType' is not iterable"))
        assert failure is not None
        assert failure.malformed_line == "<response without content-type>"
        other = classify_stream_failure(ValueError("bad line"))
        assert other is not None
        assert other.malformed_line == "bad line"
        recorded_stream("text/event-stream")
        assert classify_stream_failure(TypeError("a bug elsewhere")) is None


@pytest.mark.covers("FR-016")
@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeStreamFailuresBeforeAnyEvent:
    """A chat stream that fails before its first event still reports the logid of its response."""

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (lambda: event_stream('event:error\ndata:{"code":4000,"msg":"m"}\n\n'), CozeStreamEventError),
            (lambda: event_stream("event:conversation.chat.created\ndata:{not json}\n\n"), CozeMalformedEventError),
            (
                lambda: event_stream("event:conversation.message.delta\nevent:conversation.message.delta\n\n"),
                CozeMalformedEventError,
            ),
            (lambda: event_stream("event:conversation.chat.completed\ndata:[1, 2]\n\n"), CozeMalformedEventError),
            (lambda: event_stream(""), CozeStreamInterruptedError),
            (lambda: event_stream("", cut=True), CozeStreamInterruptedError),
            (lambda: event_stream("event:conversation.chat.created\n", cut=True), CozeStreamInterruptedError),
        ],
        ids=[
            "error-event",
            "malformed-data",
            "repeated-field",
            "data-of-wrong-shape",
            "empty",
            "cut-at-once",
            "cut-mid-event",
        ],
    )
    @pytest.mark.covers("FR-017")
    async def test_logid_without_events(
        self,
        coze_client: AnyCoze,
        chat_route: respx.Route,
        body: Callable[[], httpx.Response],
        expected: type[CozeStreamInterruptedError[ChatTranscript]],
    ) -> None:
        """The typed error and its empty transcript carry the response's logid although no event delivered one."""
        chat_route.mock(side_effect=lambda request: body())
        with pytest.raises(expected) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (caught.value.logid, caught.value.partial.logid) == (LOGID, LOGID)
        assert caught.value.partial.events == ()
