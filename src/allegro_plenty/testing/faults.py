"""Fault injection for the fakes: deterministic, per route or global.

A fault replaces (or follows) the normal handling of one request::

    plenty.faults.inject(Fault.response_lost(), route="POST /rest/orders", times=1)
    allegro.faults.inject(Fault.server_error(503), probability=0.2)  # every route
    allegro.faults.seed(7)  # the same dice on every run

Every kind except :meth:`Fault.response_lost` fails *before* the fake touches
its state: nothing was done, and a retry is harmless. ``response_lost`` is the
dangerous one: the write is committed, then the answer is lost on the way back
(a reset, a timeout or a 5xx), so a client that re-sends it blindly does the
write twice. That is how naive importers duplicate orders.
"""

from __future__ import annotations

import enum
import fnmatch
import random
import threading

import attrs

__all__ = ["Fault", "FaultKind", "FaultRule", "Faults"]


class FaultKind(enum.Enum):
    """What goes wrong."""

    SERVER_ERROR = "server_error"
    """A 5xx answer; the request was not processed."""
    TIMEOUT = "timeout"
    """No answer in time; the request was not processed."""
    RESET = "reset"
    """The connection is reset before an answer; the request was not processed."""
    RATE_LIMITED = "rate_limited"
    """A 429 in the service's own format; the request was not processed."""
    RESPONSE_LOST = "response_lost"
    """The request *was* processed and committed; its answer is lost."""


_LOST_VIA = (FaultKind.RESET, FaultKind.TIMEOUT, FaultKind.SERVER_ERROR)


@attrs.frozen
class Fault:
    """One injected failure. Build it with the class methods.

    Attributes:
        kind: What goes wrong.
        status: The HTTP status of a ``SERVER_ERROR`` (or of a response lost
            ``via`` a server error).
        retry_after: For ``RATE_LIMITED``: the ``Retry-After`` seconds to send,
            where the service sends one (plentymarkets does, Allegro does not).
        via: For ``RESPONSE_LOST``: how the answer is lost.
    """

    kind: FaultKind
    status: int = 503
    retry_after: int | None = None
    via: FaultKind = FaultKind.RESET

    def __attrs_post_init__(self) -> None:
        if not 500 <= self.status <= 599:
            raise ValueError(f"a server error has a 5xx status, not {self.status}")
        if self.via not in _LOST_VIA:
            raise ValueError(
                f"a response is lost via reset, timeout or server_error, not {self.via}"
            )

    @property
    def commits(self) -> bool:
        """Whether the request is processed before the failure."""
        return self.kind is FaultKind.RESPONSE_LOST

    @property
    def outcome(self) -> FaultKind:
        """What the client experiences (``RESPONSE_LOST`` resolved to its ``via``)."""
        return self.via if self.kind is FaultKind.RESPONSE_LOST else self.kind

    @classmethod
    def server_error(cls, status: int = 503) -> Fault:
        """Answer ``status`` (5xx) without processing the request."""
        return cls(FaultKind.SERVER_ERROR, status=status)

    @classmethod
    def timeout(cls) -> Fault:
        """Never answer; the client's read timeout fires. Nothing is processed."""
        return cls(FaultKind.TIMEOUT)

    @classmethod
    def reset(cls) -> Fault:
        """Reset the connection without an answer. Nothing is processed."""
        return cls(FaultKind.RESET)

    @classmethod
    def rate_limited(cls, retry_after: int | None = None) -> Fault:
        """Answer 429 in the service's format. Nothing is processed."""
        return cls(FaultKind.RATE_LIMITED, retry_after=retry_after)

    @classmethod
    def response_lost(cls, via: str = "reset", *, status: int = 502) -> Fault:
        """Process and commit the request, then lose the answer.

        Args:
            via: ``"reset"``, ``"timeout"`` or ``"server_error"`` (a 5xx
                answer although the write went through, as a proxy in front of
                the service would send).
            status: The status when ``via="server_error"``.
        """
        return cls(FaultKind.RESPONSE_LOST, status=status, via=FaultKind(via))


@attrs.define
class FaultRule:
    """When to inject a fault. Made by :meth:`Faults.inject`.

    Attributes:
        fault: The fault.
        route: A route name (``"POST /rest/orders"``) or a shell pattern over
            route names (``"GET /order/*"``, ``"*"`` for every route).
        times: How many more times it may fire (``None``: no limit).
        probability: The chance it fires on a matching request.
        after: How many matching requests to let through before it may fire.
        fired: How often it has fired.
    """

    fault: Fault
    route: str = "*"
    times: int | None = None
    probability: float = 1.0
    after: int = 0
    fired: int = 0
    seen: int = 0

    def matches(self, route: str) -> bool:
        """Whether this rule applies to ``route``."""
        return self.route == route or fnmatch.fnmatchcase(route, self.route)


@attrs.frozen
class InjectedFault:
    """A fault that was injected: on which route, and which."""

    route: str
    fault: Fault


class Faults:
    """The fault plan of one fake. Rules are tried in the order they were added.

    Deterministic: with the same seed and the same sequence of requests, the
    same requests fail.
    """

    def __init__(self, seed: int = 0) -> None:
        self._rules: list[FaultRule] = []
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: list[InjectedFault] = []
        """Every fault actually injected, in order."""

    def __repr__(self) -> str:
        return f"Faults(rules={len(self._rules)}, injected={len(self.injected)})"

    def seed(self, seed: int) -> None:
        """Reset the random source (for probabilistic rules)."""
        with self._lock:
            self._rng = random.Random(seed)

    def inject(
        self,
        fault: Fault,
        *,
        route: str = "*",
        times: int | None = 1,
        probability: float = 1.0,
        after: int = 0,
    ) -> FaultRule:
        """Add a rule; returns it (its ``fired`` counter is live).

        Args:
            fault: What to inject.
            route: The route name or a pattern; ``"*"`` for every route.
            times: How often it may fire; ``None`` for every matching request.
            probability: The chance it fires on each matching request.
            after: Let this many matching requests through first.
        """
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        rule = FaultRule(fault, route=route, times=times, probability=probability, after=after)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule (the history in :attr:`injected` stays)."""
        with self._lock:
            self._rules.clear()

    def pick(self, route: str) -> Fault | None:
        """The fault for the next request on ``route``, if any fires."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(route):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                self.injected.append(InjectedFault(route, rule.fault))
                return rule.fault
            return None
