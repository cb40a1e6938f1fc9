"""The psycopg pools behind the PostgreSQL ledgers and token store.

The one module that imports psycopg first, so a missing extra is reported in
one way. A pool is the host's (used as given) or the library's own: opened on
first use, and replaced in a forked child, whose inherited connections are the
parent's sessions and must be neither used nor closed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Generic, TypeVar

try:
    import psycopg
    from psycopg import conninfo
    from psycopg_pool import AsyncConnectionPool, ConnectionPool
except ImportError as missing:  # tested in a subprocess without psycopg
    raise ImportError(
        "PostgreSQL support needs psycopg 3 and psycopg_pool, which the 'postgres' "
        "extra installs: pip install 'allegro-plenty[postgres]'"
    ) from missing

__all__ = ["AsyncConnectionPool", "ConnectionPool", "Pools", "psycopg", "where"]

PoolT = TypeVar("PoolT", ConnectionPool[Any], AsyncConnectionPool[Any])

# Pools a forked child inherited from its parent: never used and never closed
# (closing would end the parent's sessions on the shared sockets), and kept
# from the collector for the same reason.
_INHERITED: list[object] = []


def where(dsn: str) -> str | None:
    """Server, user and database of a connection string, for messages: never the password.

    ``None`` when it is no connection string (psycopg's own message may quote
    it, password and all, so the caller says so in its own words).
    """
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return None
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    user = parts.get("user") or "?"
    return f"postgresql://{user}@{host}:{parts.get('port') or 5432}/{parts.get('dbname') or '?'}"


class Pools(Generic[PoolT]):
    """The pool a handle uses in this process.

    Args:
        kind: ``ConnectionPool`` or ``AsyncConnectionPool``.
        dsn: The connection string of the handle's own pool, or ``None``.
        given: The host's pool, or ``None``.
        name: The own pool's name (in psycopg's logs).
        size: The own pool's largest size.
        timeout: Seconds a caller waits for a connection of the own pool.
    """

    def __init__(
        self,
        kind: type[PoolT],
        dsn: str | None,
        given: PoolT | None,
        *,
        name: str,
        size: int,
        timeout: float,
    ) -> None:
        self._kind: type[PoolT] = kind
        self._name, self._size, self._timeout = name, size, timeout
        self.dsn = dsn
        self.pid = os.getpid()
        self.pool: PoolT = given if given is not None else self._new()
        info: Any = dsn if dsn is not None else self.pool.conninfo
        if callable(info) and kind is ConnectionPool:
            info = info()  # a sync pool's connection-string function
        # An async pool's function cannot be awaited here: its server goes unnamed.
        self.conninfo: str = info if isinstance(info, str) else ""

    @property
    def owned(self) -> bool:
        """Whether the pool is the handle's own (made from ``dsn``)."""
        return self.dsn is not None

    def _new(self) -> PoolT:
        pool: PoolT = self._kind(
            self.dsn or "",
            min_size=1,
            max_size=self._size,
            timeout=self._timeout,
            open=False,  # on first use: no thread nor connection before a fork
            check=self._kind.check_connection,  # a restarted server's dead connections go
            kwargs={"autocommit": True},
            name=self._name,
        )
        return pool

    def current(self, refuse: Callable[[str], Exception]) -> PoolT:
        """The pool of this process; ``refuse(reason)`` is raised for a host's pool after a fork."""
        if os.getpid() != self.pid:
            if not self.owned:
                raise refuse(
                    f"its pool was opened in process {self.pid}; a pool cannot cross a fork: "
                    "open it in each worker process"
                )
            _INHERITED.append(self.pool)
            self.pool, self.pid = self._new(), os.getpid()
        return self.pool

    def closable(self) -> PoolT | None:
        """The pool to close when the handle closes: only its own, and only in its process."""
        return self.pool if self.owned and self.pid == os.getpid() else None
