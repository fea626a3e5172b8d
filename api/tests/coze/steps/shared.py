"""Step logic more than one story module needs: the credential check, the chat request, a workflow stream.

The story modules (``test_us<N>_*.py``, ``test_edge_cases.py``) keep the step definitions; what
they would otherwise each write again (the ``users.me`` route and its check, who asks which bot
what, what the chat request must carry, a served workflow stream) lives here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import respx
from cozepy import Message, User

from coze_integration.calls import CozeCalls
from coze_integration.chat import ChatResult
from coze_integration.polling import PollPolicy
from tests.coze.parity import AnyCoze, authenticate, blocking_chat
from tests.coze.wire import LOGID, golden_response, golden_stream

#: The route name of GET /v1/users/me, the credential check.
USERS_ME = "users.me"
#: The route name of POST /v3/chat in blocking mode.
CHAT_CREATE = "chat.create"
#: The route name of POST /v1/workflow/stream_run.
WORKFLOW_STREAM = "workflow.stream"


def route_users_me(router: respx.MockRouter, answer: httpx.Response | None = None) -> respx.Route:
    """GET /v1/users/me, answered with the sample account unless ``answer`` says otherwise."""
    return router.get("/v1/users/me", name=USERS_ME).mock(return_value=answer or golden_response("users/me_ok.json"))


async def authenticated_request(
    client: AnyCoze, calls: CozeCalls, router: respx.MockRouter, token: str
) -> tuple[User, httpx.Request]:
    """Check the credentials; the account arrives with the logid, the request with the bearer token."""
    user = await authenticate(client, calls)
    assert user.response.logid == LOGID
    request = router[USERS_ME].calls.last.request
    assert request.headers["Authorization"] == f"Bearer {token}"
    return user, request


def route_chat_create(router: respx.MockRouter) -> respx.Route:
    """POST /v3/chat (blocking), answered with a chat still in progress."""
    return router.post("/v3/chat", name=CHAT_CREATE).mock(return_value=golden_response("chat/create_in_progress.json"))


@dataclass(frozen=True)
class ChatRequest:
    """Who asks which bot what."""

    bot_id: str
    user_id: str
    message: str

    def stream_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``chat.stream``."""
        return {
            "bot_id": self.bot_id,
            "user_id": self.user_id,
            "additional_messages": [Message.build_user_question_text(self.message)],
        }

    async def ask_and_wait(self, client: AnyCoze, calls: CozeCalls, policy: PollPolicy) -> ChatResult:
        """Ask in blocking mode with the project's helper and wait for the finished chat."""
        return await blocking_chat(
            client, calls, policy, bot_id=self.bot_id, user_id=self.user_id, question=self.message
        )

    def assert_sent(self, request_body: dict[str, Any], *, stream: bool) -> None:
        """The chat request on the wire names the bot and the user and carries the question as text."""
        assert request_body["bot_id"] == self.bot_id
        assert request_body["user_id"] == self.user_id
        assert request_body["stream"] is stream
        [question] = request_body["additional_messages"]
        assert (question["role"], question["content"], question["content_type"]) == ("user", self.message, "text")


def serve_workflow_stream(router: respx.MockRouter, name: str) -> str:
    """POST /v1/workflow/stream_run, answered with the golden stream ``name``; returns ``name``."""
    router.post("/v1/workflow/stream_run", name=WORKFLOW_STREAM).mock(return_value=golden_stream(name))
    return name
