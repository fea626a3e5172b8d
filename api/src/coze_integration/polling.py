"""Polling with an injectable sleep and clock, shared by chat and workflow waits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PollPolicy:
    """Poll every ``interval`` seconds until ``timeout`` seconds have passed."""

    interval: float = 1.0
    timeout: float = 300.0
    sleep: Callable[[float], None] = time.sleep
    asleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic

    def deadline(self) -> Deadline:
        """A deadline ``timeout`` seconds from now."""
        return Deadline(self, self.clock() + self.timeout)


@dataclass(frozen=True)
class Deadline:
    """The moment a poll loop gives up."""

    policy: PollPolicy
    at: float

    def passed(self) -> bool:
        """Whether waiting one more interval would overrun the deadline."""
        return self.policy.clock() + self.policy.interval > self.at


#: Poll every second for up to five minutes, sleeping for real.
DEFAULT_POLICY = PollPolicy()
