"""Blocking chat for both clients: create the chat, poll it until it finishes, fetch its messages.

cozepy's sync ``create_and_poll`` sleeps a hard-wired ``time.sleep(1)``, polls forever unless
given a timeout, and stops polling when the chat is still ``created``; ``AsyncCoze`` has no
equivalent at all. These helpers poll while the chat is created or in progress, with an
injectable sleep and clock, up to a deadline; a chat still running then raises
:class:`~coze_integration.errors.CozeDeadlineExceededError` with its ``chat_id`` and
``conversation_id``, so the caller can cancel it or fetch it later.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from cozepy import AsyncCoze, Chat, ChatStatus, Coze, Message, MessageRole, MessageType

from coze_integration.calls import CozeCalls
from coze_integration.errors import CozeDeadlineExceededError
from coze_integration.polling import DEFAULT_POLICY, Deadline, PollPolicy

ACTIVE = frozenset({ChatStatus.CREATED, ChatStatus.IN_PROGRESS})


@dataclass(frozen=True)
class ChatResult:
    """A finished chat and the messages it produced."""

    chat: Chat
    messages: list[Message] = field(default_factory=list)

    @property
    def answer(self) -> str:
        """The assistant's answer text."""
        return "".join(
            m.content for m in self.messages if m.role == MessageRole.ASSISTANT and m.type == MessageType.ANSWER
        )


def _create_call(coze: Coze | AsyncCoze, bot_id: str, user_id: str, question: str, conversation_id: str | None) -> Any:
    return functools.partial(
        coze.chat.create,
        bot_id=bot_id,
        user_id=user_id,
        conversation_id=conversation_id,
        additional_messages=[Message.build_user_question_text(question)],
    )


def _retrieve_call(coze: Coze | AsyncCoze, chat: Chat) -> Any:
    return functools.partial(coze.chat.retrieve, conversation_id=chat.conversation_id, chat_id=chat.id)


def _messages_call(coze: Coze | AsyncCoze, chat: Chat) -> Any:
    return functools.partial(coze.chat.messages.list, conversation_id=chat.conversation_id, chat_id=chat.id)


def _still_running(chat: Chat, deadline: Deadline) -> bool:
    if chat.status not in ACTIVE:
        return False
    if deadline.passed():
        raise CozeDeadlineExceededError(
            target="POST /v3/chat/retrieve",
            reason=f"chat {chat.id} in conversation {chat.conversation_id} still {chat.status.value} "
            f"after {deadline.policy.timeout:g} s; retrieve it later to resume",
            chat_id=chat.id,
            conversation_id=chat.conversation_id,
        )
    return True


def create_chat_and_wait(
    coze: Coze,
    calls: CozeCalls,
    *,
    bot_id: str,
    user_id: str,
    question: str,
    conversation_id: str | None = None,
    policy: PollPolicy = DEFAULT_POLICY,
) -> ChatResult:
    """Ask ``question`` in blocking mode and return the finished chat with its messages."""
    chat: Chat = calls.write(_create_call(coze, bot_id, user_id, question, conversation_id))
    deadline = policy.deadline()
    while _still_running(chat, deadline):
        policy.sleep(policy.interval)
        chat = calls.read(_retrieve_call(coze, chat))
    return ChatResult(chat, list(calls.read(_messages_call(coze, chat))))


async def acreate_chat_and_wait(
    coze: AsyncCoze,
    calls: CozeCalls,
    *,
    bot_id: str,
    user_id: str,
    question: str,
    conversation_id: str | None = None,
    policy: PollPolicy = DEFAULT_POLICY,
) -> ChatResult:
    """Async twin of :func:`create_chat_and_wait`."""
    chat: Chat = await calls.awrite(_create_call(coze, bot_id, user_id, question, conversation_id))
    deadline = policy.deadline()
    while _still_running(chat, deadline):
        await policy.asleep(policy.interval)
        chat = await calls.aread(_retrieve_call(coze, chat))
    return ChatResult(chat, list(await calls.aread(_messages_call(coze, chat))))
