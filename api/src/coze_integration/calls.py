"""Run cozepy calls with typed errors, and retry idempotent reads.

cozepy neither retries nor types its failures. :class:`CozeCalls` wraps one call at a time:
``read`` retries transient failures (network, timeout, rate limit, 5xx) with bounded exponential
backoff and jitter, honouring ``Retry-After``; ``write`` never retries, so a chat, a workflow run
or a conversation is never created twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from coze_integration.errors import CozeIntegrationError, CozeRateLimitError
from coze_integration.logs import LOGGER_NAME
from coze_integration.translate import translate
from coze_integration.wire import forget_exchange, last_exchange

T = TypeVar("T")


logger = logging.getLogger(LOGGER_NAME)


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, CozeIntegrationError) and exc.retryable


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    delay = state.next_action.sleep if state.next_action else 0.0
    logger.warning("retrying after attempt %d failed, in %.2f s: %s", state.attempt_number, delay, exc)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently idempotent reads are retried."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _backoff: wait_exponential_jitter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        backoff = wait_exponential_jitter(multiplier=self.base_delay, max=self.max_delay, jitter=self.base_delay)
        object.__setattr__(self, "_backoff", backoff)

    def delay(self, state: RetryCallState) -> float:
        """Seconds to wait before the next attempt: ``Retry-After`` when Coze sent one."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, CozeRateLimitError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _options(self) -> dict[str, object]:
        return {
            "stop": stop_after_attempt(self.attempts),
            "wait": self.delay,
            "retry": retry_if_exception(_is_retryable),
            "before_sleep": _log_retry,
            "reraise": True,
        }


@contextmanager
def typed_errors(
    first: Callable[[Exception], CozeIntegrationError | None] | None = None,
) -> Iterator[None]:
    """Re-raise cozepy and httpx failures inside the block as :class:`CozeIntegrationError`.

    ``first`` gets a chance to type the failure before the general translation (streams use it
    to attach what they received so far).
    """
    forget_exchange()
    try:
        yield
    except Exception as exc:
        typed = (first(exc) if first else None) or translate(exc, last_exchange())
        if typed is None or typed is exc:
            raise
        raise typed from exc


def _attempt(call: Callable[[], T]) -> T:
    with typed_errors():
        return call()


async def _aattempt(call: Callable[[], Awaitable[T]]) -> T:
    with typed_errors():
        return await call()


@dataclass(frozen=True)
class CozeCalls:
    """Typed errors for every call, retries for reads only."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def read(self, call: Callable[[], T]) -> T:
        """Run an idempotent read (list, retrieve), retrying transient failures."""
        retrying = Retrying(sleep=self.policy.sleep, **self.policy._options())  # type: ignore[arg-type]
        result: T = retrying(_attempt, call)
        return result

    def write(self, call: Callable[[], T]) -> T:
        """Run a call that creates or changes something, exactly once."""
        return _attempt(call)

    async def aread(self, call: Callable[[], Awaitable[T]]) -> T:
        """Async twin of :meth:`read`."""
        retrying = AsyncRetrying(sleep=self.policy.asleep, **self.policy._options())  # type: ignore[arg-type]
        return await retrying(_aattempt, call)

    async def awrite(self, call: Callable[[], Awaitable[T]]) -> T:
        """Async twin of :meth:`write`."""
        return await _aattempt(call)
