"""plentymarkets' call limits, as the fake enforces them.

Written from plentymarkets' documentation (``limits.adoc`` in
plentymarkets/api-doc), independently of the client's throttle in
:mod:`allegro_plenty.plenty`, so that a test of one against the other proves
something. Three periods, each a bucket that refills completely when its
period ends:

* ``Global-Long-Period``: calls per day for the whole system (reads and writes
  counted apart), shared with the web shop and every other channel;
* ``Global-Short-Period``: calls per minute per back-end user (reads and writes
  counted apart);
* ``Route``: calls per period per user for one route, where plentymarkets
  throttles a route on its own.

Every answer carries ``X-Plenty-<Period>-Limit``, ``-Calls-Left`` and
``-Decay`` (seconds until the bucket refills). A call that finds a bucket
empty is refused with 429, ``Retry-After`` and ``X-Plenty-<Period>-Calls-Reset``
(a Unix timestamp), and consumes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

__all__ = ["BASIC", "CLASSIC", "FLEX", "PLUS", "LimitDecision", "PlentyLimiter", "PlentyPlan"]


@attrs.frozen
class PlentyPlan:
    """The call limits of a plentymarkets plan.

    Attributes:
        name: The plan's name.
        reads_per_minute: Read calls per back-end user per minute.
        writes_per_minute: Write calls per back-end user per minute.
        reads_per_day: Read calls per system per day.
        writes_per_day: Write calls per system per day.
    """

    name: str
    reads_per_minute: int
    writes_per_minute: int
    reads_per_day: int
    writes_per_day: int


BASIC = PlentyPlan("Basic", 80, 40, 59_760, 17_280)
CLASSIC = PlentyPlan("Classic", 200, 80, 166_000, 48_000)
FLEX = PlentyPlan("Flex", 240, 100, 282_000, 72_000)
PLUS = PlentyPlan("Plus", 280, 120, 282_000, 72_000)


@attrs.define
class _Bucket:
    limit: int
    period: float
    left: int = attrs.field(init=False)
    resets_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        self.left = self.limit

    def refill(self, now: datetime) -> None:
        """Start a new period if the current one is over."""
        if self.resets_at is None or now >= self.resets_at:
            self.left = self.limit
            self.resets_at = now + timedelta(seconds=self.period)

    def decay(self, now: datetime) -> int:
        """Seconds until the bucket refills, as the ``-Decay`` header says."""
        if self.resets_at is None:
            return math.ceil(self.period)
        return max(0, math.ceil((self.resets_at - now).total_seconds()))


@attrs.frozen
class LimitDecision:
    """The limiter's verdict on one call.

    Attributes:
        allowed: Whether the call may go through (it was counted if so).
        headers: The ``X-Plenty-*`` headers for the answer.
        retry_after: For a refused call: seconds until every empty bucket refills.
    """

    allowed: bool
    headers: tuple[tuple[str, str], ...]
    retry_after: int | None = None


class PlentyLimiter:
    """Counts calls per period and refuses those over a limit.

    Args:
        plan: The per-user and per-system limits.
        route_limits: ``{"POST /rest/orders": (calls, seconds)}`` for routes
            plentymarkets throttles on their own. Other routes report the
            short-period limit in their ``X-Plenty-Route-*`` headers.
        short_period: Seconds of the short period (60).
        long_period: Seconds of the long period (a day).
    """

    def __init__(
        self,
        plan: PlentyPlan = CLASSIC,
        *,
        route_limits: Mapping[str, tuple[int, float]] | None = None,
        short_period: float = 60.0,
        long_period: float = 86_400.0,
    ) -> None:
        self.plan = plan
        self.route_limits = dict(route_limits or {})
        self.short_period = short_period
        self.long_period = long_period
        self._buckets: dict[tuple[str, ...], _Bucket] = {}

    def __repr__(self) -> str:
        return f"PlentyLimiter(plan={self.plan.name}, routes={sorted(self.route_limits)})"

    def _bucket(self, key: tuple[str, ...], limit: int, period: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, period)
        return bucket

    def _buckets_for(self, route: str, user: str, write: bool) -> list[tuple[str, _Bucket]]:
        kind = "write" if write else "read"
        plan = self.plan
        short = plan.writes_per_minute if write else plan.reads_per_minute
        route_limit, route_period = self.route_limits.get(route, (short, self.short_period))
        return [
            (
                "Global-Long-Period",
                self._bucket(
                    ("long", kind),
                    plan.writes_per_day if write else plan.reads_per_day,
                    self.long_period,
                ),
            ),
            ("Global-Short-Period", self._bucket(("short", user, kind), short, self.short_period)),
            ("Route", self._bucket(("route", route, user), route_limit, route_period)),
        ]

    def check(self, route: str, user: str, *, write: bool, now: datetime) -> LimitDecision:
        """Count one call of ``user`` on ``route`` at ``now``, or refuse it."""
        buckets = self._buckets_for(route, user, write)
        for _, bucket in buckets:
            bucket.refill(now)
        empty = [(name, b) for name, b in buckets if b.left <= 0]
        if not empty:
            for _, bucket in buckets:
                bucket.left -= 1
        headers: list[tuple[str, str]] = []
        for name, bucket in buckets:
            headers += [
                (f"X-Plenty-{name}-Limit", str(bucket.limit)),
                (f"X-Plenty-{name}-Calls-Left", str(bucket.left)),
                (f"X-Plenty-{name}-Decay", str(bucket.decay(now))),
            ]
        if not empty:
            return LimitDecision(True, tuple(headers))
        wait = max(b.decay(now) for _, b in empty)
        for name, bucket in empty:
            reset = now + timedelta(seconds=bucket.decay(now))
            headers.append((f"X-Plenty-{name}-Calls-Reset", str(int(reset.timestamp()))))
        headers.append(("Retry-After", str(max(1, wait))))
        return LimitDecision(False, tuple(headers), max(1, wait))

    def snapshot(
        self, route: str, user: str, *, write: bool, now: datetime
    ) -> tuple[tuple[str, str], ...]:
        """The headers as they stand, without counting a call (for a 429 fault)."""
        headers: list[tuple[str, str]] = []
        for name, bucket in self._buckets_for(route, user, write):
            bucket.refill(now)
            headers += [
                (f"X-Plenty-{name}-Limit", str(bucket.limit)),
                (f"X-Plenty-{name}-Calls-Left", str(bucket.left)),
                (f"X-Plenty-{name}-Decay", str(bucket.decay(now))),
            ]
        return tuple(headers)
