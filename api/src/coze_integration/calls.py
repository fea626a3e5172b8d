"""Run cozepy calls with typed errors, and retry idempotent reads.

cozepy neither retries nor types its failures. :class:`CozeCalls` wraps one call at a time:
``read`` retries transient failures (network, timeout, rate limit, 5xx) with bounded exponential
backoff and jitter, honouring ``Retry-After`` up to a cap; ``write`` never retries, so a chat, a
workflow run or a conversation is never created twice. ``read_pages`` and ``read_items`` page
through a cozepy list with every page fetched as a ``read``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cozepy import AsyncPagedBase
from cozepy.model import PagedBase
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_exponential_jitter

from coze_integration.errors import (
    Clock,
    CozeIntegrationError,
    CozeRateLimitError,
    CozeServerError,
    typed_errors,
    utc_now,
)
from coze_integration.settings import LOGGER_NAME

T = TypeVar("T")
Page = TypeVar("Page", bound=PagedBase[Any])
APage = TypeVar("APage", bound=AsyncPagedBase[Any])


logger = logging.getLogger(LOGGER_NAME)


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, CozeIntegrationError) and exc.retryable


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.warning("retrying after attempt %d failed, in %.2f s: %s", state.attempt_number, delay, exc)


def _asked_wait(state: RetryCallState) -> float | None:
    exc = state.outcome.exception() if state.outcome else None
    return exc.retry_after if isinstance(exc, CozeRateLimitError | CozeServerError) else None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently idempotent reads are retried.

    ``max_retry_after`` caps what a ``Retry-After`` header (on a rate limit or a 503) may make a
    read wait: a longer wait fails at once with the :class:`CozeRateLimitError` or
    :class:`CozeServerError`, whose ``retry_after`` says how long Coze asked for, so the caller
    decides (queue the work, answer 503, ...). ``clock`` is "now" for a ``Retry-After`` given as
    an HTTP-date.
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Clock = utc_now
    _backoff: wait_exponential_jitter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        backoff = wait_exponential_jitter(multiplier=self.base_delay, max=self.max_delay, jitter=self.base_delay)
        object.__setattr__(self, "_backoff", backoff)

    def delay(self, state: RetryCallState) -> float:
        """Seconds to wait before the next attempt: ``Retry-After`` when Coze sent a usable one."""
        asked = _asked_wait(state)
        return asked if asked is not None else float(self._backoff(state))

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.attempts:
            return True
        asked = _asked_wait(state)
        if asked is None or asked <= self.max_retry_after:
            return False
        logger.warning(
            "not retrying: Coze asked to wait %.2f s, more than the %.2f s allowed", asked, self.max_retry_after
        )
        return True

    def _options(self) -> dict[str, object]:
        return {
            "stop": self._stop,
            "wait": self.delay,
            "retry": retry_if_exception(_is_retryable),
            "before_sleep": _log_retry,
            "reraise": True,
        }


def _attempt(call: Callable[[], T], now: Clock) -> T:
    with typed_errors(now=now):
        return call()


async def _aattempt(call: Callable[[], Awaitable[T]], now: Clock) -> T:
    with typed_errors(now=now):
        return await call()


def _following(page: Page) -> Page | None:
    """The page after ``page``, fetched now, or ``None`` after the last page."""
    # cozepy's ``iter_pages`` yields the page itself first (no request), then fetches the next one.
    pages = page.iter_pages()
    next(pages)
    return next(pages, None)


async def _afollowing(page: APage) -> APage | None:
    """Async twin of :func:`_following`."""
    pages = page.iter_pages()
    await anext(pages)
    return await anext(pages, None)


@dataclass(frozen=True)
class CozeCalls:
    """Typed errors for every call, retries for reads only."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def read(self, call: Callable[[], T]) -> T:
        """Run an idempotent read (list, retrieve), retrying transient failures."""
        retrying = Retrying(sleep=self.policy.sleep, **self.policy._options())  # type: ignore[arg-type]
        result: T = retrying(_attempt, call, self.policy.clock)
        return result

    def read_pages(self, call: Callable[[], Page]) -> Iterator[Page]:
        """Every page of a cozepy list, each page fetched as a :meth:`read` when iteration reaches it.

        ``call`` returns the first page: ``bots.list``, ``workspaces.list``, ``conversations.list``,
        ``conversations.messages.list``. cozepy fetches later pages lazily while its pager is
        iterated, outside any ``read``: a failure on page 2 would escape untyped and never be
        retried. Here page 2 fails with the same typed error as page 1, after the same retries.
        """
        page: Page | None = self.read(call)
        while page is not None:
            yield page
            page = self.read(functools.partial(_following, page))

    def read_items(self, call: Callable[[], PagedBase[T]]) -> Iterator[T]:
        """The items of every page of :meth:`read_pages`, in order."""
        for page in self.read_pages(call):
            yield from page.items

    def write(self, call: Callable[[], T]) -> T:
        """Run a call that creates or changes something, exactly once."""
        return _attempt(call, self.policy.clock)

    async def aread(self, call: Callable[[], Awaitable[T]]) -> T:
        """Async twin of :meth:`read`."""
        retrying = AsyncRetrying(sleep=self.policy.asleep, **self.policy._options())  # type: ignore[arg-type]
        return await retrying(_aattempt, call, self.policy.clock)

    async def aread_pages(self, call: Callable[[], Awaitable[APage]]) -> AsyncIterator[APage]:
        """Async twin of :meth:`read_pages`."""
        page: APage | None = await self.aread(call)
        while page is not None:
            yield page
            page = await self.aread(functools.partial(_afollowing, page))

    async def aread_items(self, call: Callable[[], Awaitable[AsyncPagedBase[T]]]) -> AsyncIterator[T]:
        """Async twin of :meth:`read_items`."""
        async for page in self.aread_pages(call):
            for item in page.items:
                yield item

    async def awrite(self, call: Callable[[], Awaitable[T]]) -> T:
        """Async twin of :meth:`write`."""
        return await _aattempt(call, self.policy.clock)
