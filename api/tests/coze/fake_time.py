"""Time that passes only when the code under test sleeps: no real waiting in any test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: The wall-clock instant the fake clock's ``start`` stands for (HTTP-dates are absolute).
EPOCH = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


class FakeClock:
    """A monotonic clock whose sleeps are recorded and advance it instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def utc(self) -> datetime:
        """The wall-clock time: :data:`EPOCH` at ``start``, advanced by every sleep."""
        return EPOCH + timedelta(seconds=self.now - self.start)

    def sleep(self, seconds: float) -> None:
        """Record the delay and move the clock forward."""
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        """Async twin of :meth:`sleep`."""
        self.sleep(seconds)
