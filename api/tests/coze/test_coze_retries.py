"""Retries: idempotent reads retry transient failures with backoff; writes are sent exactly once.

Delays are recorded on a fake clock, never slept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
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
from coze_integration.settings import LOGGER_NAME, CozeSettings
from tests.coze.fake_time import EPOCH, FakeClock
from tests.coze.parity import AnyCoze, read, write
from tests.coze.wire import LOGID, golden, golden_response

pytestmark = [pytest.mark.parity, pytest.mark.covers("FR-013")]

RETRIEVE = "/v1/bot/get_online_info"
BOT = "bots/get_online_info_ok.json"
BOTS_LIST = "/v1/space/published_bots_list"


def _limited(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return golden_response("errors/rate_limited_4013.json", status=429, headers=headers)


class TestCozeRetriesReads:
    """Reads retry network errors, timeouts, rate limits and 5xx, within a bound."""

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "transient",
        # Factories, not instances (the rule in test_coze_suite.py): a raised instance keeps its test's frames.
        [
            partial(httpx.ConnectError, "connection refused"),
            partial(httpx.ReadTimeout, "read timed out"),
            partial(golden_response, "errors/internal_5000.json", status=500),
            partial(httpx.Response, 502, text="<html>502 Bad Gateway</html>", headers={"x-tt-logid": LOGID}),
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
        transient: Callable[[], Any],
    ) -> None:
        """Two transient failures, then success: the bot arrives after two backoff delays."""
        route = coze_router.get(RETRIEVE).mock(side_effect=[transient(), transient(), golden_response(BOT)])
        bot = await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        assert bot.bot_id == sample_bot_id
        assert bot.response.logid == LOGID
        assert route.call_count == 3
        assert len(recorded_sleeps) == 2
        assert 0.5 <= recorded_sleeps[0] <= 1.0 <= recorded_sleeps[1] <= 1.5

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("retry_after", "expected_delay"),
        [("3", 3.0), ("0.25", 0.25), (None, None), ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
        ids=["seconds", "fraction", "absent-uses-backoff", "past-http-date-uses-backoff"],
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
        coze_router.get(RETRIEVE).mock(side_effect=[_limited(retry_after), golden_response(BOT)])
        await read(coze_client, coze_calls, partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        [delay] = recorded_sleeps
        if expected_delay is None:
            assert 0.5 <= delay <= 1.0
        else:
            assert delay == expected_delay

    @pytest.mark.asyncio
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

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            (golden_response("errors/bad_request_4000.json"), CozeAPIRequestError),
            (golden_response("errors/unauthenticated_4100.json", status=401), CozeAuthenticationError),
            (golden_response("errors/not_found_4200.json"), CozeNotFoundError),
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

    def test_attempts_and_delay_come_from_settings(self, mock_coze_api_token: str) -> None:
        """``COZE_RETRY_ATTEMPTS`` and ``COZE_RETRY_BASE_DELAY_SECONDS`` shape the policy."""
        settings = CozeSettings(api_token=mock_coze_api_token, retry_attempts=5, retry_base_delay_seconds=0.1)
        policy = build_calls(settings).policy
        assert (policy.attempts, policy.base_delay) == (5, 0.1)

    @pytest.mark.asyncio
    async def test_backoff_is_capped(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, fake_clock: FakeClock, sample_bot_id: str
    ) -> None:
        """However many attempts fail, no wait exceeds ``max_delay``, jitter included."""
        policy = RetryPolicy(
            attempts=6, base_delay=0.5, max_delay=1.0, sleep=fake_clock.sleep, asleep=fake_clock.asleep
        )
        route = coze_router.get(RETRIEVE).mock(return_value=golden_response("errors/internal_5000.json", status=500))
        with pytest.raises(CozeServerError):
            await read(coze_client, CozeCalls(policy), partial(coze_client.bots.retrieve, bot_id=sample_bot_id))
        assert route.call_count == 6
        assert 0.5 <= fake_clock.slept[0] <= 1.0
        # From the third wait on, the exponential term alone (0.5 * 2**2) is over the cap.
        assert fake_clock.slept[2:] == [1.0, 1.0, 1.0]

    def test_default_policy(self) -> None:
        """A default policy tries three times, backs off from 0.5 s to at most 8 s, and waits up to 10 s when asked."""
        policy = RetryPolicy()
        assert (policy.attempts, policy.base_delay, policy.max_delay, policy.max_retry_after) == (3, 0.5, 8.0, 10.0)

    @pytest.mark.asyncio
    async def test_single_attempt_policy_never_retries(
        self, coze_client: AnyCoze, coze_router: respx.MockRouter, sample_bot_id: str
    ) -> None:
        """With one attempt configured, a transient failure surfaces at once."""
        route = coze_router.get(RETRIEVE).mock(return_value=golden_response("errors/internal_5000.json", status=500))
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


@pytest.mark.asyncio
class TestCozeRetriesWrites:
    """Writes are never retried, so nothing is created or deleted twice."""

    @pytest.mark.parametrize(
        ("method", "path", "call", "success"),
        [
            ("POST", "/v3/chat", _chat_create, golden_response("chat/create_created.json")),
            ("POST", "/v1/workflow/run", _workflow_run, golden_response("workflows/run_ok.json")),
            ("POST", "/v1/conversation/create", _conversation_create, golden_response("conversations/create_ok.json")),
            ("DELETE", "/v1/conversations/c1", _conversation_delete, golden_response("conversations/delete_ok.json")),
        ],
        ids=["chat-create", "workflow-run", "conversation-create", "conversation-delete"],
    )
    @pytest.mark.parametrize(
        "failure",
        # Factories, not instances (the rule in test_coze_suite.py): a raised instance keeps its test's frames.
        [
            partial(httpx.ReadTimeout, "read timed out"),
            partial(golden_response, "errors/internal_5000.json", status=503),
        ],
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
        failure: Callable[[], Any],
    ) -> None:
        """A failed write raises on its single attempt, even though a retry would have succeeded."""
        route = coze_router.route(method=method, path=path).mock(side_effect=[failure(), success])
        with pytest.raises(CozeIntegrationError) as caught:
            await write(coze_client, coze_calls, call(coze_client))
        assert caught.value.retryable
        assert (route.call_count, recorded_sleeps) == (1, [])


@dataclass(frozen=True)
class Throttle:
    """An answer that may carry ``Retry-After`` (RFC 9110: a rate limit or a 503) and the error it becomes."""

    golden: str
    status: int
    error: type[CozeRateLimitError | CozeServerError]

    def answer(self, retry_after: str) -> httpx.Response:
        """The golden error answer with this ``Retry-After``."""
        return golden_response(self.golden, status=self.status, headers={"Retry-After": retry_after})


class TestCozeRetriesRetryAfter:
    """``Retry-After`` in either RFC 9110 form is honoured up to a cap; unusable values fall back to the backoff.

    It is read on a rate limit and on a 503 alike.
    """

    PAGE = "bots/published_bots_list_page1_of_2.json"

    @pytest.fixture(
        params=[
            Throttle("errors/rate_limited_4013.json", 429, CozeRateLimitError),
            Throttle("errors/internal_5000.json", 503, CozeServerError),
        ],
        ids=["429-code-4013", "503-code-5000"],
    )
    def throttle(self, request: pytest.FixtureRequest) -> Throttle:
        """A rate limit or a 503: both may say how long to wait."""
        answer: Throttle = request.param
        return answer

    async def _list(self, client: AnyCoze, calls: CozeCalls, workspace_id: str) -> Any:
        return await read(client, calls, partial(client.bots.list, space_id=workspace_id, page_size=2))

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("retry_after", "expected_delay"),
        [
            ("3", 3.0),
            ("10", 10.0),
            (format_datetime(EPOCH + timedelta(seconds=5), usegmt=True), 5.0),
            ("Thu, 26 Nov 2026 09:30:08 -0000", 8.0),
            (" 7 ", 7.0),
        ],
        ids=["delay-seconds", "exactly-the-cap", "http-date", "http-date-without-zone-claim", "padded"],
    )
    async def test_usable_hint_is_the_delay(
        self,
        coze_client: AnyCoze,
        throttle: Throttle,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_workspace_id: str,
        mock_coze_api_token: str,
        retry_after: str,
        expected_delay: float,
    ) -> None:
        """Delay-seconds and an HTTP-date (counted from the policy's clock) both set the wait before the retry."""
        route = coze_router.get(BOTS_LIST).mock(side_effect=[throttle.answer(retry_after), golden_response(self.PAGE)])
        page = await self._list(coze_client, coze_calls, sample_workspace_id)
        assert [bot.bot_id for bot in page.items] == [bot["bot_id"] for bot in golden(self.PAGE)["data"]["space_bots"]]
        assert page.response.logid == LOGID
        assert recorded_sleeps == [expected_delay]
        assert route.call_count == 2
        assert route.calls.last.request.headers["Authorization"] == f"Bearer {mock_coze_api_token}"

    @pytest.mark.asyncio
    async def test_other_5xx_keep_the_backoff(
        self,
        coze_client: AnyCoze,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_workspace_id: str,
    ) -> None:
        """RFC 9110 does not define ``Retry-After`` for a 500: the read waits the normal backoff."""
        failed = golden_response("errors/internal_5000.json", status=500, headers={"Retry-After": "3"})
        coze_router.get(BOTS_LIST).mock(side_effect=[failed, golden_response(self.PAGE)])
        await self._list(coze_client, coze_calls, sample_workspace_id)
        [delay] = recorded_sleeps
        assert 0.5 <= delay <= 1.0

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "retry_after",
        ["-5", "inf", "nan", "-inf", "soon", "", format_datetime(EPOCH - timedelta(minutes=1), usegmt=True)],
        ids=["negative", "infinite", "nan", "minus-infinite", "unparsable", "empty", "http-date-in-the-past"],
    )
    async def test_unusable_hint_falls_back_to_backoff(
        self,
        coze_client: AnyCoze,
        throttle: Throttle,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_workspace_id: str,
        retry_after: str,
    ) -> None:
        """A negative, non-finite, unparsable or past value is no hint: the read waits the normal backoff."""
        coze_router.get(BOTS_LIST).mock(side_effect=[throttle.answer(retry_after), golden_response(self.PAGE)])
        await self._list(coze_client, coze_calls, sample_workspace_id)
        [delay] = recorded_sleeps
        assert 0.5 <= delay <= 1.0

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        ("retry_after", "asked"),
        [("3600", 3600.0), ("10.5", 10.5), (format_datetime(EPOCH + timedelta(hours=1), usegmt=True), 3600.0)],
        ids=["an-hour", "just-over-the-cap", "http-date-an-hour-ahead"],
    )
    async def test_wait_over_the_cap_fails_at_once(
        self,
        coze_client: AnyCoze,
        throttle: Throttle,
        coze_calls: CozeCalls,
        coze_router: respx.MockRouter,
        recorded_sleeps: list[float],
        sample_workspace_id: str,
        retry_after: str,
        asked: float,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Asked to wait longer than the cap, the read raises its error at once, carrying ``retry_after``."""
        route = coze_router.get(BOTS_LIST).mock(return_value=throttle.answer(retry_after))
        with caplog.at_level(logging.WARNING, logger=LOGGER_NAME), pytest.raises(throttle.error) as caught:
            await self._list(coze_client, coze_calls, sample_workspace_id)
        records = [record for record in caplog.records if record.name == LOGGER_NAME]
        error = caught.value
        assert isinstance(error, CozeRateLimitError | CozeServerError)
        code = golden(throttle.golden)["code"]
        assert (error.code, error.http_status, error.retry_after, error.logid) == (code, throttle.status, asked, LOGID)
        assert (route.call_count, recorded_sleeps) == (1, [])
        assert dict(route.calls.last.request.url.params)["space_id"] == sample_workspace_id
        assert [r.getMessage() for r in records] == [
            f"not retrying: Coze asked to wait {asked:.2f} s, more than the 10.00 s allowed"
        ]

    @pytest.mark.asyncio
    async def test_cap_comes_from_the_policy(
        self,
        coze_client: AnyCoze,
        throttle: Throttle,
        coze_router: respx.MockRouter,
        fake_clock: FakeClock,
        sample_workspace_id: str,
    ) -> None:
        """A policy with a higher cap waits the 30 s Coze asked for."""
        policy = RetryPolicy(
            max_retry_after=60.0, sleep=fake_clock.sleep, asleep=fake_clock.asleep, clock=fake_clock.utc
        )
        coze_router.get(BOTS_LIST).mock(side_effect=[throttle.answer("30"), golden_response(self.PAGE)])
        await self._list(coze_client, CozeCalls(policy), sample_workspace_id)
        assert fake_clock.slept == [30.0]

    def test_cap_comes_from_settings(self, mock_coze_api_token: str) -> None:
        """``COZE_RETRY_AFTER_MAX_SECONDS`` sets the cap; the default is 10 s."""
        assert build_calls(CozeSettings(api_token=mock_coze_api_token)).policy.max_retry_after == 10.0
        settings = CozeSettings(api_token=mock_coze_api_token, retry_after_max_seconds=120)
        assert build_calls(settings).policy.max_retry_after == 120.0


@pytest.mark.asyncio
class TestCozeRetriesWriteRetryAfter:
    """A write is never retried, but its rate-limit error still says how long Coze asked to wait."""

    async def test_http_date_is_counted_from_the_policy_clock(
        self, coze_client: AnyCoze, coze_calls: CozeCalls, coze_router: respx.MockRouter, recorded_sleeps: list[float]
    ) -> None:
        """A ``Retry-After`` HTTP-date on a throttled write becomes seconds from the policy's clock."""
        route = coze_router.post("/v3/chat").mock(
            return_value=_limited(format_datetime(EPOCH + timedelta(seconds=30), usegmt=True))
        )
        with pytest.raises(CozeRateLimitError) as caught:
            await write(coze_client, coze_calls, _chat_create(coze_client))
        assert (caught.value.retry_after, caught.value.logid) == (30.0, LOGID)
        assert (route.call_count, recorded_sleeps) == (1, [])
