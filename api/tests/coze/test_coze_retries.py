"""Retries: idempotent reads retry transient failures with backoff; writes are sent exactly once.

Delays are recorded on a fake clock, never slept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

import httpx
import pytest
import respx
from cozepy import Message

from coze_integration.calls import CozeCalls, RetryPolicy
from coze_integration.clients import build_calls
from coze_integration.errors import (
    CozeAPIRequestError,
    CozeAuthenticationError,
    CozeIntegrationError,
    CozeNotFoundError,
    CozeRateLimitError,
    CozeServerError,
)
from coze_integration.logs import LOGGER_NAME
from coze_integration.settings import CozeSettings
from tests.coze.coze_clients import AnyCoze, read, write
from tests.coze.coze_factories import (
    LOGID,
    api_error,
    json_response,
    make_bot,
    make_chat,
    make_conversation,
    ok,
    ok_without_data,
    workflow_run_response,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.parity, pytest.mark.covers("FR-013")]

RETRIEVE = "/v1/bot/get_online_info"


def _limited(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return json_response({"code": 4013, "msg": "QPS limit exceeded"}, status=429, headers=headers)


class TestCozeRetriesReads:
    """Reads retry network errors, timeouts, rate limits and 5xx, within a bound."""

    @pytest.mark.parametrize(
        "transient",
        [
            httpx.ConnectError("connection refused"),
            httpx.ReadTimeout("read timed out"),
            api_error(5000, "internal", status=500),
            httpx.Response(502, text="<html>502 Bad Gateway</html>", headers={"x-tt-logid": LOGID}),
        ],
        ids=["connect-error", "read-timeout", "code-5000", "html-502"],
    )
    async def test_recovers_after_transient_failures(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_bot_id: str,
        transient: Any,
    ) -> None:
        """Two transient failures, then success: the bot arrives after two backoff delays."""
        route = coze_router.get(RETRIEVE).mock(side_effect=[transient, transient, ok(make_bot(sample_bot_id))])
        bot = await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        assert bot.bot_id == sample_bot_id
        assert bot.response.logid == LOGID
        assert route.call_count == 3
        assert len(recorded_sleeps) == 2
        assert 0.5 <= recorded_sleeps[0] <= 1.0 <= recorded_sleeps[1] <= 1.5

    @pytest.mark.parametrize(
        ("retry_after", "expected_delay"),
        [("3", 3.0), ("0.25", 0.25), (None, None), ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
        ids=["seconds", "fraction", "absent-uses-backoff", "http-date-uses-backoff"],
    )
    async def test_rate_limit_honours_retry_after(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_bot_id: str,
        retry_after: str | None,
        expected_delay: float | None,
    ) -> None:
        """A 429 is retried after ``Retry-After`` seconds when given, after the backoff otherwise."""
        coze_router.get(RETRIEVE).mock(side_effect=[_limited(retry_after), ok(make_bot(sample_bot_id))])
        await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        [delay] = recorded_sleeps
        if expected_delay is None:
            assert 0.5 <= delay <= 1.0
        else:
            assert delay == expected_delay

    async def test_exhausted_retries_surface_the_last_error(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_bot_id: str,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """After the last attempt the rate-limit error surfaces with its logid; each retry is logged."""
        route = coze_router.get(RETRIEVE).mock(return_value=_limited("1"))
        with caplog.at_level(logging.WARNING, logger=LOGGER_NAME), pytest.raises(CozeRateLimitError) as caught:
            await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        records = [r for r in caplog.records if r.name == LOGGER_NAME]
        assert (caught.value.code, caught.value.logid, caught.value.retry_after) == (4013, LOGID, 1.0)
        assert route.call_count == 3
        assert recorded_sleeps == [1.0, 1.0]
        retries = [r.getMessage() for r in records]
        assert [message.split(":")[0] for message in retries] == [
            "retrying after attempt 1 failed, in 1.00 s",
            "retrying after attempt 2 failed, in 1.00 s",
        ]

    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            (api_error(4000, "invalid param"), CozeAPIRequestError),
            (api_error(4100, "authentication is invalid", status=401), CozeAuthenticationError),
            (api_error(4200, "bot not found"), CozeNotFoundError),
        ],
        ids=["bad-request", "authentication", "not-found"],
    )
    async def test_permanent_errors_are_not_retried(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        answer: httpx.Response,
        expected: type[CozeIntegrationError],
    ) -> None:
        """An answer that would be the same next time is raised at once."""
        route = coze_router.get(RETRIEVE).mock(return_value=answer)
        with pytest.raises(expected):
            await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id="b"))
        assert (route.call_count, recorded_sleeps) == (1, [])

    async def test_attempts_and_delay_come_from_settings(self, mock_coze_api_token: str) -> None:
        """``COZE_RETRY_ATTEMPTS`` and ``COZE_RETRY_BASE_DELAY_SECONDS`` shape the policy."""
        settings = CozeSettings(api_token=mock_coze_api_token, retry_attempts=5, retry_base_delay_seconds=0.1)
        policy = build_calls(settings).policy
        assert (policy.attempts, policy.base_delay) == (5, 0.1)

    async def test_single_attempt_policy_never_retries(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """With one attempt configured, a transient failure surfaces at once."""
        route = coze_router.get(RETRIEVE).mock(return_value=api_error(5000, "internal", status=500))
        with pytest.raises(CozeServerError):
            await read(coze_client, CozeCalls(RetryPolicy(attempts=1)), partial(coze_client.bots.retrieve, bot_id="b"))
        assert route.call_count == 1


def _chat_create(client: AnyCoze) -> Any:
    return partial(
        client.chat.create, bot_id="b", user_id="u", additional_messages=[Message.build_user_question_text("q")]
    )


def _workflow_run(client: AnyCoze) -> Any:
    return partial(client.workflows.runs.create, workflow_id="wf", parameters={"a": 1})


def _conversation_create(client: AnyCoze) -> Any:
    return partial(client.conversations.create, bot_id="b")


def _conversation_delete(client: AnyCoze) -> Any:
    return partial(client.conversations.delete, conversation_id="c1")


class TestCozeRetriesWrites:
    """Writes are never retried, so nothing is created or deleted twice."""

    @pytest.mark.parametrize(
        ("method", "path", "call", "success"),
        [
            ("POST", "/v3/chat", _chat_create, ok(make_chat("ch", "c1"))),
            ("POST", "/v1/workflow/run", _workflow_run, workflow_run_response({"ok": True})),
            ("POST", "/v1/conversation/create", _conversation_create, ok(make_conversation("c1"))),
            ("DELETE", "/v1/conversations/c1", _conversation_delete, ok_without_data()),
        ],
        ids=["chat-create", "workflow-run", "conversation-create", "conversation-delete"],
    )
    @pytest.mark.parametrize(
        "failure",
        [httpx.ReadTimeout("read timed out"), api_error(5000, "internal", status=503)],
        ids=["timeout", "server-error"],
    )
    async def test_write_is_sent_once(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        method: str,
        path: str,
        call: Callable[[AnyCoze], Any],
        success: httpx.Response,
        failure: Any,
    ) -> None:
        """A failed write raises on its single attempt, even though a retry would have succeeded."""
        route = coze_router.route(method=method, path=path).mock(side_effect=[failure, success])
        with pytest.raises(CozeIntegrationError) as caught:
            await write(coze_client, coze_calls, call(coze_client))
        assert caught.value.retryable
        assert (route.call_count, recorded_sleeps) == (1, [])
