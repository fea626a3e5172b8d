"""Conversations: create, retrieve, list, delete, and the messages a chat adds to a conversation.

Endpoints: POST /v1/conversation/create, GET /v1/conversation/retrieve, GET /v1/conversations,
DELETE /v1/conversations/{id}, POST /v1/conversation/message/list (query ``conversation_id``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import respx
from cozepy import Message

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeRateLimitError
from tests.coze.parity import AnyCoze, collect, read_items_into, resolve
from tests.coze.wire import LOGID, assert_lossless, golden, golden_response, request_json

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-008")]

LIST_PAGES = ["conversations/list_page1_has_more.json", "conversations/list_page2_last.json"]
MESSAGES = "conversations/message_list_ok.json"
#: The logid of the failing page-2 answer, distinct from page 1's, so the error shows which page failed.
PAGE_2_LOGID = "20261126093001B2C3D4E5F6A7"


class TestCozeConversationsCreate:
    """``conversations.create`` posts the bot, name, metadata and seed messages."""

    async def test_create_sends_only_given_fields(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_conversation_id: str, sample_bot_id: str
    ) -> None:
        """The body has the given fields and no nulls; the result is the typed conversation with logid."""
        route = coze_router.post("/v1/conversation/create").mock(
            return_value=golden_response("conversations/create_ok.json")
        )
        seed = Message.build_user_question_text("Hello")
        conversation: Any = await resolve(
            coze_client.conversations.create(bot_id=sample_bot_id, messages=[seed], meta_data={"source": "backend"})
        )
        wire = golden("conversations/create_ok.json")["data"]
        assert (conversation.id, conversation.last_section_id) == (sample_conversation_id, wire["last_section_id"])
        assert_lossless(conversation, wire)
        assert conversation.response.logid == LOGID
        body = request_json(route.calls.last.request)
        assert set(body) == {"bot_id", "messages", "meta_data"}
        assert (body["bot_id"], body["meta_data"]) == (sample_bot_id, {"source": "backend"})
        assert [(m["role"], m["content"]) for m in body["messages"]] == [("user", "Hello")]


class TestCozeConversationsRetrieve:
    """``conversations.retrieve`` reads one conversation by id."""

    async def test_retrieve_by_id(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_conversation_id: str
    ) -> None:
        """A GET with the id in the query returns the conversation and its metadata."""
        route = coze_router.get("/v1/conversation/retrieve").mock(
            return_value=golden_response("conversations/retrieve_ok.json")
        )
        conversation: Any = await resolve(coze_client.conversations.retrieve(conversation_id=sample_conversation_id))
        wire = golden("conversations/retrieve_ok.json")["data"]
        assert (conversation.id, conversation.name, conversation.meta_data) == (
            sample_conversation_id,
            wire["name"],
            wire["meta_data"],
        )
        assert dict(route.calls.last.request.url.params) == {"conversation_id": sample_conversation_id}


class TestCozeConversationsList:
    """``conversations.list`` pages by ``has_more``."""

    async def test_list_pages_until_has_more_is_false(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_bot_id: str, sample_conversation_id: str
    ) -> None:
        """Iteration follows ``has_more`` and requests ``page_num=2`` with the same bot and size."""
        route = coze_router.get("/v1/conversations").mock(side_effect=[golden_response(page) for page in LIST_PAGES])
        first: Any = await resolve(coze_client.conversations.list(bot_id=sample_bot_id, page_size=2))
        assert first.has_more is True
        assert [c.id for c in await collect(first)] == [
            c["id"] for page in LIST_PAGES for c in golden(page)["data"]["conversations"]
        ]
        assert [dict(call.request.url.params) for call in route.calls] == [
            {"bot_id": sample_bot_id, "page_num": "1", "page_size": "2"},
            {"bot_id": sample_bot_id, "page_num": "2", "page_size": "2"},
        ]


class TestCozeConversationsDelete:
    """``conversations.delete`` removes a conversation by id."""

    async def test_delete_uses_delete_method_on_id_path(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_conversation_id: str
    ) -> None:
        """A DELETE on /v1/conversations/{id} with no body succeeds on a bare success envelope."""
        route = coze_router.delete(f"/v1/conversations/{sample_conversation_id}").mock(
            return_value=golden_response("conversations/delete_ok.json")
        )
        deleted: Any = await resolve(coze_client.conversations.delete(conversation_id=sample_conversation_id))
        assert deleted.response.logid == LOGID
        request = route.calls.last.request
        assert (request.method, request.content) == ("DELETE", b"")


class TestCozeConversationMessages:
    """The messages of a conversation, including those a chat added."""

    async def test_chat_lands_in_conversation(
        self,
        coze_client: AnyCoze,
        coze_router: respx.MockRouter,
        sample_conversation_id: str,
        sample_chat_id: str,
        sample_bot_id: str,
    ) -> None:
        """A chat created in a conversation shows up in that conversation's message list."""
        chat_route = coze_router.post("/v3/chat").mock(return_value=golden_response("chat/create_created.json"))
        question = Message.build_user_question_text("Capital of France?")
        messages_route = coze_router.post("/v1/conversation/message/list").mock(return_value=golden_response(MESSAGES))
        chat: Any = await resolve(
            coze_client.chat.create(
                bot_id=sample_bot_id,
                user_id="u",
                conversation_id=sample_conversation_id,
                additional_messages=[question],
            )
        )
        page: Any = await resolve(
            coze_client.conversations.messages.list(conversation_id=sample_conversation_id, limit=20)
        )
        assert chat_route.calls.last.request.url.params["conversation_id"] == sample_conversation_id
        wire = golden(MESSAGES)
        assert [(m.role, m.content) for m in page.items] == [(m["role"], m["content"]) for m in wire["data"]]
        assert page.items[0].chat_id == chat.id
        assert (page.first_id, page.last_id, page.has_more) == (wire["first_id"], wire["last_id"], wire["has_more"])
        request = messages_route.calls.last.request
        assert dict(request.url.params) == {"conversation_id": sample_conversation_id}
        assert request_json(request) == {
            "order": "desc",
            "chat_id": None,
            "before_id": None,
            "after_id": None,
            "limit": 20,
        }


class TestCozeConversationsLaterPages:
    """A failure on page 2 of the conversation and message lists is typed and retried like one on page 1."""

    async def test_conversation_list_page_two_recovers_after_a_gateway_error(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_bot_id: str,
    ) -> None:
        """Page 2 answered 502 is fetched again with the same ``page_num=2``, and every conversation arrives."""
        pages = LIST_PAGES
        route = coze_router.get("/v1/conversations").mock(
            side_effect=[
                golden_response(pages[0]),
                golden_response("errors/internal_5000.json", status=502, logid=PAGE_2_LOGID),
                golden_response(pages[1]),
            ]
        )
        conversations: list[Any] = []
        await read_items_into(
            coze_client,
            coze_calls,
            partial(coze_client.conversations.list, bot_id=sample_bot_id, page_size=2),
            conversations,
        )
        assert [c.id for c in conversations] == [
            c["id"] for name in pages for c in golden(name)["data"]["conversations"]
        ]
        assert [dict(call.request.url.params) for call in route.calls] == [
            {"bot_id": sample_bot_id, "page_num": page, "page_size": "2"} for page in ("1", "2", "2")
        ]
        assert len(recorded_sleeps) == 1

    async def test_message_list_page_two_rate_limit_is_typed(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_conversation_id: str,
    ) -> None:
        """A message page 2 that stays rate-limited raises the rate-limit error with its logid, after page 1."""
        first = golden("conversations/message_list_page1_has_more.json")
        limited = golden_response("errors/rate_limited_4013.json", status=429, logid=PAGE_2_LOGID)
        route = coze_router.post("/v1/conversation/message/list").mock(
            side_effect=[golden_response("conversations/message_list_page1_has_more.json"), limited, limited, limited]
        )
        messages: list[Any] = []
        with pytest.raises(CozeRateLimitError) as caught:
            await read_items_into(
                coze_client,
                coze_calls,
                partial(coze_client.conversations.messages.list, conversation_id=sample_conversation_id, limit=2),
                messages,
            )
        assert [m.id for m in messages] == [m["id"] for m in first["data"]]
        assert (caught.value.code, caught.value.http_status, caught.value.logid) == (4013, 429, PAGE_2_LOGID)
        assert caught.value.retry_after is None
        after = [request_json(call.request)["after_id"] for call in route.calls]
        assert after == [None, first["last_id"], first["last_id"], first["last_id"]]
        assert all(call.request.url.params["conversation_id"] == sample_conversation_id for call in route.calls)
        assert len(recorded_sleeps) == 2, "page 2 is retried with the normal backoff: no Retry-After was sent"
