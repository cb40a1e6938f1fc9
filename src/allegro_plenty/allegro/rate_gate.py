"""One rate-limit gate per Allegro application, shared by every client of that application.

Allegro limits an application (a client id) to 9000 requests a minute over all
the sellers it acts for, answers 429 without ``Retry-After`` once over it, and
lengthens the block for every call made during it. So when one client gets a
429, no client of the same application may call until the back-off has
passed: they share an :class:`AllegroRateGate`.

By default every :class:`~allegro_plenty.AllegroClient` and
:class:`~allegro_plenty.AsyncAllegroClient` of a process uses the process-wide
:class:`MemoryRateGate` of its application's client id
(:func:`shared_rate_gate`); clients made from a bare ``access_token`` share the
gate of :data:`NO_APP`. A host that runs several processes passes a gate over
shared storage as ``rate_gate=``: the protocol has two methods and counts time
on the gate's own clock, so a database's ``now()`` serves as well as
:func:`time.monotonic`: :class:`~allegro_plenty.allegro.rate_gate_postgres.PostgresRateGate`
(the ``postgres`` extra) shares it through PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ..errors import ConfigurationError

__all__ = ["NO_APP", "AllegroRateGate", "MemoryRateGate", "shared_rate_gate"]

NO_APP = ""
"""The key under which clients without an :class:`~allegro_plenty.AllegroApp` share a gate."""


@runtime_checkable
class AllegroRateGate(Protocol):
    """Whether an application may call Allegro now; shared by all of its clients.

    Both methods are called from the clients' threads and event loops, so an
    implementation must be thread-safe and must not block for long.
    """

    def wait(self) -> float:
        """Seconds until calls may go again; ``0`` (or less) when they may go now."""
        ...

    def block(self, seconds: float) -> None:
        """Hold every call for ``seconds`` from now; a longer block already set stays."""
        ...


class MemoryRateGate:
    """An :class:`AllegroRateGate` for the threads and tasks of one process.

    Args:
        clock: Monotonic seconds; a test passes its fake clock, the same one
            the clients' ``sleep`` advances.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._open_at = float("-inf")

    def __repr__(self) -> str:
        return f"MemoryRateGate(wait={self.wait():.3f})"

    def wait(self) -> float:
        """Seconds until calls may go again; ``0`` when they may go now."""
        with self._lock:
            return max(self._open_at - self._clock(), 0.0)

    def block(self, seconds: float) -> None:
        """Hold every call for ``seconds`` from now (never shortens a longer block)."""
        if not seconds >= 0:  # also refuses NaN
            raise ConfigurationError(f"a rate-gate block lasts 0 seconds or more, not {seconds!r}")
        with self._lock:
            self._open_at = max(self._open_at, self._clock() + seconds)


_GATES: dict[str, MemoryRateGate] = {}
_GATES_LOCK = threading.Lock()


def shared_rate_gate(client_id: str) -> MemoryRateGate:
    """The process-wide gate of the application ``client_id`` (made on first use)."""
    with _GATES_LOCK:
        gate = _GATES.get(client_id)
        if gate is None:
            gate = _GATES[client_id] = MemoryRateGate()
        return gate
