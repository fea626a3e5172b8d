"""Chat in blocking mode: create, retrieve, cozepy's ``create_and_poll`` and the project's poller.

The project's ``create_chat_and_wait`` is tested for both clients; cozepy's sync-only
``create_and_poll`` is run without real sleeping.

Endpoints: POST /v3/chat (query ``conversation_id``), /v3/chat/retrieve (query
``conversation_id``, ``chat_id``), GET /v3/chat/message/list. The retrieve routes match the path
only: the docs, Go and Java use GET where cozepy 0.20.0 sends POST, and the strict xfail in
``test_coze_wire_contract.py`` alone pins that method.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import respx
from cozepy import ChatStatus, Coze, Message

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeDeadlineExceededError, CozeServerError
from coze_integration.polling import DEFAULT_POLICY, PollPolicy
from tests.coze.fake_time import FakeClock
from tests.coze.parity import AnyCoze, blocking_chat, resolve, write
from tests.coze.wire import LOGID, golden, golden_response, request_json

pytestmark = [pytest.mark.covers("FR-007")]

CREATED, IN_PROGRESS = "chat/create_created.json", "chat/retrieve_in_progress.json"
COMPLETED, FAILED = "chat/retrieve_completed.json", "chat/retrieve_failed.json"
MESSAGES = "chat/message_list_ok.json"
[ANSWER] = [m["content"] for m in golden(MESSAGES)["data"] if m["type"] == "answer"]


def _question(text: str) -> list[Message]:
    return [Message.build_user_question_text(text)]


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeChatCreate:
    """``chat.create`` sends the question and exposes id, status and usage."""

    async def test_create_sends_bot_user_and_message(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        sample_user_id: str,
        sample_user_message: str,
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """The body carries bot id, user id, the user's message and ``stream: false``."""
        route = coze_router.post("/v3/chat").mock(return_value=golden_response("chat/create_in_progress.json"))
        result: Any = await resolve(
            coze_client.chat.create(
                bot_id=sample_bot_id,
                user_id=sample_user_id,
                additional_messages=_question(sample_user_message),
                custom_variables={"city": "Paris"},
            )
        )
        wire = golden("chat/create_in_progress.json")["data"]
        assert (result.id, result.conversation_id, result.bot_id, result.status) == (
            sample_chat_id,
            sample_conversation_id,
            wire["bot_id"],
            ChatStatus(wire["status"]),
        )
        assert (result.last_error.code, result.last_error.msg) == (
            wire["last_error"]["code"],
            wire["last_error"]["msg"],
        )
        assert result.response.logid == LOGID
        request = route.calls.last.request
        body = request_json(request)
        assert (body["bot_id"], body["user_id"], body["stream"]) == (sample_bot_id, sample_user_id, False)
        assert body["custom_variables"] == {"city": "Paris"}
        assert [(m["role"], m["content"], m["content_type"]) for m in body["additional_messages"]] == [
            ("user", sample_user_message, "text")
        ]
        assert request.url.params["conversation_id"] == ""

    async def test_create_in_existing_conversation(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_bot_id: str,
        sample_chat_id: str,
        sample_conversation_id: str,
        mock_coze_api_token: str,
    ) -> None:
        """A chat in an existing conversation names it in the query string."""
        route = coze_router.post("/v3/chat").mock(return_value=golden_response(CREATED))
        chat: Any = await resolve(
            coze_client.chat.create(bot_id=sample_bot_id, user_id="u", conversation_id=sample_conversation_id)
        )
        assert chat.response.logid == LOGID
        request = route.calls.last.request
        assert request.url.params["conversation_id"] == sample_conversation_id
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    @pytest.mark.covers("FR-015")
    async def test_retrieve_sends_both_ids_in_query(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_chat_id: str,
        sample_conversation_id: str,
        mock_coze_api_token: str,
    ) -> None:
        """``chat.retrieve`` asks /v3/chat/retrieve with both ids in the query string and the token."""
        route = coze_router.route(path="/v3/chat/retrieve").mock(return_value=golden_response(IN_PROGRESS))
        chat: Any = await resolve(
            coze_client.chat.retrieve(conversation_id=sample_conversation_id, chat_id=sample_chat_id)
        )
        assert chat.status == golden(IN_PROGRESS)["data"]["status"]
        assert chat.response.logid == LOGID
        request = route.calls.last.request
        assert dict(request.url.params) == {"conversation_id": sample_conversation_id, "chat_id": sample_chat_id}
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    async def test_create_is_never_retried(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """A 5xx on ``chat.create`` surfaces at once: retrying a write could ask the bot twice."""
        route = coze_router.post("/v3/chat").mock(return_value=golden_response("errors/internal_5000.json", status=500))
        with pytest.raises(CozeServerError) as caught:
            await write(coze_client, coze_calls, partial(coze_client.chat.create, bot_id=sample_bot_id, user_id="u"))
        assert route.call_count == 1
        assert caught.value.logid == LOGID


@pytest.mark.asyncio
@pytest.mark.parity
class TestCozeChatWait:
    """The project's blocking chat polls until the chat finishes."""

    @pytest.fixture
    def routes(
        self, coze_router: respx.MockRouter, sample_chat_id: str, sample_conversation_id: str
    ) -> dict[str, respx.Route]:
        """Create answers ``created``; message list answers with the assistant's reply."""
        return {
            "create": coze_router.post("/v3/chat").mock(return_value=golden_response(CREATED)),
            "retrieve": coze_router.route(path="/v3/chat/retrieve"),
            "messages": coze_router.get("/v3/chat/message/list", name="chat.messages").mock(
                return_value=golden_response(MESSAGES)
            ),
        }

    async def test_polls_from_created_until_completed(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        poll_policy: PollPolicy,
        routes: dict[str, respx.Route],
        recorded_sleeps: list[float],
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """A chat that starts ``created`` is polled (cozepy's own poller would stop there) until completed."""
        routes["retrieve"].mock(side_effect=[golden_response(IN_PROGRESS), golden_response(COMPLETED)])
        result = await blocking_chat(coze_client, coze_calls, poll_policy, bot_id="b", user_id="u", question="q")
        assert result.chat.status == ChatStatus.COMPLETED
        assert result.chat.response.logid == LOGID
        assert result.answer == ANSWER
        assert recorded_sleeps == [2.0, 2.0]
        assert routes["retrieve"].call_count == 2
        assert dict(routes["messages"].calls.last.request.url.params) == {
            "conversation_id": sample_conversation_id,
            "chat_id": sample_chat_id,
        }

    async def test_continues_an_existing_conversation(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        poll_policy: PollPolicy,
        routes: dict[str, respx.Route],
        sample_conversation_id: str,
        sample_user_message: str,
        mock_coze_api_token: str,
    ) -> None:
        """A question in an existing conversation is asked there: the create request names the conversation."""
        routes["retrieve"].mock(return_value=golden_response(COMPLETED))
        result = await blocking_chat(
            coze_client,
            coze_calls,
            poll_policy,
            bot_id="b",
            user_id="u",
            question=sample_user_message,
            conversation_id=sample_conversation_id,
        )
        assert result.answer == ANSWER
        request = routes["create"].calls.last.request
        assert request.url.params["conversation_id"] == sample_conversation_id
        assert request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"
        assert [m["content"] for m in request_json(request)["additional_messages"]] == [sample_user_message]

    async def test_answer_in_several_messages_is_joined(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, poll_policy: PollPolicy, routes: dict[str, respx.Route]
    ) -> None:
        """An answer the bot gave in two answer messages is their texts joined in order, other messages left out."""
        routes["retrieve"].mock(return_value=golden_response(COMPLETED))
        routes["messages"].mock(return_value=golden_response(MESSAGES, changes={"data.2.type": "answer"}))
        result = await blocking_chat(coze_client, coze_calls, poll_policy, bot_id="b", user_id="u", question="q")
        messages = golden(MESSAGES)["data"]
        assert result.answer == messages[1]["content"] + messages[2]["content"]

    async def test_failed_chat_keeps_last_error(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        poll_policy: PollPolicy,
        routes: dict[str, respx.Route],
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """A chat that fails stops the polling and keeps Coze's ``last_error``."""
        routes["retrieve"].mock(return_value=golden_response(FAILED))
        result = await blocking_chat(coze_client, coze_calls, poll_policy, bot_id="b", user_id="u", question="q")
        assert (result.chat.status, result.chat.response.logid) == (ChatStatus.FAILED, LOGID)
        assert result.chat.last_error is not None
        last_error = golden(FAILED)["data"]["last_error"]
        assert (result.chat.last_error.code, result.chat.last_error.msg) == (last_error["code"], last_error["msg"])

    async def test_last_poll_may_end_exactly_at_the_deadline(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        fake_clock: FakeClock,
        routes: dict[str, respx.Route],
    ) -> None:
        """A wait that ends exactly at the deadline still happens: 4 s allow two polls 2 s apart."""
        policy = PollPolicy(
            interval=2.0, timeout=4.0, sleep=fake_clock.sleep, asleep=fake_clock.asleep, clock=fake_clock
        )
        routes["retrieve"].mock(side_effect=[golden_response(IN_PROGRESS), golden_response(COMPLETED)])
        result = await blocking_chat(coze_client, coze_calls, policy, bot_id="b", user_id="u", question="q")
        assert (result.chat.status, result.answer) == (ChatStatus.COMPLETED, ANSWER)
        assert fake_clock.slept == [2.0, 2.0]

    async def test_gives_up_at_deadline_with_ids(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        poll_policy: PollPolicy,
        routes: dict[str, respx.Route],
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """A chat still running at the deadline raises a timeout naming the chat and conversation."""
        routes["retrieve"].mock(return_value=golden_response(IN_PROGRESS))
        coze_router.pop("chat.messages")  # a chat that never finished has no messages to list
        with pytest.raises(CozeDeadlineExceededError) as caught:
            await blocking_chat(coze_client, coze_calls, poll_policy, bot_id="b", user_id="u", question="q")
        assert (caught.value.chat_id, caught.value.conversation_id) == (sample_chat_id, sample_conversation_id)
        assert caught.value.target == "POST /v3/chat/retrieve"
        assert not caught.value.retryable  # the deadline has passed: another attempt cannot meet it
        assert sample_chat_id in str(caught.value)
        assert routes["retrieve"].call_count == 2
        assert recorded_sleeps == [2.0, 2.0]


class TestCozeChatCreateAndPoll:
    """cozepy's own sync ``create_and_poll``, run without real sleeping."""

    def test_polls_while_in_progress_without_sleeping(
        self,
        coze_client: Coze,
        coze_router: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch,
        sample_chat_id: str,
        sample_conversation_id: str,
    ) -> None:
        """Two in-progress answers mean two sleeps and three retrieves before the messages are listed."""
        slept: list[float] = []
        monkeypatch.setattr("cozepy.chat.time.sleep", slept.append)
        coze_router.post("/v3/chat").mock(return_value=golden_response("chat/create_in_progress.json"))
        retrieve = coze_router.route(path="/v3/chat/retrieve").mock(
            side_effect=[golden_response(IN_PROGRESS), golden_response(COMPLETED)]
        )
        coze_router.get("/v3/chat/message/list").mock(return_value=golden_response(MESSAGES))
        poll = coze_client.chat.create_and_poll(bot_id="b", user_id="u", additional_messages=_question("q"))
        assert poll.chat.status == ChatStatus.COMPLETED
        assert poll.messages is not None
        assert [m.content for m in poll.messages] == [m["content"] for m in golden(MESSAGES)["data"]]
        assert poll.messages.response.logid == LOGID
        assert slept == [1, 1]
        assert retrieve.call_count == 2


class TestCozeChatPollDefaults:
    """How patiently a blocking chat waits when the caller gives no policy."""

    def test_default_policy_polls_every_second_for_five_minutes(self) -> None:
        """Without a policy a chat is retrieved once a second, for at most five minutes."""
        assert (DEFAULT_POLICY.interval, DEFAULT_POLICY.timeout) == (1.0, 300.0)
