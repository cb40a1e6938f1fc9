"""Reference data kept for a while, fetched once however many callers ask at the same time.

:func:`cached` is a plan: it serves a fresh entry from :class:`TtlCache`, and
otherwise takes the key's lock (a ``Call("locks", "acquire", key)``), looks
again, and only then runs the loading plan. Callers that waited on the lock
find the entry the first one stored, so N threads (:class:`ThreadLocks`) or N
tasks (:class:`TaskLocks`) asking for the countries cause one request.

A drop (after a write that changes the list) wins over a load that was already
running: the load's answer may predate the write, so it is handed to its
caller but not kept.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ._plan import Call, Plan

__all__ = ["LOCKS", "Held", "TaskLocks", "ThreadLocks", "TtlCache", "cached"]

T = TypeVar("T")
L = TypeVar("L", threading.Lock, asyncio.Lock)

LOCKS = "locks"
"""The resource name plans use for the per-key locks."""

_MISS: Any = object()


class TtlCache:
    """Entries kept ``ttl`` seconds on ``clock`` (a monotonic clock)."""

    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self._ttl = ttl
        self._clock = clock
        self._guard = threading.Lock()
        self._values: dict[str, tuple[float, Any]] = {}
        self._drops: dict[str, int] = {}

    def get(self, key: str) -> Any:
        """The entry, or the miss marker when absent or expired."""
        with self._guard:
            hit = self._values.get(key)
        if hit is None or self._clock() >= hit[0]:
            return _MISS
        return hit[1]

    def drops(self, key: str) -> int:
        """How often ``key`` was dropped so far (to tell whether a load is stale)."""
        with self._guard:
            return self._drops.get(key, 0)

    def put(self, key: str, value: T, *, drops: int) -> T:
        """Keep ``value`` unless ``key`` was dropped since ``drops`` was read; return it."""
        with self._guard:
            if self._drops.get(key, 0) == drops:
                self._values[key] = (self._clock() + self._ttl, value)
        return value

    def drop(self, key: str) -> None:
        """Forget ``key``; a load running now is not kept."""
        with self._guard:
            self._values.pop(key, None)
            self._drops[key] = self._drops.get(key, 0) + 1


class Held:
    """A lock taken by :meth:`ThreadLocks.acquire` or :meth:`TaskLocks.acquire`."""

    def __init__(self, release: Callable[[], None]) -> None:
        self.release = release


class _KeyedLocks(Generic[L]):
    """One lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self, make: Callable[[], L]) -> None:
        self._make: Callable[[], L] = make
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[L, int]] = {}

    def _enter(self, key: str) -> L:
        with self._guard:
            lock, users = self._locks.get(key) or (self._make(), 0)
            self._locks[key] = (lock, users + 1)
            return lock

    def _leave(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def _held(self, key: str, lock: L) -> Held:
        def release() -> None:
            lock.release()
            self._leave(key)

        return Held(release)


class ThreadLocks(_KeyedLocks[threading.Lock]):
    """Per-key locks for threads (the sync clients)."""

    def __init__(self) -> None:
        super().__init__(threading.Lock)

    def acquire(self, key: str) -> Held:
        """Wait for ``key``'s lock; release what this returns."""
        lock = self._enter(key)
        try:
            lock.acquire()
        except BaseException:
            self._leave(key)
            raise
        return self._held(key, lock)


class TaskLocks(_KeyedLocks[asyncio.Lock]):
    """Per-key locks for tasks (the async clients); a cancelled waiter leaves cleanly."""

    def __init__(self) -> None:
        super().__init__(asyncio.Lock)

    async def acquire(self, key: str) -> Held:
        """Wait for ``key``'s lock; release what this returns."""
        lock = self._enter(key)
        try:
            await lock.acquire()
        except BaseException:
            self._leave(key)
            raise
        return self._held(key, lock)


def cached(cache: TtlCache, key: str, load: Plan[T]) -> Plan[T]:
    """``cache[key]`` if fresh, else ``load``'s result, loaded once for every waiting caller."""
    hit = cache.get(key)
    if hit is not _MISS:
        return hit  # type: ignore[no-any-return]
    held: Held = yield Call(LOCKS, "acquire", (key,))
    try:
        hit = cache.get(key)  # whoever held the lock before us may have loaded it
        if hit is not _MISS:
            return hit  # type: ignore[no-any-return]
        drops = cache.drops(key)
        return cache.put(key, (yield from load), drops=drops)
    finally:
        held.release()
