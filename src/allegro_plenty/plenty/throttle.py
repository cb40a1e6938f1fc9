"""Pacing plentymarkets calls by the rate-limit headers, so that they never run out.

Every plenty response carries three limits, each as ``<PREFIX>-Limit``,
``<PREFIX>-Calls-Left`` and ``<PREFIX>-Decay`` (seconds until the period
resets): ``X-Plenty-Global-Long-Period`` (per system and day),
``X-Plenty-Global-Short-Period`` (per user and minute) and ``X-Plenty-Route``
(a route's own limit). Read and write calls have separate limits (plentymarkets
docs, ``limits.adoc``), so the throttle keeps separate windows for them.

The throttle admits a call only if, after it, every window still has a call
left; otherwise the caller waits for the window to decay instead of running
into a 429. Calls admitted but not yet answered are counted against each
window, so threads and tasks sharing a client cannot overshoot together, and
whatever the headers report lower (other workers, the web shop) wins.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import attrs
import httpx

from .._http.operation import Operation
from .._http.retry import parse_retry_after
from ..errors import BudgetExhaustedError  # defined there, importable from here

__all__ = [
    "GLOBAL_LONG",
    "GLOBAL_SHORT",
    "ROUTE",
    "BudgetExhaustedError",
    "PlentyBudget",
    "PlentyThrottle",
    "RateLimit",
]

GLOBAL_LONG = "global-long"
GLOBAL_SHORT = "global-short"
ROUTE = "route"
_PREFIXES = {
    GLOBAL_LONG: "x-plenty-global-long-period",
    GLOBAL_SHORT: "x-plenty-global-short-period",
    ROUTE: "x-plenty-route",
}
_SCOPE_ORDER = {GLOBAL_LONG: 0, GLOBAL_SHORT: 1, ROUTE: 2}
_NEW_WINDOW = 1.5
"""A reported end this much later than the known one means the server started a new window."""


def _share(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not 0 < value <= 1:
        raise ValueError(f"{attribute.name} must be in (0, 1], got {value!r}")


def _reserve(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value < 1:
        raise ValueError(f"{attribute.name} must be in [0, 1), got {value!r}")


@attrs.frozen
class PlentyBudget:
    """How much of the shop's plentymarkets limits this integration may use.

    The limits belong to the whole system: the web shop, other channels and
    other integrations draw on the same daily budget.

    Attributes:
        share: The fraction of each per-minute limit (``Global-Short-Period``)
            this integration uses at most.
        write_share: The same for write calls; defaults to ``share``.
        long_period_reserve: The fraction of the daily limit
            (``Global-Long-Period``) left untouched for the rest of the shop.
            When only the reserve is left, calls raise
            :class:`BudgetExhaustedError` instead of waiting for hours.
        max_wait: The longest the throttle lets a call wait, in seconds; a
            longer wait raises :class:`BudgetExhaustedError`.
    """

    share: float = attrs.field(default=1.0, validator=_share)
    write_share: float | None = attrs.field(default=None, validator=_share)
    long_period_reserve: float = attrs.field(default=0.0, validator=_reserve)
    max_wait: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))

    def share_for(self, kind: str) -> float:
        """The per-minute share for ``"read"`` or ``"write"`` calls."""
        if kind == "write" and self.write_share is not None:
            return self.write_share
        return self.share


@attrs.frozen
class RateLimit:
    """One limit as plentymarkets last reported it (for monitoring).

    Attributes:
        scope: ``"global-long"`` (per day), ``"global-short"`` (per minute) or
            ``"route"``.
        kind: ``"read"`` or ``"write"``: the kind of call that reported it.
        operation: For route limits, the library's name of the call.
        limit: Calls allowed in the period.
        calls_left: Calls left when the response was sent.
        decay: Seconds until the period reset, as reported.
        observed_at: When the response arrived.
    """

    scope: str
    kind: str
    operation: str | None
    limit: int
    calls_left: int
    decay: float
    observed_at: datetime


@attrs.define
class _Window:
    limit: int | None = None
    left: int | None = None
    """Calls left once every admitted call has been counted; ``None`` until reported."""
    ends_at: float | None = None
    """When the period ends (clock seconds, as reported); ``None`` when unknown."""
    rolled_at: float | None = None
    ours: int = 0
    """Calls this throttle admitted in the current period (for the budget's share)."""
    in_flight: collections.deque[float] = attrs.field(factory=collections.deque)


_Key = tuple[str, str]


class PlentyThrottle:
    """Paces the calls of every thread and task sharing one plenty client.

    Args:
        budget: This integration's share of the limits.
        enabled: ``False`` only reads the headers (for :attr:`limits`) and lets
            every call go at once.
        clock: Monotonic seconds; inject the test clock.
        margin: Seconds added to every reported decay: ``Decay`` is whole
            seconds, rounded one way or the other.
        stale_after: An admitted call with no response after this many seconds
            (its connection failed) stops counting as in flight.
    """

    def __init__(
        self,
        budget: PlentyBudget | None = None,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        margin: float = 1.0,
        stale_after: float = 120.0,
    ) -> None:
        self.budget = budget or PlentyBudget()
        self.enabled = enabled
        self._clock = clock
        self._margin = margin
        self._stale_after = stale_after
        self._lock = threading.Lock()
        self._windows: dict[_Key, _Window] = {}
        self._blocked_until: dict[str, float] = {}
        self._seen: dict[_Key, RateLimit] = {}

    def __repr__(self) -> str:
        return f"PlentyThrottle(enabled={self.enabled}, budget={self.budget!r})"

    @property
    def limits(self) -> tuple[RateLimit, ...]:
        """The last reported state of every limit seen so far."""
        with self._lock:
            seen = list(self._seen.values())
        return tuple(sorted(seen, key=lambda r: (_SCOPE_ORDER[r.scope], r.kind, r.operation or "")))

    # --- the engine's hooks -----------------------------------------------------

    def before_send(self, operation: Operation[Any]) -> float:
        """Admit the call (return 0) or say how long to wait before asking again."""
        if not self.enabled:
            return 0.0
        kind = _kind(operation)
        now = self._clock()
        with self._lock:
            keys = self._keys(operation.name, kind)
            windows = [self._window(key, now) for key in keys]
            wait, worst = self._blocked_until.get(kind, now) - now, GLOBAL_SHORT
            for key, window in zip(keys, windows, strict=True):
                needed = self._wait_for(key[0], kind, window, now)
                if needed > wait:
                    wait, worst = needed, key[0]
            if wait > 0:
                if wait > self.budget.max_wait:
                    raise BudgetExhaustedError(
                        scope=worst, kind=kind, operation=operation.name, wait=wait
                    )
                return wait
            for window in windows:
                if window.left is not None:
                    window.left -= 1
                window.ours += 1
                window.in_flight.append(now)
            return 0.0

    def after_response(self, operation: Operation[Any], response: httpx.Response) -> None:
        """Read the rate-limit headers of ``response``."""
        kind = _kind(operation)
        now = self._clock()
        reported = _read_headers(response.headers)
        with self._lock:
            for key in self._keys(operation.name, kind):
                window = self._windows.get(key)
                if window is not None and window.in_flight:
                    window.in_flight.popleft()
            exhausted = []
            for scope, (limit, left, decay) in reported.items():
                key = (scope, operation.name if scope == ROUTE else kind)
                self._observe(self._window(key, now), now, limit, left, decay)
                self._seen[key] = RateLimit(
                    scope=scope,
                    kind=kind,
                    operation=operation.name if scope == ROUTE else None,
                    limit=limit,
                    calls_left=left,
                    decay=decay,
                    observed_at=datetime.now(timezone.utc),
                )
                if left <= 0:
                    exhausted.append(key)
            if response.status_code == 429 and b"too_many_concurrent_sessions" not in (
                response.content
            ):
                self._blocked(kind, exhausted, response, now)

    # --- internals ----------------------------------------------------------------

    @staticmethod
    def _keys(operation: str, kind: str) -> list[_Key]:
        return [(GLOBAL_LONG, kind), (GLOBAL_SHORT, kind), (ROUTE, operation)]

    def _window(self, key: _Key, now: float) -> _Window:
        window = self._windows.setdefault(key, _Window())
        while window.in_flight and now - window.in_flight[0] > self._stale_after:
            window.in_flight.popleft()
        if window.ends_at is not None and now >= window.ends_at + self._margin:
            # The period is over: the whole limit is back, less what is still in flight
            # (it may be counted in the new period).
            window.left = None if window.limit is None else window.limit - len(window.in_flight)
            window.ours = 0
            window.ends_at = None
            window.rolled_at = now
        return window

    def _wait_for(self, scope: str, kind: str, window: _Window, now: float) -> float:
        if window.limit is None or window.left is None:
            return 0.0
        keep = 1  # calls-left never reaches zero
        if scope == GLOBAL_LONG:
            keep = max(keep, math.ceil(window.limit * self.budget.long_period_reserve))
        keep = min(keep, window.limit - 1)
        full = window.left - 1 < keep
        if scope == GLOBAL_SHORT:
            allowed = max(1, math.floor(window.limit * self.budget.share_for(kind)))
            full = full or window.ours >= allowed
        if not full:
            return 0.0
        if window.ends_at is None:
            return self._margin  # a response in flight will say when the period ends
        return max(window.ends_at + self._margin - now, 0.001)

    def _observe(self, window: _Window, now: float, limit: int, left: int, decay: float) -> None:
        ends_at = now + decay
        server_left = left - len(window.in_flight)
        window.limit = limit
        if window.ends_at is None:
            if window.rolled_at is not None and ends_at < window.rolled_at:
                return  # a late answer from the period that is already over
            window.ends_at = ends_at
            window.left = server_left if window.left is None else min(window.left, server_left)
        elif ends_at > window.ends_at + _NEW_WINDOW:
            # The server started a new period before this throttle rolled over.
            window.ends_at = ends_at
            window.left = server_left
            window.ours = 0
        else:
            window.ends_at = max(window.ends_at, ends_at)
            window.left = server_left if window.left is None else min(window.left, server_left)

    def _blocked(
        self, kind: str, exhausted: list[_Key], response: httpx.Response, now: float
    ) -> None:
        retry_after = parse_retry_after(response.headers, time.time())
        if retry_after is None:
            return
        if not exhausted:
            self._blocked_until[kind] = max(self._blocked_until.get(kind, now), now + retry_after)
        for key in exhausted:
            window = self._windows[key]
            window.left = 0
            window.ends_at = max(window.ends_at or now, now + retry_after)


def _kind(operation: Operation[Any]) -> str:
    return "write" if operation.is_write else "read"


def _read_headers(headers: httpx.Headers) -> dict[str, tuple[int, int, float]]:
    out = {}
    for scope, prefix in _PREFIXES.items():
        try:
            limit = int(headers[f"{prefix}-limit"])
            left = int(headers[f"{prefix}-calls-left"])
            decay = float(headers[f"{prefix}-decay"])
        except (KeyError, ValueError):
            continue
        if limit > 0 and decay >= 0 and math.isfinite(decay):
            out[scope] = (limit, left, decay)
    return out
