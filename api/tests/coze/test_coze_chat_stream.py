"""Streaming chat: ``chat.stream`` events and the project's transcript consumer, sync and async.

Replays golden SSE streams from ``wire/chat/`` through POST /v3/chat: a normal answer, a failed
chat, an unknown event name and a long answer of many deltas.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx
from cozepy import (
    AsyncCoze,
    ChatEventType,
    ChatStatus,
)

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeStreamInterruptedError
from coze_integration.polling import PollPolicy
from tests.coze.parity import AnyCoze, blocking_chat, collect, plain_cozepy_client, streamed_transcript
from tests.coze.wire import (
    LOGID,
    event_stream,
    golden,
    golden_events,
    golden_response,
    golden_stream,
    golden_text,
    request_json,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-007", "FR-016")]

CREATED, IN_PROGRESS = ChatEventType.CONVERSATION_CHAT_CREATED, ChatEventType.CONVERSATION_CHAT_IN_PROGRESS
DELTA, MESSAGE_DONE = ChatEventType.CONVERSATION_MESSAGE_DELTA, ChatEventType.CONVERSATION_MESSAGE_COMPLETED
CHAT_DONE, CHAT_FAILED = ChatEventType.CONVERSATION_CHAT_COMPLETED, ChatEventType.CONVERSATION_CHAT_FAILED
OK, FAILED, UNKNOWN, LONG = (f"chat/stream_{case}.sse" for case in ("ok", "failed", "unknown_event", "long_answer"))
REQUIRES_ACTION = "chat/stream_requires_action.sse"
MULTI, MULTI_LISTED = "chat/stream_multi_answer.sse", "chat/message_list_multi_answer.json"


def _completed_answers(name: str) -> list[tuple[str, str, str]]:
    """(id, content type, content) of every completed answer message the golden stream sends, in order."""
    return [
        (data["id"], data["content_type"], data["content"])
        for data in (e.json() for e in golden_events(name) if e.event == "conversation.message.completed")
        if data["type"] == "answer"
    ]


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


class TestCozeChatStreamAnswers:
    """Every answer message of a stream is kept, in order, whole, as the blocking chat keeps them."""

    @pytest.mark.golden(MULTI)
    @pytest.mark.covers("FR-016")
    async def test_every_answer_message_is_kept_in_order(self, coze_client: AnyCoze, stream_route: respx.Route) -> None:
        """A card answer sent completed only and two text answers sent as deltas all arrive, each content whole."""
        stream_route.mock(return_value=golden_stream(MULTI))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        expected = _completed_answers(MULTI)
        assert [(a.id, a.content_type, a.content) for a in transcript.answers] == expected
        assert [content_type for _, content_type, _ in expected] == ["card", "text", "text"]
        assert transcript.text == "".join(content for _, _, content in expected)
        assert (transcript.status, transcript.complete, transcript.logid) == (ChatStatus.COMPLETED, True, LOGID)

    @pytest.mark.golden(MULTI)
    async def test_answer_cut_before_it_completed_keeps_its_deltas(
        self, coze_client: AnyCoze, stream_route: respx.Route
    ) -> None:
        """An answer whose completed message never came is its deltas so far, after the answers that completed."""
        text = golden_text(MULTI)
        last_answer = [e.json() for e in golden_events(MULTI) if e.event == "conversation.message.delta"][-1]
        cut = text[: text.index(json.dumps(last_answer["content"]))]
        cut = cut[: cut.rindex("event:")]  # up to the last answer's first delta, which arrived whole
        stream_route.mock(return_value=event_stream(cut, cut=True))
        with pytest.raises(CozeStreamInterruptedError) as caught:
            await streamed_transcript(coze_client, bot_id="b", user_id="u")
        partial: Any = caught.value.partial
        first_delta = next(
            e.json()["content"]
            for e in golden_events(MULTI)
            if e.event == "conversation.message.delta" and e.json()["id"] == last_answer["id"]
        )
        card, text_answer, last = _completed_answers(MULTI)
        assert [(a.id, a.content_type, a.content) for a in partial.answers] == [
            card,
            text_answer,
            (last_answer["id"], "text", first_delta),
        ]
        assert first_delta != last[2]

    @pytest.mark.golden(MULTI_LISTED)
    @pytest.mark.covers("FR-007")
    async def test_streamed_and_blocking_answers_agree(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        poll_policy: PollPolicy,
        coze_router: respx.MockRouter,
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """The documented multi-answer chat gives the same answers and text streamed as blocking."""
        streamed = coze_router.post("/v3/chat", json__stream=True).mock(return_value=golden_stream(MULTI))
        coze_router.post("/v3/chat", json__stream=False).mock(return_value=golden_response("chat/create_created.json"))
        coze_router.route(path="/v3/chat/retrieve").mock(return_value=golden_response("chat/retrieve_completed.json"))
        listed = coze_router.get("/v3/chat/message/list").mock(return_value=golden_response(MULTI_LISTED))
        transcript = await streamed_transcript(coze_client, bot_id="b", user_id="u")
        result = await blocking_chat(coze_client, coze_calls, poll_policy, bot_id="b", user_id="u", question="q")
        assert result.answers == transcript.answers
        assert (
            result.answer
            == transcript.text
            == "".join(m["content"] for m in golden(MULTI_LISTED)["data"] if m["type"] == "answer")
        )
        assert request_json(streamed.calls.last.request)["stream"] is True
        assert dict(listed.calls.last.request.url.params) == {
            "conversation_id": sample_conversation_id,
            "chat_id": sample_chat_id,
        }
        assert result.chat.response.logid == transcript.logid == LOGID
