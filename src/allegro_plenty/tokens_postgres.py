"""Tokens in PostgreSQL: one store for every worker on every machine.

Needs the ``postgres`` extra (psycopg 3 and its pool)::

    pip install 'allegro-plenty[postgres]'

:class:`~allegro_plenty.tokens.JsonFileTokenStore` serves the processes of one
machine. Workers on two machines need one store they all reach: two machines
refreshing one Allegro account at once lose it (a refresh token is single-use),
and each logging in to plentymarkets on its own opens a session per machine
(three are allowed). :class:`PostgresTokenStore` keeps the tokens in a table
keyed by (service, key), and its :meth:`~PostgresTokenStore.lock` is a
transaction-scoped advisory lock, so a refresh or a login happens once for
every worker that shares the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

from .errors import ConfigurationError, TokenStorageError
from .ledger._pg_pool import ConnectionPool, Pools, psycopg, where
from .tokens import Token, TokenLock, _BlockingLock

__all__ = ["DEFAULT_TABLE", "PostgresTokenStore"]

log = logging.getLogger("allegro_plenty.tokens")

DEFAULT_TABLE = "allegro_plenty_tokens"
"""The table the tokens live in, unless another is named (found on the search path)."""

_TABLE_NAME = re.compile(r"([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}")
_LOCK_NOT_AVAILABLE = "55P03"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _reason(exc: psycopg.Error) -> str:
    """What went wrong, without the server's DETAIL (which may quote a row, tokens and all)."""
    primary = getattr(exc.diag, "message_primary", None) if hasattr(exc, "diag") else None
    return f"{type(exc).__name__}: {primary or exc}"


class PostgresTokenStore:
    """A :class:`~allegro_plenty.tokens.TokenStore` in a PostgreSQL table, for workers on
    any number of machines.

    Call :meth:`create_table` once (at deployment or at every start: it is
    idempotent and safe while others call it).

    :meth:`lock` holds a transaction-scoped advisory lock
    (``pg_advisory_xact_lock``) on a connection of its own, opened for the lock
    and closed with it, so waiting for a lock never takes a connection from
    the pool that loads and saves. Saves do not run in the lock's transaction:
    each one commits at once, on its own. So a renewed token is durable before
    the lock is released (the next holder's reload finds it), and nothing can
    roll a saved token back; the lock's transaction only holds the lock and
    writes nothing. A worker that dies, or whose connection drops, releases
    its lock with its session.

    Tokens are stored as they are (like the file store's JSON): restrict who
    may read the table.

    Args:
        dsn: A libpq connection string or URL.
        pool: Instead of ``dsn``: a :class:`psycopg_pool.ConnectionPool` of the
            host's for loads and saves (neither opened nor closed here); locks
            open connections with its connection string and arguments.
        table: The table, optionally schema-qualified (``"ops.tokens"``).
        lock_timeout: Seconds to wait for a lock before
            :class:`~allegro_plenty.tokens.LockTimeoutError`.
        max_connections: The size of the store's own pool (with ``dsn``).
        timeout: Seconds a load or save waits for a pooled connection.
    """

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: ConnectionPool[Any] | None = None,
        table: str = DEFAULT_TABLE,
        lock_timeout: float = 60.0,
        max_connections: int = 4,
        timeout: float = 30.0,
    ) -> None:
        if (dsn is None) == (pool is None):
            raise ConfigurationError(
                "pass either dsn or pool (a psycopg_pool.ConnectionPool), not both"
            )
        if not isinstance(table, str) or not _TABLE_NAME.fullmatch(table):
            raise ConfigurationError(
                f"table must be a lower-case PostgreSQL name (schema.table optional), got {table!r}"
            )
        self.table = table
        self._lock_timeout = lock_timeout
        if dsn is not None and where(dsn) is None:
            raise ConfigurationError("dsn is not a valid PostgreSQL connection string")
        self._pools: Pools[ConnectionPool[Any]] = Pools(
            ConnectionPool, dsn, pool, name="allegro-plenty-tokens", size=max_connections,
            timeout=timeout,
        )  # fmt: skip
        self.location = f"{where(self._pools.conninfo) or '?'} table {table}"
        extra = self._pools.pool.kwargs
        extra = extra() if callable(extra) else extra
        self._lock_connect = (self._pools.conninfo, {**(extra or {}), "autocommit": False})

    def __repr__(self) -> str:
        return f"PostgresTokenStore({self.location!r})"

    @contextlib.contextmanager
    def _connection(self, action: str) -> Iterator[psycopg.Connection[Any]]:
        try:
            pool = self._pools.current(lambda reason: TokenStorageError(reason, path=repr(self)))
            if self._pools.owned:
                pool.open()  # once; later calls find it open
            with pool.connection() as con:
                yield con
        except psycopg.errors.UndefinedTable:
            raise TokenStorageError(
                f"cannot {action} tokens: table {self.table} does not exist in {self.location}; "
                "call create_table()",
                path=self.location,
            ) from None
        except psycopg.Error as exc:
            raise TokenStorageError(
                f"cannot {action} tokens in {self.location}: {_reason(exc)}", path=self.location
            ) from None

    def create_table(self) -> None:
        """Create the table if it is missing (idempotent, safe while others call it)."""
        with self._connection("create the table for") as con, con.transaction():
            # Two workers creating one table at once would collide: one after the other.
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_advisory_key("create", self.table),))
            con.execute(
                f"""CREATE TABLE IF NOT EXISTS {self.table} (
                    service text NOT NULL,
                    key text NOT NULL,
                    access_token text NOT NULL,
                    refresh_token text,
                    expires_at timestamptz NOT NULL,
                    scope text,
                    saved_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                    PRIMARY KEY (service, key)
                )"""
            )

    def load(self, service: str, key: str) -> Token | None:
        """The stored token, or ``None``."""
        with self._connection("load") as con:
            row = con.execute(
                f"""SELECT access_token, expires_at, refresh_token, scope
                FROM {self.table} WHERE service = %s AND key = %s""",  # noqa: S608 (checked name)
                (service, key),
            ).fetchone()
        if row is None:
            return None
        access, expires_at, refresh, scope = row
        return Token(access, expires_at.astimezone(timezone.utc), refresh, scope)

    def save(self, service: str, key: str, token: Token) -> None:
        """Store ``token``, replacing what was there; committed when this returns."""
        with self._connection("save") as con:
            con.execute(self._upsert(), self._row(service, key, token))

    def check_writable(self, service: str, key: str) -> None:
        """Raise :class:`~allegro_plenty.errors.TokenStorageError` if a save would fail now.

        Writes the row the way a save does, in a transaction that is rolled
        back: an unreachable server, a missing table, a lost privilege or a
        read-only database (a replica, a failover) shows here, before a refresh
        token is spent.
        """
        probe = Token("probe", _EPOCH)
        with self._connection("save") as con, con.transaction(force_rollback=True):
            con.execute(self._upsert(), self._row(service, key, probe))

    def _upsert(self) -> str:
        return f"""INSERT INTO {self.table}
            (service, key, access_token, refresh_token, expires_at, scope, saved_at)
            VALUES (%(service)s, %(key)s, %(access)s, %(refresh)s, %(expires)s, %(scope)s,
            clock_timestamp()) ON CONFLICT (service, key) DO UPDATE SET
            access_token = excluded.access_token, refresh_token = excluded.refresh_token,
            expires_at = excluded.expires_at, scope = excluded.scope,
            saved_at = excluded.saved_at"""  # noqa: S608 (checked name)

    @staticmethod
    def _row(service: str, key: str, token: Token) -> dict[str, object]:
        return {
            "service": service,
            "key": key,
            "access": token.access_token,
            "refresh": token.refresh_token,
            "expires": token.expires_at,
            "scope": token.scope,
        }

    def lock(self, service: str, key: str) -> TokenLock:
        """A lock excluding every holder of the same (service, key), on any machine."""
        return _AdvisoryLock(self, _advisory_key("token", self.table, service, key))

    def close(self) -> None:
        """Close the store's own pool (a pool passed in stays open)."""
        pool = self._pools.closable()
        if pool is not None:
            pool.close()


def _advisory_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for ``parts`` (the same in every process)."""
    digest = hashlib.blake2b("\0".join(("allegro_plenty", *parts)).encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class _AdvisoryLock(_BlockingLock):
    """``pg_advisory_xact_lock`` in a transaction of its own connection.

    The server queues the waiters (no polling); ``lock_timeout`` bounds the
    wait. Released by ending the transaction, and at the latest when the
    connection closes, so a killed worker never leaves it held.
    """

    def __init__(self, store: PostgresTokenStore, key: int) -> None:
        super().__init__(store._lock_timeout)
        self._store = store
        self._key = key
        self._con: psycopg.Connection[Any] | None = None

    def _acquire(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timed_out("token lock")
        given, kwargs = self._store._lock_connect
        con: psycopg.Connection[Any] | None = None
        try:
            con = psycopg.connect(given, connect_timeout=max(2, round(remaining)), **kwargs)
            remaining = deadline - time.monotonic()
            con.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                (f"{max(1, int(remaining * 1000))}ms",),
            )
            con.execute("SELECT pg_advisory_xact_lock(%s)", (self._key,))
        except psycopg.Error as exc:
            if con is not None:
                con.close()
            if getattr(exc, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise self._timed_out(f"token lock in {self._store.location}") from None
            raise TokenStorageError(
                f"cannot lock tokens in {self._store.location}: {_reason(exc)}",
                path=self._store.location,
            ) from None
        self._con = con

    def _release(self) -> None:
        con, self._con = self._con, None
        if con is None:
            return
        try:
            con.commit()  # ends the transaction, and the lock with it
        except psycopg.Error as exc:
            # The session is gone, and its lock with it; every save already committed.
            log.warning(
                "token lock in %s ended with its connection: %s", self._store.location, _reason(exc)
            )
        finally:
            con.close()

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self._release)  # a network round trip: not on the loop
