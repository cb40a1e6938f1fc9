"""The ledger in PostgreSQL: many workers on many machines, one database.

Needs the ``postgres`` extra (psycopg 3 and its pool)::

    pip install 'allegro-plenty[postgres]'

:class:`PostgresLedger` (threads) and :class:`AsyncPostgresLedger` (asyncio)
run the same plans (:mod:`._pg_plans`): each protocol call is a few SQL
statements in one short transaction on a pooled connection, so no
transaction, row lock or session lock outlives a call. Claims and cursor saves
are one compare-and-set statement each; bindings are unique both ways by
constraint; every time (a lease, a retry, a sweep) is the database's clock,
never a worker's. The schema is created and upgraded only by :meth:`migrate`.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar, overload

from ..errors import LedgerError, LedgerInputError, LedgerStorageError
from . import _pg_plans as plans
from ._pg_pool import AsyncConnectionPool, ConnectionPool, Pools, psycopg, where
from .protocol import ImportLedger

__all__ = ["DEFAULT_SCHEMA", "AsyncPostgresLedger", "PostgresLedger"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

DEFAULT_SCHEMA = "allegro_plenty"
"""The PostgreSQL schema the ledger's tables live in, unless another is named."""

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
PoolT = TypeVar("PoolT", ConnectionPool[Any], AsyncConnectionPool[Any])

_Execute = Callable[[plans.Sql], Awaitable[plans.Rows]]


class _Planned(Generic[P, R]):
    """A protocol method made of a plan: the ledger's ``_call`` runs it.

    On :class:`PostgresLedger` it is a plain method returning ``R``; on
    :class:`AsyncPostgresLedger` a coroutine method. One table of these serves
    both classes, typed for each.
    """

    def __init__(self, plan: Callable[P, plans.Plan[R]], *, check_schema: bool = True) -> None:
        self.plan = plan
        self.check_schema = check_schema
        self.__doc__ = getattr(ImportLedger, plan.__name__, plan).__doc__

    @overload
    def __get__(self, ledger: None, owner: type) -> _Planned[P, R]: ...
    @overload
    def __get__(self, ledger: PostgresLedger, owner: type) -> Callable[P, R]: ...
    @overload
    def __get__(
        self, ledger: AsyncPostgresLedger, owner: type
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    def __get__(self, ledger: _PostgresLedgerBase[Any] | None, owner: type) -> Any:
        if ledger is None:
            return self
        call = functools.partial(ledger._call, self.plan, self.check_schema)
        call.__doc__ = self.__doc__
        return call


async def _drive(plan: plans.Plan[T], execute: _Execute) -> T:
    """Run ``plan`` to its end, each statement through ``execute`` (both ledgers' driver)."""
    try:
        statement = next(plan)
        while True:
            statement = plan.send(await execute(statement))
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        plan.close()


def _complete(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (the sync ledger's statements block)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a statement of the sync ledger suspended")


class _PostgresLedgerBase(Generic[PoolT]):
    """What the sync and the async ledger share: the plans, their statements, their errors."""

    _call: Callable[..., Any]
    _pool_kind: type[PoolT]

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: PoolT | None = None,
        schema: str = DEFAULT_SCHEMA,
        max_connections: int = 4,
        timeout: float = 30.0,
        time_shift: Callable[[], float] | None = None,
    ) -> None:
        if (dsn is None) == (pool is None):
            raise LedgerInputError("pass either dsn or pool (a psycopg_pool pool), not both")
        if not isinstance(schema, str) or not _SCHEMA_NAME.fullmatch(schema):
            raise LedgerInputError(
                f"schema must be a lower-case PostgreSQL identifier (a-z, 0-9, _), got {schema!r}"
            )
        self.schema = schema
        if dsn is not None and where(dsn) is None:
            raise LedgerInputError("dsn is not a valid PostgreSQL connection string")
        self._pools: Pools[PoolT] = Pools(
            self._pool_kind,
            dsn,
            pool,
            name="allegro-plenty-ledger",
            size=max_connections,
            timeout=timeout,
        )
        self.location = f"{where(self._pools.conninfo) or '?'} schema {schema}"
        self._time_shift = time_shift
        self._checked = False
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    def _statement(self, sql: plans.Sql) -> tuple[str, dict[str, object]]:
        shift = self._time_shift() if self._time_shift is not None else 0.0
        return sql.text.replace("{s}", self.schema), {
            **sql.params,
            "shift": float(shift),
            "schema": self.schema,
        }

    def _prepared(
        self,
        plan: Callable[..., plans.Plan[T]],
        check_schema: bool,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> tuple[PoolT, plans.Plan[T]]:
        """The pool to run on, and the call's plan (after a schema check on first use)."""
        if self._closed:
            raise LedgerError(f"{self!r} is closed")
        pool = self._pools.current(lambda reason: LedgerError(f"{self!r}: {reason}"))
        steps = plan(*args, **kwargs)
        if check_schema and not self._checked:
            steps = self._schema_checked_first(steps)
        return pool, steps

    def _schema_checked_first(self, steps: plans.Plan[T]) -> plans.Plan[T]:
        # Once per handle: the first call also proves the store was migrated.
        yield from plans.check_schema()
        self._checked = True
        return (yield from steps)

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """psycopg's errors as the ledger's: a refused value, or a storage failure."""
        try:
            yield
        except psycopg.DataError as exc:
            raise LedgerInputError(f"PostgreSQL refused a value of this call: {exc}") from exc
        except psycopg.Error as exc:
            raise LedgerStorageError(
                f"ledger {self.location}: {type(exc).__name__}: {exc}", location=self.location
            ) from exc

    # --- the protocol, generated from the plans --------------------------------------------

    migrate = _Planned(plans.migrate, check_schema=False)
    claim = _Planned(plans.claim)
    renew = _Planned(plans.renew)
    confirm = _Planned(plans.confirm)
    release_claim = _Planned(plans.release_claim)
    bind = _Planned(plans.bind)
    binding = _Planned(plans.binding)
    binding_for_order = _Planned(plans.binding_for_order)
    update_binding = _Planned(plans.update_binding)
    decide = _Planned(plans.decide)
    decision = _Planned(plans.decision)
    needs_look = _Planned(plans.needs_look)
    record_failure = _Planned(plans.record_failure)
    quarantine = _Planned(plans.quarantine)
    failure = _Planned(plans.failure)
    clear_failure = _Planned(plans.clear_failure)
    due_retries = _Planned(plans.due_retries)
    failures = _Planned(plans.failures)
    release_failure = _Planned(plans.release_failure)
    mark_handled = _Planned(plans.mark_handled)
    cursor = _Planned(plans.cursor)
    save_cursor = _Planned(plans.save_cursor)
    sweep_due = _Planned(plans.sweep_due)
    record_sweep = _Planned(plans.record_sweep)
    last_sweep = _Planned(plans.last_sweep)
    record_status_write = _Planned(plans.record_status_write)
    forget_status_write = _Planned(plans.forget_status_write)
    consume_status_write = _Planned(plans.consume_status_write)
    begin_execution = _Planned(plans.begin_execution)
    renew_execution = _Planned(plans.renew_execution)
    finish_execution = _Planned(plans.finish_execution)
    postpone_execution = _Planned(plans.postpone_execution)
    fail_execution = _Planned(plans.fail_execution)
    execution = _Planned(plans.execution)
    due_executions = _Planned(plans.due_executions)
    executions = _Planned(plans.executions)
    release_execution = _Planned(plans.release_execution)


def _on_cursor(ledger: _PostgresLedgerBase[Any], cursor: psycopg.Cursor[Any]) -> _Execute:
    async def execute(sql: plans.Sql) -> plans.Rows:  # never suspends: it blocks instead
        cursor.execute(*ledger._statement(sql))
        return cursor.fetchall() if cursor.description else []

    return execute


def _on_async_cursor(
    ledger: _PostgresLedgerBase[Any], cursor: psycopg.AsyncCursor[Any]
) -> _Execute:
    async def execute(sql: plans.Sql) -> plans.Rows:
        await cursor.execute(*ledger._statement(sql))
        return await cursor.fetchall() if cursor.description else []

    return execute


class PostgresLedger(_PostgresLedgerBase[ConnectionPool[Any]]):
    """:class:`~allegro_plenty.ledger.ImportLedger` in PostgreSQL, for threads and processes
    on any number of machines.

    Call :meth:`migrate` once before use (at deployment, or at every worker's
    start: it is idempotent and safe while others migrate or work); a handle on
    a store that is not at this release's schema raises
    :class:`~allegro_plenty.errors.LedgerSchemaError` on its first call. A lost
    connection (a restarted server) fails the call at hand with
    :class:`~allegro_plenty.errors.LedgerStorageError` and changes nothing
    unless the failure hit the commit itself; the pool connects again for the
    next call. Forked worker processes (Celery's prefork) each open their own
    pool on first use.

    Args:
        dsn: A libpq connection string or URL (``"postgresql://user:pw@host/db"``).
        pool: Instead of ``dsn``: a :class:`psycopg_pool.ConnectionPool` of the
            host's (give it ``check=ConnectionPool.check_connection`` so a
            restarted server's dead connections are replaced). The ledger
            neither opens nor closes it.
        schema: The PostgreSQL schema of the ledger's tables (created by
            :meth:`migrate`). Two ledgers in one database need two schemas.
        max_connections: The size of the ledger's own pool (with ``dsn``).
        timeout: Seconds a call waits for a connection from its own pool
            before :class:`~allegro_plenty.errors.LedgerStorageError`.
        time_shift: For tests only: seconds added to the database's clock on
            every call (how a test moves time). The worker's clock is never read.
    """

    _pool_kind = ConnectionPool

    def _call(
        self, plan: Callable[..., plans.Plan[T]], check_schema: bool, /, *args: Any, **kwargs: Any
    ) -> T:
        pool, steps = self._prepared(plan, check_schema, args, kwargs)
        with self._translated():
            if self._pools.owned:
                pool.open()  # once; later calls find it open
            with pool.connection() as con, con.transaction(), con.cursor() as cursor:
                return _complete(_drive(steps, _on_cursor(self, cursor)))

    def close(self) -> None:
        """Close the ledger's own pool (a pool passed in stays open)."""
        self._closed = True
        pool = self._pools.closable()
        if pool is not None:
            pool.close()

    def __enter__(self) -> PostgresLedger:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncPostgresLedger(_PostgresLedgerBase[AsyncConnectionPool[Any]]):
    """:class:`~allegro_plenty.ledger.AsyncImportLedger` in PostgreSQL, natively async
    (psycopg's async connections; no worker thread).

    The same store, schema and behaviour as :class:`PostgresLedger`, whose
    arguments it takes; ``pool`` is a :class:`psycopg_pool.AsyncConnectionPool`.
    Its own pool opens on the first call, in the running event loop. Use
    ``async with`` or :meth:`close`.
    """

    _pool_kind = AsyncConnectionPool

    async def _call(
        self, plan: Callable[..., plans.Plan[T]], check_schema: bool, /, *args: Any, **kwargs: Any
    ) -> T:
        pool, steps = self._prepared(plan, check_schema, args, kwargs)
        with self._translated():
            if self._pools.owned:
                await pool.open()  # once, in the running event loop
            async with pool.connection() as con, con.transaction(), con.cursor() as cursor:
                return await _drive(steps, _on_async_cursor(self, cursor))

    async def close(self) -> None:
        """Close the ledger's own pool (a pool passed in stays open)."""
        self._closed = True
        pool = self._pools.closable()
        if pool is not None:
            await pool.close()

    async def __aenter__(self) -> AsyncPostgresLedger:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
