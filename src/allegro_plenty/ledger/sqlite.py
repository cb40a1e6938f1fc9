"""The default ledger: one SQLite file, shared by the threads and processes of one machine.

Each thread of each process has its own connection (SQLite connections must not
cross threads or ``fork``). The file is in WAL mode, so readers never wait for
the writer. Every write is one ``BEGIN IMMEDIATE`` transaction: it takes the
write lock before reading, so a read-then-write inside it cannot be overtaken,
and a busy database is retried as a whole transaction, with backoff, until
``busy_timeout`` has passed. Nothing is half-written: a transaction that did not
commit changed nothing, so retrying it is safe.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from ..errors import (
    ClaimLostError,
    CursorConflictError,
    LedgerBusyError,
    LedgerError,
    LedgerInputError,
    LedgerStorageError,
    NotInLedgerError,
)
from . import _rules as rules
from . import _sqlite_rows as sql_rows
from . import _sqlite_schema as schema
from ._base import DerivedCalls, ExecutionCalls
from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    Decision,
    Execution,
    ExecutionState,
    Failure,
    FormVersion,
    StatusWrite,
)

__all__ = ["SqliteLedger"]

T = TypeVar("T")
_Work = Callable[[sqlite3.Connection], T]
_Opened = tuple[threading.Thread, int, sqlite3.Connection]  # (thread, pid, connection)

_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")

# Connections a forked child inherited from its parent: never used and never
# closed (closing would touch the parent's locks), only kept from the collector.
_INHERITED: list[sqlite3.Connection] = []

# One writer at a time per file within a process: threads queue on a lock that
# wakes the next one at once, instead of polling SQLite's busy handler, which
# sleeps in steps of up to 100 ms. Other processes still meet SQLite's lock.
_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


def _forget_writers_in_child() -> None:
    # A lock held by a parent thread at fork time would never be released in
    # the child (that thread does not exist there).
    global _WRITERS_GUARD
    _WRITERS.clear()
    _WRITERS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_writers_in_child)


def _writer_lock(path: Path) -> threading.Lock:
    with _WRITERS_GUARD:
        return _WRITERS.setdefault(os.path.realpath(path), threading.Lock())


class SqliteLedger(DerivedCalls, ExecutionCalls):
    """:class:`~allegro_plenty.ledger.ImportLedger` in one SQLite file (stdlib ``sqlite3``).

    Safe across the threads and processes of one machine. A network file system
    is not one machine: SQLite's locks are not reliable there.

    Args:
        path: The database file; created if missing (its folder must exist).
        clock: The ledger's clock, seconds since the epoch. Every process on the
            machine shares the system clock, so leases agree across processes.
        busy_timeout: Seconds a call waits for other writers before
            :class:`~allegro_plenty.errors.LedgerBusyError`.
        synchronous: SQLite's ``synchronous`` setting. ``"FULL"`` (the default)
            makes every commit durable before it returns, power loss included;
            ``"NORMAL"`` is faster and survives a crashed process but may lose
            the last commits on power loss.
        auto_migrate: Migrate an older or new file on first use. With ``False``,
            using a file that is not at this release's schema raises
            :class:`~allegro_plenty.errors.LedgerSchemaError` until
            :meth:`migrate` is called.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        synchronous: str = "FULL",
        auto_migrate: bool = True,
    ) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise LedgerInputError(
                f"SqliteLedger needs a file path, got {str(path)!r} (use MemoryLedger in memory)"
            )
        if synchronous.upper() not in _SYNCHRONOUS:
            raise LedgerInputError(
                f"synchronous must be one of {_SYNCHRONOUS}, got {synchronous!r}"
            )
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = rules.duration("busy_timeout", busy_timeout)
        self._synchronous = synchronous.upper()
        self._auto_migrate = auto_migrate
        self._local = threading.local()
        self._guard = threading.Lock()
        self._opened: list[_Opened] = []
        # A ledger dropped without close() still closes its connections.
        self._finalizer = weakref.finalize(self, _close_connections, self._opened, self._guard)
        self._checked_pid: int | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"SqliteLedger({str(self.path)!r})"

    # --- connections and transactions ---------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise LedgerError(f"{self!r} is closed")
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        pid = os.getpid()
        if held is not None and held[0] == pid:
            return held[1]
        con = sqlite3.connect(
            self.path,
            timeout=min(1.0, self._busy_timeout),
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            # WAL: readers never block the writer nor each other. Changing the
            # journal mode may itself meet a busy file: the caller retries.
            con.execute("PRAGMA journal_mode=WAL").fetchall()
            con.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            con.close()
            raise
        self._local.held = (pid, con)
        with self._guard:
            self._prune(pid)
            self._opened.append((threading.current_thread(), pid, con))
        return con

    def _prune(self, pid: int) -> None:
        # Connections of threads that ended are closed here, so a host that
        # starts a thread per job does not collect open files.
        kept = []
        for thread, owner_pid, con in self._opened:
            if owner_pid != pid:
                _INHERITED.append(con)
            elif thread.is_alive():
                kept.append((thread, owner_pid, con))
            else:
                con.close()
        self._opened[:] = kept

    def _run(self, work: _Work[T], *, write: bool, checked: bool = False) -> T:
        """Run ``work`` in one transaction, retrying the whole of it while the file is busy."""
        if not checked and self._checked_pid != os.getpid():
            self._check_schema()
        deadline = time.monotonic() + self._busy_timeout
        writer = _writer_lock(self.path) if write else None
        if writer is not None and not writer.acquire(timeout=self._busy_timeout):
            raise self._busy()
        try:
            pause = 0.001
            while True:
                try:
                    return self._transaction(self._connection(), work, write)
                except sqlite3.Error as exc:
                    if not _is_busy(exc):
                        raise LedgerStorageError(
                            f"ledger {self.path}: {exc}", location=str(self.path)
                        ) from exc
                    if time.monotonic() >= deadline:
                        raise self._busy() from None
                time.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 0.025)
        finally:
            if writer is not None:
                writer.release()

    def _busy(self) -> LedgerBusyError:
        return LedgerBusyError(
            f"ledger {self.path} stayed locked by other writers for "
            f"{self._busy_timeout:g} s; nothing was written"
        )

    @staticmethod
    def _transaction(con: sqlite3.Connection, work: _Work[T], write: bool) -> T:
        # IMMEDIATE takes the write lock first: a write that reads first can
        # neither be overtaken nor fail half-way with a stale snapshot.
        con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = work(con)
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
            raise
        return result

    def _check_schema(self) -> None:
        found = self._run(schema.stored_version, write=False, checked=True)
        supported = len(schema.MIGRATIONS)
        if found != supported and (found > supported or not self._auto_migrate):
            raise schema.schema_error(self.path, found, supported)
        if found < supported:
            self._run(schema.apply_migrations, write=True, checked=True)
        self._checked_pid = os.getpid()

    def migrate(self) -> int:
        """See :meth:`ImportLedger.migrate`."""
        version = self._run(schema.apply_migrations, write=True, checked=True)
        self._checked_pid = os.getpid()
        return version

    def close(self) -> None:
        """Close this process's connections; call it once no thread uses the ledger."""
        self._closed = True
        self._finalizer()

    # --- claims ------------------------------------------------------------------------

    def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None:
        """See :meth:`ImportLedger.claim`."""
        rules.text("account", account)
        rules.text("key", key)
        rules.text("owner", owner)
        seconds = rules.duration("lease", lease)

        def held_by_another(con: sqlite3.Connection) -> bool:
            row = con.execute(
                "SELECT owner, lease_until FROM claims WHERE account = ? AND key = ?",
                (account, key),
            ).fetchone()
            return row is not None and row[0] not in (None, owner) and row[1] > self._clock()

        def take(con: sqlite3.Connection) -> Claim | None:
            now = self._clock()
            # The compare-and-set: one statement takes a free or expired key,
            # renews the owner's own claim, and leaves anyone else's alone.
            rows = con.execute(
                """INSERT INTO claims (account, key, owner, epoch, lease_until)
                VALUES (:account, :key, :owner, 1, :until)
                ON CONFLICT (account, key) DO UPDATE SET
                    epoch = CASE WHEN claims.owner = excluded.owner AND claims.lease_until > :now
                                 THEN claims.epoch ELSE claims.epoch + 1 END,
                    owner = excluded.owner,
                    lease_until = excluded.lease_until
                WHERE claims.owner IS NULL OR claims.owner = excluded.owner
                    OR claims.lease_until <= :now
                RETURNING epoch, lease_until""",
                {
                    "account": account,
                    "key": key,
                    "owner": owner,
                    "now": now,
                    "until": now + seconds,
                },
            ).fetchall()
            return Claim(account, key, owner, rows[0][0], rows[0][1]) if rows else None

        # A cheap read first: a key someone else holds needs no write lock.
        if self._run(held_by_another, write=False):
            return None
        return self._run(take, write=True)

    def renew(self, claim: Claim, *, lease: float) -> Claim:
        """See :meth:`ImportLedger.renew`."""
        claim = rules.claim(claim)
        seconds = rules.duration("lease", lease)

        def extend(con: sqlite3.Connection) -> Claim:
            rows = con.execute(
                """UPDATE claims SET lease_until = ?
                WHERE account = ? AND key = ? AND owner = ? AND epoch = ?
                RETURNING lease_until""",
                (self._clock() + seconds, claim.account, claim.key, claim.owner, claim.epoch),
            ).fetchall()
            if not rows:
                raise _lost(claim)
            return Claim(claim.account, claim.key, claim.owner, claim.epoch, rows[0][0])

        return self._run(extend, write=True)

    def confirm(self, claim: Claim) -> None:
        """See :meth:`ImportLedger.confirm`."""
        claim = rules.claim(claim)

        def held(con: sqlite3.Connection) -> bool:
            row = con.execute(
                """SELECT 1 FROM claims WHERE account = ? AND key = ? AND owner = ?
                AND epoch = ? AND lease_until > ?""",
                (claim.account, claim.key, claim.owner, claim.epoch, self._clock()),
            ).fetchone()
            return row is not None

        if not self._run(held, write=False):
            raise _lost(claim)

    def release_claim(self, claim: Claim) -> bool:
        """See :meth:`ImportLedger.release_claim`."""
        claim = rules.claim(claim)

        # The row stays, ownerless, so the key's epoch only ever grows.
        def release(con: sqlite3.Connection) -> bool:
            cursor = con.execute(
                """UPDATE claims SET owner = NULL, lease_until = 0
                WHERE account = ? AND key = ? AND owner = ? AND epoch = ?""",
                (claim.account, claim.key, claim.owner, claim.epoch),
            )
            return cursor.rowcount == 1

        return self._run(release, write=True)

    # --- bindings ----------------------------------------------------------------------

    def bind(
        self,
        account: str,
        form_id: str,
        plenty_order_id: int,
        *,
        origin: BindingOrigin,
        revision: str | None = None,
    ) -> Binding:
        """See :meth:`ImportLedger.bind`."""
        binder = self._binder(account, form_id, plenty_order_id, origin, revision, None)
        return self._run(binder, write=True)

    def _binder(
        self,
        account: str,
        form_id: str,
        plenty_order_id: int,
        origin: BindingOrigin,
        revision: str | None,
        note: str | None,
    ) -> _Work[Binding]:
        rules.text("account", account)
        rules.text("form_id", form_id)
        order = rules.order_id(plenty_order_id)
        revision = rules.optional_text("revision", revision)
        origin = BindingOrigin(origin)

        def bind(con: sqlite3.Connection) -> Binding:
            existing = sql_rows.binding(con, account, form_id)
            existing = existing or sql_rows.binding_for_order(con, order)
            if existing is not None:
                return rules.rebound(existing, account, form_id, order)
            binding = Binding(
                account, form_id, order, origin, revision, frozenset(), frozenset(),
                self._clock(), note,
            )  # fmt: skip
            con.execute(
                "INSERT INTO bindings VALUES (?, ?, ?, ?, ?, ?, ?)",
                (account, form_id, order, origin.value, revision, binding.bound_at, note),
            )
            return binding

        return bind

    def binding(self, account: str, form_id: str) -> Binding | None:
        """See :meth:`ImportLedger.binding`."""
        return self._run(lambda con: sql_rows.binding(con, account, form_id), write=False)

    def binding_for_order(self, plenty_order_id: int) -> Binding | None:
        """See :meth:`ImportLedger.binding_for_order`."""
        order = rules.order_id(plenty_order_id)
        return self._run(lambda con: sql_rows.binding_for_order(con, order), write=False)

    def update_binding(
        self,
        account: str,
        form_id: str,
        *,
        revision: str | None = None,
        paid_parts: Collection[str] = (),
        steps_done: Collection[str] = (),
    ) -> Binding:
        """See :meth:`ImportLedger.update_binding`."""
        revision = rules.optional_text("revision", revision)
        marks = [("paid", mark) for mark in rules.marks("paid_parts", paid_parts)]
        marks += [("step", mark) for mark in rules.marks("steps_done", steps_done)]

        def update(con: sqlite3.Connection) -> Binding:
            if sql_rows.binding(con, account, form_id) is None:
                raise NotInLedgerError(f"form {form_id!r} of account {account!r} is not bound")
            if revision is not None:
                con.execute(
                    "UPDATE bindings SET revision = ? WHERE account = ? AND form_id = ?",
                    (revision, account, form_id),
                )
            con.executemany(
                "INSERT OR IGNORE INTO binding_marks VALUES (?, ?, ?, ?)",
                [(account, form_id, kind, mark) for kind, mark in marks],
            )
            updated = sql_rows.binding(con, account, form_id)
            assert updated is not None
            return updated

        return self._run(update, write=True)

    # --- decisions ---------------------------------------------------------------------

    def decide(
        self,
        account: str,
        form_id: str,
        *,
        reason: str,
        final: bool,
        version: FormVersion,
        fingerprint: str,
    ) -> Decision:
        """See :meth:`ImportLedger.decide`."""
        rules.text("account", account)
        rules.text("form_id", form_id)
        rules.text("reason", reason)
        rules.version(version)
        rules.text("fingerprint", fingerprint)

        def decide(con: sqlite3.Connection) -> Decision:
            decision = Decision(
                account, form_id, reason, bool(final), version, fingerprint, self._clock()
            )
            updated_at = version.updated_at.isoformat() if version.updated_at else None
            con.execute(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account, form_id, reason, decision.final, version.revision, updated_at,
                    version.fulfillment_status, fingerprint, decision.decided_at,
                ),
            )  # fmt: skip
            return decision

        return self._run(decide, write=True)

    def decision(self, account: str, form_id: str) -> Decision | None:
        """See :meth:`ImportLedger.decision`."""

        def read(con: sqlite3.Connection) -> Decision | None:
            row = con.execute(
                """SELECT reason, final, revision, updated_at, fulfillment_status, fingerprint,
                decided_at FROM decisions WHERE account = ? AND form_id = ?""",
                (account, form_id),
            ).fetchone()
            if row is None:
                return None
            reason, final, revision, updated_at, status, fingerprint, decided_at = row
            updated = datetime.fromisoformat(updated_at) if updated_at else None
            version = FormVersion(revision, updated, status)
            return Decision(account, form_id, reason, bool(final), version, fingerprint, decided_at)

        return self._run(read, write=False)

    # --- failures and operator actions -------------------------------------------------

    def _fail(
        self, account: str, form_id: str, error: str, retry_in: float | None, reason: str | None
    ) -> Failure:
        def fail(con: sqlite3.Connection) -> Failure:
            now = self._clock()
            failure = rules.failed(
                sql_rows.failure(con, account, form_id),
                account,
                form_id,
                error,
                now=now,
                retry_at=None if retry_in is None else now + retry_in,
                quarantine_reason=reason,
            )
            sql_rows.store_failure(con, failure)
            return failure

        return self._run(fail, write=True)

    def failure(self, account: str, form_id: str) -> Failure | None:
        """See :meth:`ImportLedger.failure`."""
        return self._run(lambda con: sql_rows.failure(con, account, form_id), write=False)

    def clear_failure(self, account: str, form_id: str) -> None:
        """See :meth:`ImportLedger.clear_failure`."""
        self._run(lambda con: sql_rows.delete_failure(con, account, form_id), write=True)

    def due_retries(self, account: str, *, limit: int = 100) -> list[Failure]:
        """See :meth:`ImportLedger.due_retries`."""
        limit = rules.count("limit", limit)

        def due(con: sqlite3.Connection) -> list[Failure]:
            rows = con.execute(
                f"""SELECT {sql_rows.FAILURE_COLUMNS} FROM failures
                WHERE account = ? AND NOT quarantined AND next_retry_at <= ?
                ORDER BY next_retry_at, form_id LIMIT ?""",  # noqa: S608 (constant columns)
                (account, self._clock(), limit),
            ).fetchall()
            return [sql_rows.failure_from(row) for row in rows]

        return self._run(due, write=False)

    def failures(
        self, account: str | None = None, *, quarantined: bool | None = None
    ) -> list[Failure]:
        """See :meth:`ImportLedger.failures`."""

        def listed(con: sqlite3.Connection) -> list[Failure]:
            rows = con.execute(
                f"""SELECT {sql_rows.FAILURE_COLUMNS} FROM failures
                WHERE (:account IS NULL OR account = :account)
                AND (:quarantined IS NULL OR quarantined = :quarantined)
                ORDER BY account, last_failed_at, form_id""",  # noqa: S608 (constant columns)
                {"account": account, "quarantined": quarantined},
            ).fetchall()
            return [sql_rows.failure_from(row) for row in rows]

        return self._run(listed, write=False)

    def release_failure(self, account: str, form_id: str) -> Failure:
        """See :meth:`ImportLedger.release_failure`."""

        def release(con: sqlite3.Connection) -> Failure:
            previous = sql_rows.failure(con, account, form_id)
            if previous is None:
                raise NotInLedgerError(f"form {form_id!r} of account {account!r} has no failure")
            failure = rules.released(previous, now=self._clock())
            sql_rows.store_failure(con, failure)
            return failure

        return self._run(release, write=True)

    def mark_handled(
        self, account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
    ) -> Binding:
        """See :meth:`ImportLedger.mark_handled`."""
        note = rules.optional_text("note", note)
        bind = self._binder(account, form_id, plenty_order_id, BindingOrigin.MANUAL, None, note)

        def handled(con: sqlite3.Connection) -> Binding:
            binding = bind(con)
            sql_rows.delete_failure(con, account, form_id)
            return binding

        return self._run(handled, write=True)

    # --- cursors and sweeps ------------------------------------------------------------

    def cursor(self, account: str, name: str) -> Cursor | None:
        """See :meth:`ImportLedger.cursor`."""

        def read(con: sqlite3.Connection) -> Cursor | None:
            row = con.execute(
                "SELECT value, version, saved_at FROM cursors WHERE account = ? AND name = ?",
                (account, name),
            ).fetchone()
            if row is None:
                return None
            return Cursor(account, name, sql_rows.json_value(row[0]), row[1], row[2])

        return self._run(read, write=False)

    def save_cursor(self, account: str, name: str, value: JSON, *, expected_version: int) -> Cursor:
        """See :meth:`ImportLedger.save_cursor`."""
        rules.text("account", account)
        rules.text("name", name)
        encoded = rules.json_text(value)
        expected = rules.expected_version(expected_version)

        def save(con: sqlite3.Connection) -> Cursor:
            row = con.execute(
                "SELECT version FROM cursors WHERE account = ? AND name = ?", (account, name)
            ).fetchone()
            found = row[0] if row else 0
            if found != expected:
                raise CursorConflictError(
                    account=account, name=name, expected=expected, found=found
                )
            cursor = Cursor(account, name, sql_rows.json_value(encoded), found + 1, self._clock())
            con.execute(
                "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?, ?)",
                (account, name, encoded, cursor.version, cursor.saved_at),
            )
            return cursor

        return self._run(save, write=True)

    def record_sweep(self, account: str) -> float:
        """See :meth:`ImportLedger.record_sweep`."""
        rules.text("account", account)

        def record(con: sqlite3.Connection) -> float:
            now = self._clock()
            con.execute("INSERT OR REPLACE INTO sweeps VALUES (?, ?)", (account, now))
            return now

        return self._run(record, write=True)

    def last_sweep(self, account: str) -> float | None:
        """See :meth:`ImportLedger.last_sweep`."""

        def read(con: sqlite3.Connection) -> float | None:
            row = con.execute(
                "SELECT swept_at FROM sweeps WHERE account = ?", (account,)
            ).fetchone()
            return None if row is None else float(row[0])

        return self._run(read, write=False)

    # --- status writes -----------------------------------------------------------------

    def record_status_write(
        self, account: str, plenty_order_id: int, status: Decimal
    ) -> StatusWrite:
        """See :meth:`ImportLedger.record_status_write`."""
        rules.text("account", account)
        order, status = rules.order_id(plenty_order_id), rules.status(status)

        def record(con: sqlite3.Connection) -> StatusWrite:
            now = self._clock()
            cursor = con.execute(
                """INSERT INTO status_writes (account, plenty_order_id, status, recorded_at)
                VALUES (?, ?, ?, ?)""",
                (account, order, str(status), now),
            )
            assert cursor.lastrowid is not None
            return StatusWrite(cursor.lastrowid, account, order, status, now)

        return self._run(record, write=True)

    def forget_status_write(self, write: StatusWrite) -> bool:
        """See :meth:`ImportLedger.forget_status_write`."""

        def forget(con: sqlite3.Connection) -> bool:
            return con.execute("DELETE FROM status_writes WHERE id = ?", (write.id,)).rowcount == 1

        return self._run(forget, write=True)

    def consume_status_write(self, account: str, plenty_order_id: int, status: Decimal) -> bool:
        """See :meth:`ImportLedger.consume_status_write`."""
        order, status = rules.order_id(plenty_order_id), rules.status(status)

        def consume(con: sqlite3.Connection) -> bool:
            cursor = con.execute(
                """DELETE FROM status_writes WHERE id = (
                    SELECT id FROM status_writes
                    WHERE plenty_order_id = ? AND status = ? AND account = ?
                    ORDER BY id LIMIT 1)""",
                (order, str(status), account),
            )
            return cursor.rowcount == 1

        return self._run(consume, write=True)

    # --- executions --------------------------------------------------------------------

    def _change_execution(self, key: rules.ExecutionKey, change: rules.Change[T]) -> T:
        def apply(con: sqlite3.Connection) -> T:
            row = sql_rows.execution_row(con, key)
            new, result = change(row, self._clock())
            if new is not None and new is not row:
                sql_rows.store_execution(con, new)
            return result

        return self._run(apply, write=True)

    def execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution | None:
        """See :meth:`ImportLedger.execution`."""
        key = (account, procedure, plenty_order_id, subject)
        row = self._run(lambda con: sql_rows.execution_row(con, key), write=False)
        return None if row is None else row.execution

    def due_executions(self, account: str, *, limit: int = 100) -> list[Execution]:
        """See :meth:`ImportLedger.due_executions`."""
        limit = rules.count("limit", limit)

        def due(con: sqlite3.Connection) -> list[Execution]:
            rows = con.execute(
                f"""SELECT {sql_rows.EXECUTION_COLUMNS} FROM executions
                WHERE account = ? AND state IN ('pending', 'failed') AND NOT quarantined
                AND next_retry_at <= ?
                ORDER BY next_retry_at, procedure, plenty_order_id, subject LIMIT ?""",  # noqa: S608 (constant columns)
                (account, self._clock(), limit),
            ).fetchall()
            return [sql_rows.execution_row_from(row).execution for row in rows]

        return self._run(due, write=False)

    def executions(
        self,
        account: str | None = None,
        *,
        procedure: str | None = None,
        plenty_order_id: int | None = None,
        state: ExecutionState | None = None,
        quarantined: bool | None = None,
    ) -> list[Execution]:
        """See :meth:`ImportLedger.executions`."""
        wanted, _ = rules.execution_filter(account, procedure, plenty_order_id, state, quarantined)

        def listed(con: sqlite3.Connection) -> list[Execution]:
            rows = con.execute(
                f"""SELECT {sql_rows.EXECUTION_COLUMNS} FROM executions
                WHERE (:account IS NULL OR account = :account)
                AND (:procedure IS NULL OR procedure = :procedure)
                AND (:order IS NULL OR plenty_order_id = :order)
                AND (:state IS NULL OR state = :state)
                AND (:quarantined IS NULL OR quarantined = :quarantined)
                ORDER BY account, procedure, plenty_order_id, subject""",  # noqa: S608 (constant columns)
                {
                    "account": account,
                    "procedure": procedure,
                    "order": plenty_order_id,
                    "state": None if wanted is None else wanted.value,
                    "quarantined": quarantined,
                },
            ).fetchall()
            return [sql_rows.execution_row_from(row).execution for row in rows]

        return self._run(listed, write=False)


def _close_connections(opened: list[_Opened], guard: threading.Lock) -> None:
    pid = os.getpid()
    with guard:
        for _, owner_pid, con in opened:
            if owner_pid == pid:
                con.close()
        opened[:] = [entry for entry in opened if entry[1] != pid]


# --- errors ---------------------------------------------------------------------------


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc)
    return "locked" in text or "busy" in text


def _lost(claim: Claim) -> ClaimLostError:
    return ClaimLostError(account=claim.account, key=claim.key, owner=claim.owner)
