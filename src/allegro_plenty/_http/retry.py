"""Retry decisions: which failures may be re-sent, and how long to wait first."""

from __future__ import annotations

import email.utils
import random
from collections.abc import Callable, Mapping

import attrs
import httpx

from .operation import Retry

__all__ = ["RetryEvent", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# Exceptions raised before a single byte of the request left this machine.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@attrs.frozen
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        initial_delay: The first backoff, in seconds; it doubles per retry.
        max_delay: The backoff cap, in seconds.
        jitter: The fraction of each backoff taken off at random (0 to 1), so
            that workers failing together do not retry together.
        max_retry_after: The longest ``Retry-After`` (or rate-limit backoff)
            honoured; a longer one is raised to the caller as RateLimitError.
        rate_limit_delay: The wait after a 429 that carries no ``Retry-After``;
            it doubles with every further 429. Allegro sends none, and calling
            during its block lengthens the block, so its clients use 60 s.
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
    initial_delay: float = attrs.field(default=0.5, validator=attrs.validators.ge(0))
    max_delay: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    jitter: float = attrs.field(
        default=0.25, validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    max_retry_after: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))
    rate_limit_delay: float = attrs.field(default=1.0, validator=attrs.validators.ge(0))

    def may_retry(self, retry: Retry, failure: httpx.Response | Exception) -> bool:
        """Whether this failure of an operation of class ``retry`` may be re-sent."""
        if retry is Retry.NEVER:
            return False
        if isinstance(failure, Exception):
            if retry is Retry.CONNECT_ERRORS_ONLY:
                return isinstance(failure, NOT_SENT)
            return isinstance(failure, httpx.TransportError)
        if retry is Retry.CONNECT_ERRORS_ONLY:
            return failure.status_code == 429
        return failure.status_code in RETRYABLE_STATUSES

    def backoff(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry number ``attempt`` (0-based), jitter applied."""
        delay = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return delay * (1.0 - self.jitter * rng())

    def rate_limit_backoff(self, throttled: int, rng: Callable[[], float] = random.random) -> float:
        """The wait after the ``throttled``-th (0-based) 429 without Retry-After.

        Jitter is added, never subtracted: coming back early re-opens the block.
        """
        return self.rate_limit_delay * 2.0**throttled * (1.0 + self.jitter * rng())


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait according to ``Retry-After`` (or ``retry-after-ms``).

    Accepts delta-seconds (also fractional) and HTTP dates (relative to ``now``,
    a Unix timestamp). Past dates give 0; garbage gives ``None``.
    """
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(parsed.timestamp() - now, 0.0)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(seconds, 0.0)


@attrs.frozen
class RetryEvent:
    """What a retry hook is told before each retry.

    Attributes:
        service: ``"allegro"`` or ``"plenty"``.
        operation: The operation's name.
        attempt: 1 for the first retry, 2 for the second ...
        delay: Seconds the engine will wait before re-sending.
        reason: The status code or the exception class name that caused it.
    """

    service: str
    operation: str
    attempt: int
    delay: float
    reason: str
