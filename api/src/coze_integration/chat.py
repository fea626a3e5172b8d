"""Chat for both clients: blocking (create, poll until finished, fetch the messages) and streamed.

cozepy's sync ``create_and_poll`` sleeps a hard-wired ``time.sleep(1)``, polls forever unless
given a timeout, and stops polling when the chat is still ``created``; ``AsyncCoze`` has no
equivalent at all. :func:`create_chat_and_wait` polls while the chat is created or in progress,
with an injectable sleep and clock, up to a deadline; a chat still running then raises
:class:`~coze_integration.errors.CozeDeadlineExceededError` with its ``chat_id`` and
``conversation_id``, so the caller can cancel it or fetch it later.

cozepy yields a stream's ``ChatEvent`` objects but leaves the caller to join the deltas, find the
usage and the ids, and cope with failures: an ``error`` event is a bare ``Exception``, a cut
connection is a raw httpx error, and a stream cut mid-event just ends. :func:`consume_chat_stream`
folds the events into a :class:`ChatTranscript`; every failure becomes a
:class:`~coze_integration.errors.CozeStreamError` whose ``partial`` holds the transcript so far.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from cozepy import (
    AsyncCoze,
    Chat,
    ChatEvent,
    ChatEventType,
    ChatStatus,
    ChatUsage,
    Coze,
    Message,
    MessageContentType,
    MessageRole,
    MessageType,
)

from coze_integration.calls import CozeCalls
from coze_integration.errors import (
    CozeDeadlineExceededError,
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
    classify_stream_failure,
    typed_errors,
)
from coze_integration.polling import DEFAULT_POLICY, Deadline, PollPolicy
from coze_integration.wire import StreamEnd, forget_stream_end, last_exchange, last_stream_end

ACTIVE = frozenset({ChatStatus.CREATED, ChatStatus.IN_PROGRESS})


@dataclass(frozen=True)
class ChatAnswer:
    """One answer message of a chat: its id, its content type (``text``, ``card``, ...) and its full content."""

    id: str | None
    content_type: MessageContentType
    content: str


def _is_answer(message: Message) -> bool:
    return message.role == MessageRole.ASSISTANT and message.type == MessageType.ANSWER


def _joined(answers: tuple[ChatAnswer, ...]) -> str:
    """A chat's answer text: every answer message's content, in order (a bot may answer in several)."""
    return "".join(answer.content for answer in answers)


@dataclass(frozen=True)
class ChatResult:
    """A finished chat and the messages it produced."""

    chat: Chat
    messages: list[Message] = field(default_factory=list)

    @property
    def answers(self) -> tuple[ChatAnswer, ...]:
        """The assistant's answer messages, in order."""
        return tuple(ChatAnswer(m.id, m.content_type, m.content) for m in self.messages if _is_answer(m))

    @property
    def answer(self) -> str:
        """The assistant's answer text: every answer message's content joined, as a stream's ``text``."""
        return _joined(self.answers)


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


# Streamed chat.

#: Events after which a chat stream is complete.
TERMINAL_EVENTS = frozenset(
    {
        ChatEventType.CONVERSATION_CHAT_COMPLETED,
        ChatEventType.CONVERSATION_CHAT_FAILED,
        ChatEventType.CONVERSATION_CHAT_REQUIRES_ACTION,
    }
)


@dataclass(frozen=True)
class ChatTranscript:
    """Everything a chat stream delivered, in a form the backend can store.

    ``answers`` keeps every answer message in the order it began, with its full content: the
    ``conversation.message.completed`` content when it has arrived, else the deltas so far joined
    (a card answer may come completed only, a text answer as deltas then completed).
    """

    answers: tuple[ChatAnswer, ...] = ()
    chat_id: str | None = None
    conversation_id: str | None = None
    status: ChatStatus | None = None
    usage: ChatUsage | None = None
    error_code: int | None = None
    error_message: str | None = None
    logid: str | None = None
    events: tuple[ChatEventType, ...] = ()
    complete: bool = False

    @property
    def text(self) -> str:
        """The answer text: every answer's content joined, as :attr:`ChatResult.answer` joins them."""
        return _joined(self.answers)


@dataclass
class _AnswerParts:
    """One answer message as it streams in: its deltas, then its completed content."""

    content_type: MessageContentType
    deltas: list[str] = field(default_factory=list)
    completed: str | None = None

    def answer(self, message_id: str | None) -> ChatAnswer:
        content = "".join(self.deltas) if self.completed is None else self.completed
        return ChatAnswer(message_id, self.content_type, content)


@dataclass
class _Builder:
    state: ChatTranscript = field(default_factory=ChatTranscript)
    answers: dict[str | None, _AnswerParts] = field(default_factory=dict)
    events: list[ChatEventType] = field(default_factory=list)

    def _add_answer(self, kind: ChatEventType, message: Message) -> None:
        parts = self.answers.get(message.id)
        if parts is None:
            parts = self.answers[message.id] = _AnswerParts(message.content_type)
        if kind == ChatEventType.CONVERSATION_MESSAGE_DELTA:
            parts.deltas.append(message.content)
        else:
            parts.completed = message.content

    def feed(self, event: ChatEvent) -> None:
        self.events.append(event.event)
        if self.state.logid is None and event.response.logid:
            self.state = replace(self.state, logid=event.response.logid)
        message, chat = event.message, event.chat
        if message is not None and event.event in _ANSWER_EVENTS and _is_answer(message):
            self._add_answer(event.event, message)
        if chat is not None:
            error = chat.last_error if chat.last_error is not None and chat.last_error.code else None
            self.state = replace(
                self.state,
                chat_id=chat.id,
                conversation_id=chat.conversation_id,
                status=chat.status,
                usage=chat.usage or self.state.usage,
                error_code=error.code if error else self.state.error_code,
                error_message=error.msg if error else self.state.error_message,
            )

    def snapshot(self) -> ChatTranscript:
        answers = tuple(parts.answer(message_id) for message_id, parts in self.answers.items())
        complete = any(e in TERMINAL_EVENTS for e in self.events)
        # Before the first event (an async stream opens on first iteration) the recorded exchange has it.
        exchange = last_exchange()
        logid = self.state.logid or (exchange.logid if exchange else None)
        return replace(self.state, answers=answers, events=tuple(self.events), complete=complete, logid=logid)

    def finish(self) -> ChatTranscript:
        transcript = self.snapshot()
        if not transcript.complete:
            raise CozeStreamInterruptedError("chat stream ended before conversation.chat.completed", partial=transcript)
        return transcript

    def failure(self, exc: Exception) -> CozeIntegrationError | None:
        partial = self.snapshot()
        stream_failure = classify_stream_failure(exc)
        if stream_failure is None:
            return None
        if stream_failure.error_event is not None:
            code, msg = _error_payload(stream_failure.error_event)
            return CozeStreamEventError(code=code, msg=msg, partial=partial)
        if stream_failure.malformed_line is not None:
            failed = _failed_chat_error(last_stream_end())
            if failed is not None:
                return self._failed(*failed)
            return CozeMalformedEventError(line=stream_failure.malformed_line, partial=partial)
        return CozeStreamInterruptedError(f"chat stream interrupted: {stream_failure.interruption}", partial=partial)

    def _failed(self, code: int, msg: str) -> CozeStreamEventError[ChatTranscript]:
        """The chat failed with ``{code, msg}`` where a Chat object was expected: a failed, complete transcript."""
        self.events.append(ChatEventType.CONVERSATION_CHAT_FAILED)
        self.state = replace(self.state, status=ChatStatus.FAILED, error_code=code, error_message=msg)
        return CozeStreamEventError(code=code, msg=msg, partial=self.snapshot())


#: The events that carry an answer message's text (``conversation.audio.delta`` carries audio).
_ANSWER_EVENTS = frozenset({ChatEventType.CONVERSATION_MESSAGE_DELTA, ChatEventType.CONVERSATION_MESSAGE_COMPLETED})


def _failed_chat_error(end: StreamEnd | None) -> tuple[int, str] | None:
    """The ``{code, msg}`` a ``conversation.chat.failed`` event carried instead of a Chat object.

    chat_v3.md's streaming example sends that payload, while its event table promises a Chat object.
    """
    if end is None or end.event != ChatEventType.CONVERSATION_CHAT_FAILED.value:
        return None
    code, msg = _error_payload(end.data or "")
    return None if code is None else (code, msg)


def _error_payload(data: str) -> tuple[int | None, str]:
    try:
        body = json.loads(data)
        return int(body["code"]), str(body.get("msg", ""))
    except (ValueError, TypeError, KeyError):
        return None, data


def consume_chat_stream(open_stream: Callable[[], Iterable[ChatEvent]]) -> ChatTranscript:
    """Open a sync chat stream and fold it; pass ``lambda: coze.chat.stream(...)``.

    Taking the opener, not the stream, types the errors cozepy raises while opening it too.
    """
    builder = _Builder()
    forget_stream_end()
    with typed_errors(builder.failure):
        for event in open_stream():
            builder.feed(event)
    return builder.finish()


async def aconsume_chat_stream(stream: AsyncIterable[ChatEvent]) -> ChatTranscript:
    """Fold an async chat stream (``acoze.chat.stream(...)``, which opens on first iteration)."""
    builder = _Builder()
    forget_stream_end()
    with typed_errors(builder.failure):
        async for event in stream:
            builder.feed(event)
    return builder.finish()
