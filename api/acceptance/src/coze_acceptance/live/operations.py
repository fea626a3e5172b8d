"""What the live check asks Coze, through the runtime's own helpers, for the sync and the async client.

Reads (the default): the account, the workspace list, the workspace's published bots, the bot,
the bot's conversations, and one run history when its ids are given; each list reads at most
:data:`MAX_PAGES` pages. Writes (``--live-writes``) cost tokens or leave traces: a conversation, a
blocking and a streamed chat with :data:`QUESTION`, a blocking and a streamed workflow run; like
every write of the runtime, each is sent once and never retried. Each step returns a short summary
without personal data (a terminal is often shared or logged).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from cozepy import AsyncCoze, Coze, Message

from coze_acceptance.live.inputs import WORKFLOW_ID, LiveInputs
from coze_integration import (
    CozeCalls,
    PollPolicy,
    WorkflowLogFilter,
    aconsume_chat_stream,
    aconsume_workflow_stream,
    acreate_chat_and_wait,
    aquery_workflow_logs,
    arun_workflow,
    averify_credentials,
    consume_chat_stream,
    consume_workflow_stream,
    create_chat_and_wait,
    query_workflow_logs,
    run_workflow,
    verify_credentials,
)

#: Pages read of each list: enough to see a later page's shape, few enough for the request budget.
MAX_PAGES = 2
#: The fixed question of the write steps' chats.
QUESTION = "Reply with the single word: pong"
#: The user id the write steps' chats are sent as.
CHAT_USER_ID = "coze-live-contract-check"


@dataclass(frozen=True)
class Step:
    """One thing the check asks Coze; ``run`` is ``None`` for a step skipped for the reason in ``skipped``."""

    name: str
    write: bool
    run: Callable[[], Awaitable[str]] | None
    skipped: str = ""


def _counted(pages: list[Any]) -> str:
    items = sum(len(page.items) for page in pages)
    return f"{items} item(s) on {len(pages)} page(s)"


class Probe(Protocol):
    """The live check's calls for one client kind; each returns a summary."""

    async def account(self) -> str: ...
    async def pages(self, list_call: Callable[..., Any], **query: str) -> str: ...
    async def bot(self, bot_id: str) -> str: ...
    async def run_history(self, workflow_id: str, execute_id: str) -> str: ...
    async def create_conversation(self, bot_id: str) -> str: ...
    async def blocking_chat(self, bot_id: str) -> str: ...
    async def streamed_chat(self, bot_id: str) -> str: ...
    async def blocking_run(self, workflow_id: str, parameters: dict[str, Any]) -> str: ...
    async def streamed_run(self, workflow_id: str, parameters: dict[str, Any]) -> str: ...


@dataclass(frozen=True)
class SyncProbe:
    """The calls through ``Coze`` and the runtime's sync helpers."""

    coze: Coze
    calls: CozeCalls
    policy: PollPolicy

    async def account(self) -> str:
        verify_credentials(self.coze, self.calls)
        return "account read"

    async def pages(self, list_call: Callable[..., Any], **query: str) -> str:
        return _counted(list(islice(self.calls.read_pages(functools.partial(list_call, **query)), MAX_PAGES)))

    async def bot(self, bot_id: str) -> str:
        return f"bot mode {self.calls.read(functools.partial(self.coze.bots.retrieve, bot_id=bot_id)).bot_mode}"

    async def run_history(self, workflow_id: str, execute_id: str) -> str:
        found = query_workflow_logs(
            self.coze,
            self.calls,
            workflow_id=workflow_id,
            execute_ids=[execute_id],
            log_filter=WorkflowLogFilter.build(),
        )
        return f"{len(found.entries)} run(s) found"

    async def create_conversation(self, bot_id: str) -> str:
        self.calls.write(functools.partial(self.coze.conversations.create, bot_id=bot_id))
        return "conversation created"

    async def blocking_chat(self, bot_id: str) -> str:
        result = create_chat_and_wait(
            self.coze, self.calls, bot_id=bot_id, user_id=CHAT_USER_ID, question=QUESTION, policy=self.policy
        )
        return f"chat {result.chat.status.value}, {len(result.messages)} message(s)"

    async def streamed_chat(self, bot_id: str) -> str:
        stream = functools.partial(
            self.coze.chat.stream, bot_id=bot_id, user_id=CHAT_USER_ID, additional_messages=_question()
        )
        return f"{len(consume_chat_stream(stream).events)} chat event(s)"

    async def blocking_run(self, workflow_id: str, parameters: dict[str, Any]) -> str:
        return f"run {run_workflow(self.coze, self.calls, workflow_id=workflow_id, parameters=parameters).status}"

    async def streamed_run(self, workflow_id: str, parameters: dict[str, Any]) -> str:
        stream = functools.partial(self.coze.workflows.runs.stream, workflow_id=workflow_id, parameters=parameters)
        return f"{consume_workflow_stream(stream).event_count} workflow event(s)"


async def _first_pages(pages: AsyncIterator[Any]) -> list[Any]:
    found = []
    async for page in pages:
        found.append(page)
        if len(found) == MAX_PAGES:
            break
    return found


@dataclass(frozen=True)
class AsyncProbe:
    """The calls through ``AsyncCoze`` and the runtime's async helpers."""

    coze: AsyncCoze
    calls: CozeCalls
    policy: PollPolicy

    async def account(self) -> str:
        await averify_credentials(self.coze, self.calls)
        return "account read"

    async def pages(self, list_call: Callable[..., Any], **query: str) -> str:
        return _counted(await _first_pages(self.calls.aread_pages(functools.partial(list_call, **query))))

    async def bot(self, bot_id: str) -> str:
        bot = await self.calls.aread(functools.partial(self.coze.bots.retrieve, bot_id=bot_id))
        return f"bot mode {bot.bot_mode}"

    async def run_history(self, workflow_id: str, execute_id: str) -> str:
        found = await aquery_workflow_logs(
            self.coze,
            self.calls,
            workflow_id=workflow_id,
            execute_ids=[execute_id],
            log_filter=WorkflowLogFilter.build(),
        )
        return f"{len(found.entries)} run(s) found"

    async def create_conversation(self, bot_id: str) -> str:
        await self.calls.awrite(functools.partial(self.coze.conversations.create, bot_id=bot_id))
        return "conversation created"

    async def blocking_chat(self, bot_id: str) -> str:
        result = await acreate_chat_and_wait(
            self.coze, self.calls, bot_id=bot_id, user_id=CHAT_USER_ID, question=QUESTION, policy=self.policy
        )
        return f"chat {result.chat.status.value}, {len(result.messages)} message(s)"

    async def streamed_chat(self, bot_id: str) -> str:
        stream = self.coze.chat.stream(bot_id=bot_id, user_id=CHAT_USER_ID, additional_messages=_question())
        return f"{len((await aconsume_chat_stream(stream)).events)} chat event(s)"

    async def blocking_run(self, workflow_id: str, parameters: dict[str, Any]) -> str:
        outcome = await arun_workflow(self.coze, self.calls, workflow_id=workflow_id, parameters=parameters)
        return f"run {outcome.status}"

    async def streamed_run(self, workflow_id: str, parameters: dict[str, Any]) -> str:
        stream = self.coze.workflows.runs.stream(workflow_id=workflow_id, parameters=parameters)
        return f"{(await aconsume_workflow_stream(stream)).event_count} workflow event(s)"


def _question() -> list[Message]:
    return [Message.build_user_question_text(QUESTION)]


def steps(probe: Probe, coze: Coze | AsyncCoze, inputs: LiveInputs, *, writes: bool) -> list[Step]:
    """The steps of one check, in the order they run: the reads, then the writes if asked for."""
    bot, workflow = inputs.bot_id, inputs.workflow_id
    found = [
        Step("users.me", False, probe.account),
        Step("workspaces.list", False, functools.partial(probe.pages, coze.workspaces.list)),
        Step("bots.list", False, functools.partial(probe.pages, coze.bots.list, space_id=inputs.workspace_id)),
        Step("bots.retrieve", False, functools.partial(probe.bot, bot)),
        Step("conversations.list", False, functools.partial(probe.pages, coze.conversations.list, bot_id=bot)),
    ]
    if workflow and inputs.execute_id:
        found.append(
            Step("workflow run history", False, functools.partial(probe.run_history, workflow, inputs.execute_id))
        )
    if not writes:
        return found
    found += [
        Step("conversations.create", True, functools.partial(probe.create_conversation, bot)),
        Step("chat (blocking)", True, functools.partial(probe.blocking_chat, bot)),
        Step("chat (streamed)", True, functools.partial(probe.streamed_chat, bot)),
    ]
    parameters = inputs.workflow_parameters
    for name, run in (("workflow run (blocking)", probe.blocking_run), ("workflow run (streamed)", probe.streamed_run)):
        if workflow:
            found.append(Step(name, True, functools.partial(run, workflow, parameters)))
        else:
            found.append(Step(name, True, None, f"{WORKFLOW_ID} is not set"))
    return found
