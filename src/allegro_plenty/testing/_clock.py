"""Clocks for the fakes: the real one, and one that only moves when a test moves it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock"]


class Clock(Protocol):
    """What the fakes ask of a clock: the current time, timezone-aware, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        ...


class SystemClock:
    """The real time (for a fake serving separate processes that wait for real)."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock that stands still until told to move.

    Hand the same instance to a fake and, as ``sleep``, to a client: every
    backoff or throttle wait the client takes then advances the fake's time
    instead of blocking, so token expiry, rate-limit decay and event retention
    all happen in zero wall-clock time.

    Args:
        start: The initial time (timezone-aware). By default the real time at
            creation, to the second: clients that judge token expiry on the
            real clock then agree with the fake until the test moves time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(timezone.utc).replace(microsecond=0)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._start = start.astimezone(timezone.utc)
        self._offset = 0.0
        self._lock = threading.Lock()
        self.slept: list[float] = []
        """Every duration passed to :meth:`sleep` or :meth:`async_sleep`, in order."""

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now().isoformat()})"

    def now(self) -> datetime:
        """The current fake time in UTC."""
        with self._lock:
            return self._start + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        """Seconds since the clock was made (a drop-in for ``time.monotonic``)."""
        with self._lock:
            return self._offset

    def time(self) -> float:
        """Seconds since the epoch (a drop-in for ``time.time``)."""
        return self.now().timestamp()

    def advance(self, seconds: float | timedelta) -> None:
        """Move time forward."""
        delta = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if delta < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += delta

    def sleep(self, seconds: float) -> None:
        """A ``time.sleep`` replacement: advances the clock and returns at once."""
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))

    async def async_sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` replacement: advances the clock and returns at once."""
        self.sleep(seconds)
