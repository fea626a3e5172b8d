"""Payload factories built from cozepy's own models, so a schema change breaks them loudly.

Every response carries an ``x-tt-logid`` header; tests assert that it reaches the caller.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
from cozepy import (
    Bot,
    BotModelInfo,
    BotOnboardingInfo,
    BotPromptInfo,
    Chat,
    ChatError,
    ChatStatus,
    ChatUsage,
    Conversation,
    Message,
    MessageContentType,
    MessageRole,
    MessageType,
    User,
    WorkflowExecuteStatus,
    WorkflowRunHistory,
    WorkflowRunMode,
    WorkflowRunResult,
    Workspace,
    WorkspaceRoleType,
    WorkspaceType,
)
from cozepy.bots import _PrivateListBotsDataV1
from cozepy.conversations import _PrivateListConversationResp
from cozepy.workspaces import _PrivateListWorkspacesData
from pydantic import BaseModel

LOGID = "20261126093000A1B2C3D4E5F6"
TESTDATA = Path(__file__).parent / "testdata"


def dump(model: BaseModel) -> dict[str, Any]:
    """A cozepy model as the JSON object Coze would send."""
    return model.model_dump(mode="json", exclude_none=True)


def envelope(data: Any, *, code: int = 0, msg: str = "") -> dict[str, Any]:
    """The ``{"code", "msg", "data"}`` envelope every Coze endpoint answers with."""
    return {"code": code, "msg": msg, "data": data}


def json_response(
    body: Any, *, status: int = 200, logid: str = LOGID, headers: dict[str, str] | None = None
) -> httpx.Response:
    """A JSON response with the logid header."""
    return httpx.Response(status, json=body, headers={"x-tt-logid": logid, **(headers or {})})


def ok(data: Any, *, logid: str = LOGID) -> httpx.Response:
    """A successful envelope around ``data`` (a model is dumped first)."""
    payload = dump(data) if isinstance(data, BaseModel) else data
    return json_response(envelope(payload), logid=logid)


def ok_without_data(*, logid: str = LOGID) -> httpx.Response:
    """A bare success envelope, as delete endpoints answer."""
    return json_response({"code": 0, "msg": ""}, logid=logid)


def api_error(code: int, msg: str, *, status: int = 200, logid: str = LOGID) -> httpx.Response:
    """An error envelope with a Coze business code."""
    return json_response({"code": code, "msg": msg}, status=status, logid=logid)


def sse_response(text: str, *, logid: str = LOGID, content_type: str | None = "text/event-stream") -> httpx.Response:
    """A server-sent-events response."""
    headers = {"x-tt-logid": logid}
    if content_type is not None:
        headers["content-type"] = content_type
    return httpx.Response(200, content=text.encode(), headers=headers)


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that delivers ``data`` and then fails the way a dropped connection does."""

    def __init__(self, data: bytes, error: Exception) -> None:
        self.data = data
        self.error = error

    def __iter__(self) -> Iterator[bytes]:
        yield self.data
        raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data
        raise self.error


def broken_sse_response(text: str, *, logid: str = LOGID) -> httpx.Response:
    """An event stream that sends ``text`` and then loses its connection mid-read."""
    stream = BrokenStream(text.encode(), httpx.ReadError("connection reset by peer"))
    return httpx.Response(200, headers={"content-type": "text/event-stream", "x-tt-logid": logid}, stream=stream)


def sse_event(event: str | Enum, data: Any, *, event_id: int | None = None) -> str:
    """One SSE event; ``data`` models and dicts are serialised to JSON."""
    name = event.value if isinstance(event, Enum) else event
    if isinstance(data, BaseModel):
        data = json.dumps(dump(data))
    elif not isinstance(data, str):
        data = json.dumps(data)
    head = f"id:{event_id}\n" if event_id is not None else ""
    return f"{head}event:{name}\ndata:{data}\n\n"


def read_testdata(name: str) -> str:
    """A recorded SSE stream from ``testdata/``."""
    return (TESTDATA / name).read_text(encoding="utf-8")


def make_user(user_id: str = "7484523878849822754", user_name: str = "backend-bot") -> User:
    """The account ``users.me`` returns."""
    return User(user_id=user_id, user_name=user_name, nick_name="Backend", avatar_url="https://example.test/a.png")


def make_usage(input_count: int = 12, output_count: int = 30) -> ChatUsage:
    """Token usage whose total is the sum of input and output."""
    return ChatUsage(token_count=input_count + output_count, input_count=input_count, output_count=output_count)


def make_chat(
    chat_id: str,
    conversation_id: str,
    *,
    bot_id: str | None = None,
    status: ChatStatus = ChatStatus.COMPLETED,
    usage: ChatUsage | None = None,
    last_error: ChatError | None = None,
) -> Chat:
    """A chat in the given status."""
    return Chat(
        id=chat_id, conversation_id=conversation_id, bot_id=bot_id, status=status, usage=usage, last_error=last_error
    )


def make_answer(content: str, *, chat_id: str = "", conversation_id: str = "") -> Message:
    """An assistant answer message (or a delta of one)."""
    return Message(
        role=MessageRole.ASSISTANT,
        type=MessageType.ANSWER,
        content=content,
        content_type=MessageContentType.TEXT,
        chat_id=chat_id or None,
        conversation_id=conversation_id or None,
    )


def make_bot(bot_id: str, *, name: str = "Travel planner") -> Bot:
    """A published bot with prompt, onboarding and model metadata."""
    return Bot(
        bot_id=bot_id,
        name=name,
        description="Plans city trips",
        icon_url="https://example.test/bot.png",
        create_time=1764100000,
        update_time=1764140000,
        version="1764140000123",
        prompt_info=BotPromptInfo(prompt="You plan trips."),
        onboarding_info=BotOnboardingInfo(prologue="Where to?", suggested_questions=["Paris in 3 days?"]),
        model_info=BotModelInfo(model_id="1737521813", model_name="Doubao-pro-32k", temperature=0.7),
        owner_user_id="7484523878849822100",
    )


def bots_page(bot_ids: list[str], *, total: int) -> dict[str, Any]:
    """One page of ``bots.list`` (the v1 published-bots shape cozepy requests by default)."""
    bots = [
        _PrivateListBotsDataV1.SimpleBotV1(
            bot_id=bot_id, bot_name=f"Bot {bot_id[-3:]}", description="", icon_url="", publish_time="1764140000"
        )
        for bot_id in bot_ids
    ]
    return dump(_PrivateListBotsDataV1(space_bots=bots, total=total))


def workspaces_page(workspace_ids: list[str], *, total: int) -> dict[str, Any]:
    """One page of ``workspaces.list``."""
    workspaces = [
        Workspace(
            id=workspace_id,
            name=f"Workspace {workspace_id[-3:]}",
            icon_url="",
            role_type=WorkspaceRoleType.OWNER,
            workspace_type=WorkspaceType.PERSONAL,
            enterprise_id="",
        )
        for workspace_id in workspace_ids
    ]
    return dump(_PrivateListWorkspacesData(total_count=total, workspaces=workspaces))


def make_conversation(conversation_id: str, *, name: str | None = None) -> Conversation:
    """A conversation with metadata."""
    return Conversation(
        id=conversation_id,
        created_at=1764149000,
        meta_data={"source": "backend"},
        last_section_id="7484523878849822010",
        name=name,
    )


def conversations_page(conversation_ids: list[str], *, has_more: bool) -> dict[str, Any]:
    """One page of ``conversations.list``."""
    conversations = [make_conversation(cid) for cid in conversation_ids]
    return dump(_PrivateListConversationResp(has_more=has_more, conversations=conversations))


DEBUG_URL = "https://www.coze.cn/work_flow?execute_id=7484523878849822006&space_id=7484523878849822001"


def workflow_run_response(
    output: Any = None, *, execute_id: str = "", usage: ChatUsage | None = None, logid: str = LOGID
) -> httpx.Response:
    """POST /v1/workflow/run's answer: top-level fields, the output as a JSON *string* in ``data``."""
    result = WorkflowRunResult(
        debug_url=DEBUG_URL,
        data=json.dumps(output) if output is not None else None,
        execute_id=execute_id or None,
        usage=usage,
    )
    return json_response({"code": 0, "msg": "Success", **dump(result)}, logid=logid)


def make_run_history(
    execute_id: str,
    *,
    status: WorkflowExecuteStatus = WorkflowExecuteStatus.SUCCESS,
    create_time: int = 1764149400,
    output: str = '{"output":"done"}',
    error_code: int = 0,
    error_message: str = "",
) -> WorkflowRunHistory:
    """A run history as GET /v1/workflows/{id}/run_histories/{execute_id} reports it."""
    return WorkflowRunHistory(
        execute_id=execute_id,
        execute_status=status,
        bot_id="0",
        connector_id="1024",
        connector_uid="user-42",
        run_mode=WorkflowRunMode.ASYNCHRONOUS,
        logid=f"{LOGID}-{execute_id[-3:]}",
        create_time=create_time,
        update_time=create_time + 7,
        output=output,
        error_code=error_code,
        error_message=error_message,
        debug_url=DEBUG_URL,
        is_output_trimmed=False,
    )


def request_json(request: httpx.Request) -> Any:
    """The JSON body the server received."""
    return json.loads(request.content)
