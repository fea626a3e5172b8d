"""Time that passes only when the code under test sleeps: no real waiting in any test."""

from __future__ import annotations


class FakeClock:
    """A monotonic clock whose sleeps are recorded and advance it instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Record the delay and move the clock forward."""
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        """Async twin of :meth:`sleep`."""
        self.sleep(seconds)
