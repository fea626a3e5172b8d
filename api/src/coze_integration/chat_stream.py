"""Fold a chat event stream into a transcript, keeping what arrived when the stream fails.

cozepy yields ``ChatEvent`` objects but leaves the caller to join the deltas, find the usage and
the ids, and cope with failures: an ``error`` event is a bare ``Exception``, a cut connection is
a raw httpx error, and a stream cut mid-event just ends. Here every failure becomes a
:class:`~coze_integration.errors.CozeStreamError` whose ``partial`` holds the transcript so far.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass, field, replace

from cozepy import ChatEvent, ChatEventType, ChatStatus, ChatUsage, MessageType, Stream

from coze_integration.calls import typed_errors
from coze_integration.errors import (
    CozeIntegrationError,
    CozeMalformedEventError,
    CozeStreamEventError,
    CozeStreamInterruptedError,
)
from coze_integration.stream_failures import classify_stream_failure

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
    """Everything a chat stream delivered, in a form the backend can store."""

    text: str = ""
    chat_id: str | None = None
    conversation_id: str | None = None
    status: ChatStatus | None = None
    usage: ChatUsage | None = None
    error_code: int | None = None
    error_message: str | None = None
    logid: str | None = None
    events: tuple[ChatEventType, ...] = ()
    complete: bool = False


@dataclass
class _Builder:
    state: ChatTranscript = field(default_factory=ChatTranscript)
    deltas: list[str] = field(default_factory=list)
    completed_answer: str | None = None
    events: list[ChatEventType] = field(default_factory=list)

    def feed(self, event: ChatEvent) -> None:
        self.events.append(event.event)
        if self.state.logid is None and event.response.logid:
            self.state = replace(self.state, logid=event.response.logid)
        message, chat = event.message, event.chat
        if message is not None and message.type == MessageType.ANSWER:
            if event.event == ChatEventType.CONVERSATION_MESSAGE_DELTA:
                self.deltas.append(message.content)
            elif event.event == ChatEventType.CONVERSATION_MESSAGE_COMPLETED:
                self.completed_answer = message.content
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
        # The deltas are the answer; a server that skips deltas still sends the completed message.
        text = "".join(self.deltas) if self.deltas else (self.completed_answer or "")
        complete = any(e in TERMINAL_EVENTS for e in self.events)
        return replace(self.state, text=text, events=tuple(self.events), complete=complete)

    def finish(self) -> ChatTranscript:
        transcript = self.snapshot()
        if not transcript.complete:
            raise CozeStreamInterruptedError("chat stream ended before conversation.chat.completed", partial=transcript)
        return transcript

    def failure(self, exc: Exception) -> CozeIntegrationError | None:
        partial = self.snapshot()
        kind = classify_stream_failure(exc)
        if kind is None:
            return None
        if kind.error_event is not None:
            code, msg = _error_payload(kind.error_event)
            return CozeStreamEventError(code=code, msg=msg, partial=partial, logid=kind.logid)
        if kind.malformed_line is not None:
            return CozeMalformedEventError(line=kind.malformed_line, partial=partial, logid=kind.logid)
        return CozeStreamInterruptedError(f"chat stream interrupted: {kind.reason}", partial=partial, logid=kind.logid)


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
    with typed_errors(builder.failure):
        stream = open_stream()
        if isinstance(stream, Stream):
            builder.state = replace(builder.state, logid=stream.response.logid)
        for event in stream:
            builder.feed(event)
    return builder.finish()


async def aconsume_chat_stream(stream: AsyncIterable[ChatEvent]) -> ChatTranscript:
    """Fold an async chat stream (``acoze.chat.stream(...)``, which opens on first iteration)."""
    builder = _Builder()
    with typed_errors(builder.failure):
        async for event in stream:
            builder.feed(event)
    return builder.finish()
