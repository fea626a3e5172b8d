"""Parity dispatch: drive the sync or the async client through one code path.

Each helper here takes a ``Coze`` or an ``AsyncCoze`` and calls the project's sync function or
its async twin, so a scenario's steps and a ``parity`` unit test stay the same text for both
clients. Only step definitions and tests marked ``parity`` use it (``test_coze_suite.py``
checks); a test of one client calls the project's function directly.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any, TypeVar

from cozepy import (
    COZE_CN_BASE_URL,
    AsyncCoze,
    AsyncHTTPClient,
    AsyncTokenAuth,
    Coze,
    SyncHTTPClient,
    TokenAuth,
    User,
    WorkflowRunHistory,
)

from coze_integration.calls import CozeCalls
from coze_integration.chat import (
    ChatResult,
    ChatTranscript,
    aconsume_chat_stream,
    acreate_chat_and_wait,
    consume_chat_stream,
    create_chat_and_wait,
)
from coze_integration.clients import (
    averify_credentials,
    build_async_coze,
    build_coze,
    shared_ssl_context,
    verify_credentials,
)
from coze_integration.polling import PollPolicy
from coze_integration.settings import CozeSettings
from coze_integration.workflow_logs import (
    WorkflowLogFilter,
    WorkflowLogQueryResult,
    aquery_workflow_logs,
    query_workflow_logs,
)
from coze_integration.workflows import (
    WorkflowProgress,
    WorkflowRunOutcome,
    aconsume_workflow_stream,
    arun_workflow,
    arun_workflow_until_done,
    consume_workflow_stream,
    run_workflow,
    run_workflow_until_done,
)

AnyCoze = Coze | AsyncCoze
T = TypeVar("T")


def build_client(kind: str, settings: CozeSettings) -> AnyCoze:
    """The project's factory for ``kind`` ("sync" or "async")."""
    return build_coze(settings) if kind == "sync" else build_async_coze(settings)


def plain_cozepy_client(kind: str, token: str) -> AnyCoze:
    """A client of ``kind`` built by cozepy alone, without the factories' response hooks."""
    if kind == "sync":
        return Coze(
            auth=TokenAuth(token), base_url=COZE_CN_BASE_URL, http_client=SyncHTTPClient(verify=shared_ssl_context())
        )
    return AsyncCoze(
        auth=AsyncTokenAuth(token), base_url=COZE_CN_BASE_URL, http_client=AsyncHTTPClient(verify=shared_ssl_context())
    )


async def authenticate(client: AnyCoze, calls: CozeCalls) -> User:
    """The project's credential check for either client."""
    if isinstance(client, AsyncCoze):
        return await averify_credentials(client, calls)
    return verify_credentials(client, calls)


async def read(client: AnyCoze, calls: CozeCalls, call: Callable[[], Any]) -> Any:
    """Run a read through :class:`CozeCalls` (typed errors, retries) for either client kind."""
    if isinstance(client, AsyncCoze):
        return await calls.aread(call)
    return calls.read(call)


async def write(client: AnyCoze, calls: CozeCalls, call: Callable[[], Any]) -> Any:
    """Run a write through :class:`CozeCalls` (typed errors, no retry) for either client kind."""
    if isinstance(client, AsyncCoze):
        return await calls.awrite(call)
    return calls.write(call)


async def bearer_token(client: AnyCoze) -> str:
    """The token the client's auth object will send."""
    auth = client._auth
    if isinstance(auth, AsyncTokenAuth):
        return await auth.atoken
    assert isinstance(auth, TokenAuth)
    return auth.token


async def blocking_chat(
    client: AnyCoze,
    calls: CozeCalls,
    policy: PollPolicy,
    *,
    bot_id: str,
    user_id: str,
    question: str,
    conversation_id: str | None = None,
) -> ChatResult:
    """The project's blocking chat (create, poll, list messages) for either client."""
    if isinstance(client, AsyncCoze):
        return await acreate_chat_and_wait(
            client,
            calls,
            bot_id=bot_id,
            user_id=user_id,
            question=question,
            conversation_id=conversation_id,
            policy=policy,
        )
    return create_chat_and_wait(
        client, calls, bot_id=bot_id, user_id=user_id, question=question, conversation_id=conversation_id, policy=policy
    )


async def streamed_transcript(client: AnyCoze, **stream_kwargs: Any) -> ChatTranscript:
    """Stream a chat with the project's consumer and return its transcript, for either client."""
    if isinstance(client, AsyncCoze):
        return await aconsume_chat_stream(client.chat.stream(**stream_kwargs))
    return consume_chat_stream(lambda: client.chat.stream(**stream_kwargs))


async def workflow_run(
    client: AnyCoze, calls: CozeCalls, *, workflow_id: str, parameters: dict[str, Any], is_async: bool | None = None
) -> WorkflowRunOutcome:
    """The project's workflow run for either client; ``is_async`` left out unless given, to use the default."""
    mode = {} if is_async is None else {"is_async": is_async}
    if isinstance(client, AsyncCoze):
        return await arun_workflow(client, calls, workflow_id=workflow_id, parameters=parameters, **mode)
    return run_workflow(client, calls, workflow_id=workflow_id, parameters=parameters, **mode)


async def workflow_progress(
    client: AnyCoze, on_progress: Callable[[WorkflowProgress], None] | None = None, **stream_kwargs: Any
) -> WorkflowProgress:
    """Stream a workflow run through the project's consumer, for either client."""
    if isinstance(client, AsyncCoze):
        return await aconsume_workflow_stream(client.workflows.runs.stream(**stream_kwargs), on_progress)
    return consume_workflow_stream(lambda: client.workflows.runs.stream(**stream_kwargs), on_progress)


async def workflow_until_done(
    client: AnyCoze, calls: CozeCalls, policy: PollPolicy, *, workflow_id: str, parameters: dict[str, Any]
) -> WorkflowRunHistory:
    """Start an async run and wait for it with the project's helper, for either client."""
    if isinstance(client, AsyncCoze):
        return await arun_workflow_until_done(
            client, calls, workflow_id=workflow_id, parameters=parameters, policy=policy
        )
    return run_workflow_until_done(client, calls, workflow_id=workflow_id, parameters=parameters, policy=policy)


async def workflow_logs(
    client: AnyCoze, calls: CozeCalls, *, workflow_id: str, execute_ids: list[str], log_filter: WorkflowLogFilter
) -> WorkflowLogQueryResult:
    """The project's workflow-log query for either client."""
    if isinstance(client, AsyncCoze):
        return await aquery_workflow_logs(
            client, calls, workflow_id=workflow_id, execute_ids=execute_ids, log_filter=log_filter
        )
    return query_workflow_logs(client, calls, workflow_id=workflow_id, execute_ids=execute_ids, log_filter=log_filter)


async def resolve(value: object) -> Any:
    """Await the result of an async client call; pass a sync client's result through.

    Typed ``Any`` because mypy cannot solve ``Awaitable[A] | S`` for a ``Coze | AsyncCoze`` call
    whose sync and async results differ (``NumberPaged`` vs ``AsyncNumberPaged``); annotate the
    variable that receives the result.
    """
    if inspect.isawaitable(value):
        return await value
    return value


async def collect(events: Iterable[T] | AsyncIterable[T]) -> list[T]:
    """Every item of a sync or async iterable (stream, pager)."""
    if isinstance(events, AsyncIterable):
        return [item async for item in events]
    return list(events)


async def read_items_into(client: AnyCoze, calls: CozeCalls, call: Callable[[], Any], items: list[Any]) -> None:
    """Append every item of a cozepy list to ``items`` through :meth:`CozeCalls.read_items` or its async twin.

    The list keeps what arrived before a failure, so a test can check that page 1 was delivered.
    """
    if isinstance(client, AsyncCoze):
        async for item in calls.aread_items(call):
            items.append(item)
    else:
        items.extend(calls.read_items(call))
