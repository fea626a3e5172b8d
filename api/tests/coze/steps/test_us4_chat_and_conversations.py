"""User Story 4: chat and conversations (features/us4_chat_and_conversations.feature)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import respx
from cozepy import AsyncCoze, ChatEvent, ChatEventType, ChatStatus, MessageType
from pytest_bdd import given, scenarios, then, when

from coze_integration.calls import CozeCalls
from coze_integration.chat import ChatResult, ChatTranscript
from coze_integration.polling import PollPolicy
from tests.coze.fake_time import FakeClock
from tests.coze.parity import AnyCoze, collect, resolve, streamed_transcript
from tests.coze.steps.async_steps import async_step
from tests.coze.steps.shared import ChatRequest, route_chat_create
from tests.coze.wire import LOGID, golden, golden_events, golden_response, golden_stream, request_json

scenarios("us4_chat_and_conversations.feature")

OK_STREAM = "chat/stream_ok.sse"
# The events cozepy yields: every golden event but ``done``, which ends the stream.
OK_STREAM_EVENTS = [event for event in golden_events(OK_STREAM) if event.event != "done"]
OK_STREAM_ANSWER = golden_events(OK_STREAM)[5].json()["content"]
LONG_STREAM = "chat/stream_long_answer.sse"
COMPLETED = "chat/retrieve_completed.json"


@given("bot ID and user message", target_fixture="chat_request")
def _chat_request(sample_bot_id: str, sample_user_id: str, sample_user_message: str) -> ChatRequest:
    return ChatRequest(sample_bot_id, sample_user_id, sample_user_message)


@when("creating chat in blocking mode", target_fixture="chat_result")
@async_step
async def _blocking_chat(
    coze_client: AnyCoze,
    coze_calls: CozeCalls,
    coze_router: respx.MockRouter,
    chat_request: ChatRequest,
    sample_chat_id: str,
    sample_conversation_id: str,
    fake_clock: FakeClock,
) -> ChatResult:
    route_chat_create(coze_router)
    coze_router.route(path="/v3/chat/retrieve", name="chat.retrieve").mock(
        side_effect=[golden_response("chat/retrieve_in_progress.json"), golden_response(COMPLETED)]
    )
    coze_router.get("/v3/chat/message/list", name="chat.messages").mock(
        return_value=golden_response("chat/message_list_ok.json")
    )

    policy = PollPolicy(interval=1.0, timeout=30.0, sleep=fake_clock.sleep, asleep=fake_clock.asleep, clock=fake_clock)
    return await chat_request.ask_and_wait(coze_client, coze_calls, policy)


@then("returns complete response with token usage statistics")
def _complete_response(
    chat_result: ChatResult,
    chat_request: ChatRequest,
    coze_router: respx.MockRouter,
    sample_chat_id: str,
    sample_conversation_id: str,
    recorded_sleeps: list[float],
) -> None:
    chat = chat_result.chat
    assert (chat.id, chat.conversation_id, chat.status) == (sample_chat_id, sample_conversation_id, "completed")
    assert chat.usage is not None
    usage = golden(COMPLETED)["data"]["usage"]
    assert (chat.usage.token_count, chat.usage.input_count, chat.usage.output_count) == (
        usage["token_count"],
        usage["input_count"],
        usage["output_count"],
    )
    [answer] = [m for m in golden("chat/message_list_ok.json")["data"] if m["type"] == "answer"]
    assert chat_result.answer == answer["content"]
    assert chat.response.logid == LOGID
    chat_request.assert_sent(request_json(coze_router["chat.create"].calls.last.request), stream=False)
    polls = coze_router["chat.retrieve"].calls
    assert len(polls) == 2
    assert dict(polls.last.request.url.params) == {"conversation_id": sample_conversation_id, "chat_id": sample_chat_id}
    assert recorded_sleeps == [1.0, 1.0]
    listed = coze_router["chat.messages"].calls.last.request
    assert dict(listed.url.params) == {"conversation_id": sample_conversation_id, "chat_id": sample_chat_id}


@dataclass(frozen=True)
class StreamedChat:
    """The events of a chat stream and the logid it was served with."""

    events: list[ChatEvent]
    logid: str | None


@when("streaming chat", target_fixture="streamed")
@async_step
async def _stream_chat(coze_client: AnyCoze, coze_router: respx.MockRouter, chat_request: ChatRequest) -> StreamedChat:
    coze_router.post("/v3/chat", name="chat.stream").mock(return_value=golden_stream(OK_STREAM))
    stream = coze_client.chat.stream(**chat_request.stream_kwargs())
    events: list[ChatEvent] = await collect(stream)
    # The sync stream exposes its response at once; the async generator only through its events.
    logid = events[0].response.logid if isinstance(coze_client, AsyncCoze) else stream.response.logid  # type: ignore[union-attr]
    return StreamedChat(events, logid)


@then("yields events for message deltas and completion with proper event types")
def _stream_events(streamed: StreamedChat, chat_request: ChatRequest, coze_router: respx.MockRouter) -> None:
    assert [event.event.value for event in streamed.events] == [event.event for event in OK_STREAM_EVENTS]
    deltas = [
        e.message.content for e in streamed.events if e.event == ChatEventType.CONVERSATION_MESSAGE_DELTA and e.message
    ]
    assert "".join(deltas) == OK_STREAM_ANSWER
    answer = streamed.events[5].message
    assert answer is not None
    assert (answer.type, answer.content) == (MessageType.ANSWER, OK_STREAM_ANSWER)
    completed = streamed.events[-1].chat
    assert completed is not None
    assert completed.status == ChatStatus.COMPLETED
    assert completed.usage is not None
    assert completed.usage.token_count == OK_STREAM_EVENTS[-1].json()["usage"]["token_count"]
    assert streamed.logid == LOGID
    request = coze_router["chat.stream"].calls.last.request
    chat_request.assert_sent(request_json(request), stream=True)


@given("conversation ID", target_fixture="conversation_id")
def _conversation_id(sample_conversation_id: str, coze_router: respx.MockRouter) -> str:
    coze_router.post("/v1/conversation/create", name="create").mock(
        return_value=golden_response("conversations/create_ok.json")
    )
    coze_router.get("/v1/conversation/retrieve", name="retrieve").mock(
        return_value=golden_response("conversations/retrieve_ok.json")
    )
    coze_router.get("/v1/conversations", name="list").mock(
        return_value=golden_response(
            "conversations/list_page2_last.json", changes={"data.conversations.0.id": sample_conversation_id}
        )
    )
    coze_router.delete(f"/v1/conversations/{sample_conversation_id}", name="delete").mock(
        return_value=golden_response("conversations/delete_ok.json")
    )
    return sample_conversation_id


@when("managing conversation (create/retrieve/delete)", target_fixture="managed")
@async_step
async def _manage_conversation(coze_client: AnyCoze, conversation_id: str, sample_bot_id: str) -> dict[str, Any]:
    conversations = coze_client.conversations
    created = await resolve(
        conversations.create(bot_id=sample_bot_id, name="Trip to Paris", meta_data={"source": "backend"})
    )
    retrieved = await resolve(conversations.retrieve(conversation_id=conversation_id))
    listed = await resolve(conversations.list(bot_id=sample_bot_id, page_size=20))
    deleted = await resolve(conversations.delete(conversation_id=conversation_id))
    return {"created": created, "retrieved": retrieved, "listed": listed, "deleted": deleted}


@then("operations succeed with appropriate API calls and responses")
def _conversation_calls(
    managed: dict[str, Any],
    coze_router: respx.MockRouter,
    conversation_id: str,
    sample_bot_id: str,
    mock_coze_api_token: str,
) -> None:
    for name, wire in (("created", "conversations/create_ok.json"), ("retrieved", "conversations/retrieve_ok.json")):
        assert managed[name].id == conversation_id
        assert managed[name].meta_data == golden(wire)["data"]["meta_data"]
        assert managed[name].response.logid == LOGID
    assert [c.id for c in managed["listed"].items] == [conversation_id]
    assert managed["listed"].has_more is False
    assert managed["deleted"].response.logid == LOGID
    expected = {
        "create": ("POST", "/v1/conversation/create", {}),
        "retrieve": ("GET", "/v1/conversation/retrieve", {"conversation_id": conversation_id}),
        "list": ("GET", "/v1/conversations", {"bot_id": sample_bot_id, "page_num": "1", "page_size": "20"}),
        "delete": ("DELETE", f"/v1/conversations/{conversation_id}", {}),
    }
    for name, (method, path, params) in expected.items():
        route = coze_router[name]
        assert route.call_count == 1, name
        request = route.calls.last.request
        assert (request.method, request.url.path, dict(request.url.params)) == (method, path, params)
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
    body = request_json(coze_router["create"].calls.last.request)
    assert body == {"bot_id": sample_bot_id, "name": "Trip to Paris", "meta_data": {"source": "backend"}}


@given("chat stream events", target_fixture="expected_answer")
def _chat_stream_events(coze_router: respx.MockRouter) -> str:
    coze_router.post("/v3/chat", name="chat.stream").mock(return_value=golden_stream(LONG_STREAM))
    deltas = [
        event.json()["content"] for event in golden_events(LONG_STREAM) if event.event == "conversation.message.delta"
    ]
    return "".join(deltas)


@when("processing event types", target_fixture="transcript")
@async_step
async def _process_events(coze_client: AnyCoze, sample_bot_id: str, sample_user_id: str) -> ChatTranscript:
    return await streamed_transcript(coze_client, bot_id=sample_bot_id, user_id=sample_user_id)


@then("correctly handles CONVERSATION_MESSAGE_DELTA and CONVERSATION_CHAT_COMPLETED events")
def _handles_events(
    transcript: ChatTranscript, expected_answer: str, sample_chat_id: str, sample_conversation_id: str
) -> None:
    assert transcript.text == expected_answer
    assert transcript.events.count(ChatEventType.CONVERSATION_MESSAGE_DELTA) == len(expected_answer.split(" "))
    assert transcript.events[-1] == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert transcript.complete
    assert (transcript.chat_id, transcript.conversation_id) == (sample_chat_id, sample_conversation_id)
    assert transcript.status == ChatStatus.COMPLETED
    assert transcript.usage is not None
    usage = golden_events(LONG_STREAM)[-2].json()["usage"]
    assert (transcript.usage.token_count, transcript.usage.input_count, transcript.usage.output_count) == (
        usage["token_count"],
        usage["input_count"],
        usage["output_count"],
    )
    assert transcript.logid == LOGID
