"""Streaming chat: ``chat.stream`` events and the project's transcript consumer, sync and async.

Replays golden SSE streams from ``wire/chat/`` through POST /v3/chat: a normal answer, a failed
chat, an unknown event name and a long answer of many deltas.
"""

from __future__ import annotations

from typing import Any

import pytest
import respx
from cozepy import (
    AsyncCoze,
    ChatEventType,
    ChatStatus,
)

from tests.coze.parity import AnyCoze, collect, plain_cozepy_client, streamed_transcript
from tests.coze.wire import LOGID, event_stream, golden_events, golden_stream, golden_text, request_json

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-007", "FR-016")]

CREATED, IN_PROGRESS = ChatEventType.CONVERSATION_CHAT_CREATED, ChatEventType.CONVERSATION_CHAT_IN_PROGRESS
DELTA, MESSAGE_DONE = ChatEventType.CONVERSATION_MESSAGE_DELTA, ChatEventType.CONVERSATION_MESSAGE_COMPLETED
CHAT_DONE, CHAT_FAILED = ChatEventType.CONVERSATION_CHAT_COMPLETED, ChatEventType.CONVERSATION_CHAT_FAILED
OK, FAILED, UNKNOWN, LONG = (f"chat/stream_{case}.sse" for case in ("ok", "failed", "unknown_event", "long_answer"))
REQUIRES_ACTION = "chat/stream_requires_action.sse"


def _deltas(name: str) -> list[str]:
    return [e.json()["content"] for e in golden_events(name) if e.event == "conversation.message.delta"]


def _last_error(name: str) -> tuple[int, str]:
    last_error = golden_events(name)[-2].json()["last_error"]
    return (last_error["code"], last_error["msg"])


def _usage(name: str) -> tuple[int, int, int]:
    usage = golden_events(name)[-2].json()["usage"]
    return (usage["token_count"], usage["input_count"], usage["output_count"])


@pytest.fixture
def stream_route(coze_router: respx.MockRouter) -> respx.Route:
    """POST /v3/chat, answered by each test with a stream."""
    return coze_router.post("/v3/chat")


class TestCozeChatStreamEvents:
    """The SDK yields the recorded events in order, with typed payloads."""

    @pytest.mark.parametrize(
        ("recording", "expected"),
        [
            (OK, [CREATED, IN_PROGRESS, DELTA, DELTA, DELTA, MESSAGE_DONE, MESSAGE_DONE, CHAT_DONE]),
            (FAILED, [CREATED, IN_PROGRESS, CHAT_FAILED]),
            (
                UNKNOWN,
                [CREATED, IN_PROGRESS, DELTA, ChatEventType.UNKNOWN, DELTA, MESSAGE_DONE, MESSAGE_DONE, CHAT_DONE],
            ),
        ],
        ids=["ok", "failed", "unknown-event"],
    )
    async def test_event_order(
        self, coze_client: AnyCoze, stream_route: respx.Route, recording: str, expected: list[ChatEventType]
    ) -> None:
        """Events arrive in the recorded order; ``done`` ends the stream without an event."""
        stream_route.mock(return_value=golden_stream(recording))
        events: list[Any] = await collect(coze_client.chat.stream(bot_id="b", user_id="u"))
        assert [event.event for event in events] == expected
        assert [event.event.value for event in events if event.event != ChatEventType.UNKNOWN] == [
            event.event
            for event in golden_events(recording)
            if event.event not in {"done", "conversation.chat.sparkle"}
        ]

    async def test_request_asks_for_a_stream(
        self,
        coze_client: AnyCoze,
        stream_route: respx.Route,
        sample_bot_id: str,
        sample_user_id: str,
        mock_coze_api_token: str,
    ) -> None:
        """The request body sets ``stream: true`` and carries bot and user ids with the bearer token."""
        stream_route.mock(return_value=golden_stream(OK))
        await collect(coze_client.chat.stream(bot_id=sample_bot_id, user_id=sample_user_id))
        request = stream_route.calls.last.request
        body = request_json(request)
        assert (body["stream"], body["bot_id"], body["user_id"]) == (True, sample_bot_id, sample_user_id)
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_unknown_event_keeps_raw_payload(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """An unknown event name becomes ``UNKNOWN`` and keeps its raw name and data."""
        stream_route.mock(return_value=golden_stream(UNKNOWN))
        events: list[Any] = await collect(coze_client.chat.stream(bot_id="b", user_id="u"))
        [unknown] = [event for event in events if event.event == ChatEventType.UNKNOWN]
        [sent] = [event for event in golden_events(UNKNOWN) if event.event == "conversation.chat.sparkle"]
        assert (unknown.unknown["event"], unknown.unknown["data"]) == (sent.event, sent.data)

    @pytest.mark.covers("FR-017")
    async def test_logid_is_available(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """The logid reaches the caller: on the sync stream at once, on every event for both."""
        stream_route.mock(return_value=golden_stream(OK))
        stream = coze_client.chat.stream(bot_id="b", user_id="u")
        if not isinstance(coze_client, AsyncCoze):
            assert stream.response.logid == LOGID  # type: ignore[union-attr]
        events: list[Any] = await collect(stream)
        assert {event.response.logid for event in events} == {LOGID}


class TestCozeChatStreamTranscript:
    """The project's consumer folds a stream into a transcript."""

    @pytest.mark.parametrize(
        ("recording", "text", "status", "usage", "error"),
        [
            (OK, "".join(_deltas(OK)), ChatStatus.COMPLETED, _usage(OK), None),
            (FAILED, "", ChatStatus.FAILED, _usage(FAILED), _last_error(FAILED)),
            (UNKNOWN, "".join(_deltas(UNKNOWN)), ChatStatus.COMPLETED, _usage(UNKNOWN), None),
        ],
        ids=["ok", "failed", "unknown-event"],
    )
    @pytest.mark.covers("FR-017")
    async def test_transcript_fields(
        self,
        coze_client: AnyCoze,
        stream_route: respx.Route,
        sample_chat_id: str,
        sample_conversation_id: str,
        recording: str,
        text: str,
        status: ChatStatus,
        usage: tuple[int, int, int],
        error: tuple[int, str] | None,
    ) -> None:
        """Text, ids, status, usage, error code and message, and logid all come out of the recorded stream."""
        stream_route.mock(return_value=golden_stream(recording))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert transcript.text == text
        assert (transcript.chat_id, transcript.conversation_id) == (sample_chat_id, sample_conversation_id)
        assert (transcript.status, transcript.complete) == (status, True)
        assert (transcript.error_code, transcript.error_message) == (error or (None, None))
        assert transcript.usage is not None
        assert (transcript.usage.token_count, transcript.usage.input_count, transcript.usage.output_count) == usage
        assert transcript.logid == LOGID

    async def test_requires_action_ends_the_stream(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """A chat that stops to ask for a tool's output is a complete transcript waiting on that action."""
        stream_route.mock(return_value=golden_stream(REQUIRES_ACTION))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (transcript.status, transcript.complete) == (ChatStatus.REQUIRES_ACTION, True)
        assert transcript.logid == LOGID

    async def test_zero_last_error_is_no_error(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """A completed chat whose ``last_error`` has code 0 (as the chat object documents it) reports no error."""
        text = golden_text(OK).replace(
            '"status": "completed"', '"status": "completed", "last_error": {"code": 0, "msg": ""}'
        )
        stream_route.mock(return_value=event_stream(text))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert (transcript.status, transcript.error_code, transcript.error_message) == (
            ChatStatus.COMPLETED,
            None,
            None,
        )

    async def test_plain_cozepy_client_keeps_the_logid(
        self, coze_kind: str, stream_route: respx.Route, mock_coze_api_token: str
    ) -> None:
        """On a client built without the factories' hooks, the transcript takes the logid from the events."""
        stream_route.mock(return_value=golden_stream(OK))
        client = plain_cozepy_client(coze_kind, mock_coze_api_token)
        transcript = await streamed_transcript(client, bot_id="b", user_id="u")
        assert (transcript.logid, transcript.complete) == (LOGID, True)

    async def test_long_answer_joins_every_delta(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """All deltas of a long answer are joined in order, none lost or repeated."""
        stream_route.mock(return_value=golden_stream(LONG))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        assert transcript.events.count(DELTA) == len(_deltas(LONG)) == 39
        assert transcript.text == "".join(_deltas(LONG))

    async def test_answer_without_deltas_comes_from_completed_message(
        self, coze_client: AnyCoze, stream_route: respx.Route, sample_chat_id: str, sample_conversation_id: str
    ) -> None:
        """A stream that sends the answer only as a completed message still yields its text."""
        text = golden_text(OK)
        without_deltas = "".join(block + "\n\n" for block in text.split("\n\n") if "message.delta" not in block)
        stream_route.mock(return_value=event_stream(without_deltas))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        answer = golden_events(OK)[5].json()
        assert (transcript.text, transcript.status) == (answer["content"], ChatStatus.COMPLETED)
        assert (transcript.chat_id, transcript.conversation_id) == (sample_chat_id, sample_conversation_id)
