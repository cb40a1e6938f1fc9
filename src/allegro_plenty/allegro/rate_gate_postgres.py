"""The Allegro rate-limit gate in PostgreSQL: one pause for every worker on every machine.

Needs the ``postgres`` extra (psycopg 3 and its pool)::

    pip install 'allegro-plenty[postgres]'

Allegro limits an application, not a process: after a 429 no worker of the
application may call until the back-off has passed, and every call made during
the block lengthens it. :class:`~allegro_plenty.allegro.MemoryRateGate` tells
the threads of one process; :class:`PostgresRateGate` tells every process that
reaches the database. The pause is stored as the database's ``now()`` plus the
back-off and read against the database's ``now()``, so a worker whose clock is
wrong pauses exactly as long as the others.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from ..errors import ConfigurationError, RateGateStorageError
from ..ledger._pg_pool import ConnectionPool, Pools, psycopg, where

__all__ = ["DEFAULT_TABLE", "PostgresRateGate"]

DEFAULT_TABLE = "allegro_plenty_rate_gates"
"""The table the gates live in, unless another is named (found on the search path)."""

_TABLE_NAME = re.compile(r"([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}")


class PostgresRateGate:
    """An :class:`~allegro_plenty.allegro.AllegroRateGate` in a PostgreSQL table, shared by
    every client of one Allegro application in every process and on every machine.

    Pass it to each client of the application (sync and async alike: the gate
    protocol is synchronous), ``AllegroClient(app=..., rate_gate=gate)``. Call
    :meth:`create_table` once (at deployment or at every start: idempotent).

    :meth:`wait` asks the database only while no pause is known here: once it
    knows of one (its own 429 or another worker's), it counts the rest down on
    this process's monotonic clock and asks again when that runs out, since a
    pause is only ever lengthened. Each question is one single-row ``SELECT`` on
    a pooled connection (an async client's event loop waits for that round trip).
    A database that cannot be reached raises
    :class:`~allegro_plenty.errors.RateGateStorageError` from the call at hand;
    nothing is sent to Allegro then.

    Args:
        dsn: A libpq connection string or URL.
        app: The application's client id: the row this gate reads and writes.
        pool: Instead of ``dsn``: a :class:`psycopg_pool.ConnectionPool` of the
            host's (neither opened nor closed here).
        table: The table, optionally schema-qualified (``"ops.rate_gates"``).
        max_connections: The size of the gate's own pool (with ``dsn``).
        timeout: Seconds a call waits for a pooled connection.
        clock: Monotonic seconds for the local count-down (tests pass a fake one).
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        app: str,
        pool: ConnectionPool[Any] | None = None,
        table: str = DEFAULT_TABLE,
        max_connections: int = 2,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (dsn is None) == (pool is None):
            raise ConfigurationError(
                "pass either dsn or pool (a psycopg_pool.ConnectionPool), not both"
            )
        if not isinstance(app, str):
            raise ConfigurationError(f"app is the application's client id, not {app!r}")
        if not isinstance(table, str) or not _TABLE_NAME.fullmatch(table):
            raise ConfigurationError(
                f"table must be a lower-case PostgreSQL name (schema.table optional), got {table!r}"
            )
        if dsn is not None and where(dsn) is None:
            raise ConfigurationError("dsn is not a valid PostgreSQL connection string")
        self.app, self.table = app, table
        self._pools: Pools[ConnectionPool[Any]] = Pools(
            ConnectionPool, dsn, pool, name="allegro-plenty-rate-gate", size=max_connections,
            timeout=timeout,
        )  # fmt: skip
        self.location = f"{where(self._pools.conninfo) or '?'} table {table}"
        self._clock = clock
        self._lock = threading.Lock()
        self._known_until = float("-inf")  # on self._clock: a pause known to last until then

    def __repr__(self) -> str:
        return f"PostgresRateGate({self.location!r}, app={self.app!r})"

    @contextlib.contextmanager
    def _connection(self, action: str) -> Iterator[psycopg.Connection[Any]]:
        try:
            pool = self._pools.current(lambda reason: RateGateStorageError(f"{self!r}: {reason}"))
            if self._pools.owned:
                pool.open()  # once; later calls find it open
            with pool.connection() as con:
                yield con
        except psycopg.errors.UndefinedTable:
            raise RateGateStorageError(
                f"cannot {action} the rate gate: table {self.table} does not exist in "
                f"{self.location}; call create_table()"
            ) from None
        except psycopg.Error as exc:
            primary = getattr(getattr(exc, "diag", None), "message_primary", None)
            raise RateGateStorageError(
                f"cannot {action} the rate gate in {self.location}: "
                f"{type(exc).__name__}: {primary or exc}"
            ) from exc

    def create_table(self) -> None:
        """Create the table if it is missing (idempotent, safe while others call it)."""
        with self._connection("create the table of") as con, con.transaction():
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"create {self.table}",))
            con.execute(
                f"""CREATE TABLE IF NOT EXISTS {self.table} (
                    app text PRIMARY KEY,
                    open_at timestamptz NOT NULL
                )"""
            )

    def _counted_down(self) -> float | None:
        """The rest of a pause known here, or ``None`` when none is (ask the database)."""
        with self._lock:
            left = self._known_until - self._clock()
        return left if left > 0 else None

    def _know(self, seconds: float) -> float:
        with self._lock:
            self._known_until = max(self._known_until, self._clock() + seconds)
        return seconds

    def wait(self) -> float:
        """Seconds until calls may go again (on the database's clock); ``0`` when they may."""
        known = self._counted_down()
        if known is not None:
            return known
        with self._connection("read") as con:
            row = con.execute(
                f"""SELECT GREATEST(EXTRACT(EPOCH FROM open_at - now()), 0)::float8
                FROM {self.table} WHERE app = %s""",  # noqa: S608 (checked name)
                (self.app,),
            ).fetchone()
        seconds = float(row[0]) if row is not None else 0.0
        return self._know(seconds) if seconds > 0 else 0.0

    def block(self, seconds: float) -> None:
        """Hold every call of the application for ``seconds`` from the database's now
        (never shortens a longer pause)."""
        if not (isinstance(seconds, int | float) and seconds >= 0 and math.isfinite(seconds)):
            raise ConfigurationError(f"a rate-gate block lasts 0 seconds or more, not {seconds!r}")
        with self._connection("block") as con:
            con.execute(
                f"""INSERT INTO {self.table} AS gate (app, open_at)
                VALUES (%(app)s, now() + make_interval(secs => %(seconds)s))
                ON CONFLICT (app) DO UPDATE
                SET open_at = GREATEST(gate.open_at, excluded.open_at)""",  # noqa: S608
                {"app": self.app, "seconds": float(seconds)},
            )
        self._know(float(seconds))

    def close(self) -> None:
        """Close the gate's own pool (a pool passed in stays open)."""
        pool = self._pools.closable()
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresRateGate:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
