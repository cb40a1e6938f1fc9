"""A ledger in a dict: for tests, demos and single-process hosts that keep nothing."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection
from decimal import Decimal
from typing import TypeVar, cast

import attrs

from ..errors import ClaimLostError, CursorConflictError, NotInLedgerError
from . import _rules as rules
from ._base import DerivedCalls, ExecutionCalls
from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    Decision,
    Execution,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
    StatusWrite,
)

__all__ = ["MemoryLedger"]

SCHEMA_VERSION = 2

T = TypeVar("T")

_Key = tuple[str, str]


class MemoryLedger(DerivedCalls, ExecutionCalls):
    """:class:`~allegro_plenty.ledger.ImportLedger` in memory, safe across threads.

    Everything is lost with the process, and other processes cannot share it:
    use :class:`~allegro_plenty.ledger.SqliteLedger` for anything that must
    survive a restart.

    Args:
        clock: The ledger's clock (seconds since the epoch); leases and retry
            times are measured on it. Pass :meth:`FakeClock.time
            <allegro_plenty.testing.FakeClock.time>` to move time in tests.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._bindings: dict[_Key, Binding] = {}
        self._by_order: dict[int, Binding] = {}
        self._claims: dict[_Key, Claim] = {}
        self._epochs: dict[_Key, int] = {}
        self._decisions: dict[_Key, Decision] = {}
        self._failures: dict[_Key, Failure] = {}
        self._cursors: dict[_Key, Cursor] = {}
        self._sweeps: dict[str, float] = {}
        self._status_writes: list[StatusWrite] = []
        self._next_write_id = 1
        self._executions: dict[rules.ExecutionKey, rules.ExecutionRow] = {}

    def __repr__(self) -> str:
        return f"MemoryLedger(bindings={len(self._bindings)}, failures={len(self._failures)})"

    def migrate(self) -> int:
        """Nothing to migrate: returns the schema version this release implements."""
        return SCHEMA_VERSION

    def close(self) -> None:
        """Nothing to release."""

    # --- claims ------------------------------------------------------------------------

    def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None:
        """See :meth:`ImportLedger.claim`."""
        slot = (rules.text("account", account), rules.text("key", key))
        rules.text("owner", owner)
        seconds = rules.duration("lease", lease)
        with self._lock:
            now = self._clock()
            held = self._claims.get(slot)
            if held is not None and held.owner != owner and held.lease_until > now:
                return None
            if held is not None and held.owner == owner and held.lease_until > now:
                epoch = held.epoch
            else:
                epoch = self._epochs.get(slot, 0) + 1
            self._epochs[slot] = epoch
            taken = Claim(account, key, owner, epoch, now + seconds)
            self._claims[slot] = taken
            return taken

    def renew(self, claim: Claim, *, lease: float) -> Claim:
        """See :meth:`ImportLedger.renew`."""
        claim = rules.claim(claim)
        seconds = rules.duration("lease", lease)
        with self._lock:
            self._held(claim, live=False)
            renewed = attrs.evolve(claim, lease_until=self._clock() + seconds)
            self._claims[(claim.account, claim.key)] = renewed
            return renewed

    def confirm(self, claim: Claim) -> None:
        """See :meth:`ImportLedger.confirm`."""
        claim = rules.claim(claim)
        with self._lock:
            self._held(claim, live=True)

    def release_claim(self, claim: Claim) -> bool:
        """See :meth:`ImportLedger.release_claim`."""
        claim = rules.claim(claim)
        with self._lock:
            try:
                self._held(claim, live=False)
            except ClaimLostError:
                return False
            del self._claims[(claim.account, claim.key)]
            return True

    def _held(self, claim: Claim, *, live: bool) -> None:
        stored = self._claims.get((claim.account, claim.key))
        if (
            stored is None
            or (stored.owner, stored.epoch) != (claim.owner, claim.epoch)
            or (live and stored.lease_until <= self._clock())
        ):
            raise ClaimLostError(account=claim.account, key=claim.key, owner=claim.owner)

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
        with self._lock:
            return self._bind(account, form_id, plenty_order_id, origin, revision, None)

    def _bind(
        self,
        account: str,
        form_id: str,
        plenty_order_id: int,
        origin: BindingOrigin,
        revision: str | None,
        note: str | None,
    ) -> Binding:
        slot = (rules.text("account", account), rules.text("form_id", form_id))
        order = rules.order_id(plenty_order_id)
        revision = rules.optional_text("revision", revision)
        origin = BindingOrigin(origin)
        existing = self._bindings.get(slot) or self._by_order.get(order)
        if existing is not None:
            return rules.rebound(existing, account, form_id, order)
        binding = Binding(
            *slot, order, origin, revision, frozenset(), frozenset(), self._clock(), note
        )
        self._bindings[slot] = self._by_order[order] = binding
        return binding

    def binding(self, account: str, form_id: str) -> Binding | None:
        """See :meth:`ImportLedger.binding`."""
        return self._bindings.get((account, form_id))

    def binding_for_order(self, plenty_order_id: int) -> Binding | None:
        """See :meth:`ImportLedger.binding_for_order`."""
        return self._by_order.get(rules.order_id(plenty_order_id))

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
        paid, steps = rules.marks("paid_parts", paid_parts), rules.marks("steps_done", steps_done)
        with self._lock:
            binding = self._bindings.get((account, form_id))
            if binding is None:
                raise NotInLedgerError(f"form {form_id!r} of account {account!r} is not bound")
            binding = attrs.evolve(
                binding,
                revision=binding.revision if revision is None else revision,
                paid_parts=binding.paid_parts | paid,
                steps_done=binding.steps_done | steps,
            )
            self._bindings[(account, form_id)] = self._by_order[binding.plenty_order_id] = binding
            return binding

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
        decision = Decision(
            rules.text("account", account),
            rules.text("form_id", form_id),
            rules.text("reason", reason),
            bool(final),
            rules.version(version),
            rules.text("fingerprint", fingerprint),
            self._clock(),
        )
        with self._lock:
            self._decisions[(account, form_id)] = decision
        return decision

    def decision(self, account: str, form_id: str) -> Decision | None:
        """See :meth:`ImportLedger.decision`."""
        return self._decisions.get((account, form_id))

    # --- failures and operator actions -------------------------------------------------

    def _fail(
        self, account: str, form_id: str, error: str, retry_in: float | None, reason: str | None
    ) -> Failure:
        slot = (account, form_id)
        with self._lock:
            now = self._clock()
            retry_at = None if retry_in is None else now + retry_in
            failure = rules.failed(
                self._failures.get(slot),
                *slot,
                error,
                now=now,
                retry_at=retry_at,
                quarantine_reason=reason,
            )
            self._failures[slot] = failure
            return failure

    def failure(self, account: str, form_id: str) -> Failure | None:
        """See :meth:`ImportLedger.failure`."""
        return self._failures.get((account, form_id))

    def clear_failure(self, account: str, form_id: str) -> None:
        """See :meth:`ImportLedger.clear_failure`."""
        with self._lock:
            self._failures.pop((account, form_id), None)

    def due_retries(self, account: str, *, limit: int = 100) -> list[Failure]:
        """See :meth:`ImportLedger.due_retries`."""
        limit = rules.count("limit", limit)
        with self._lock:
            now = self._clock()
            due = [
                f
                for f in self._failures.values()
                if f.account == account and f.next_retry_at is not None and f.next_retry_at <= now
            ]
        due.sort(key=lambda f: (f.next_retry_at, f.form_id))
        return due[:limit]

    def failures(
        self, account: str | None = None, *, quarantined: bool | None = None
    ) -> list[Failure]:
        """See :meth:`ImportLedger.failures`."""
        with self._lock:
            found = [
                f
                for f in self._failures.values()
                if (account is None or f.account == account)
                and (quarantined is None or f.quarantined == quarantined)
            ]
        found.sort(key=lambda f: (f.account, f.last_failed_at, f.form_id))
        return found

    def release_failure(self, account: str, form_id: str) -> Failure:
        """See :meth:`ImportLedger.release_failure`."""
        with self._lock:
            previous = self._failures.get((account, form_id))
            if previous is None:
                raise NotInLedgerError(f"form {form_id!r} of account {account!r} has no failure")
            failure = self._failures[(account, form_id)] = rules.released(
                previous, now=self._clock()
            )
            return failure

    def mark_handled(
        self, account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
    ) -> Binding:
        """See :meth:`ImportLedger.mark_handled`."""
        note = rules.optional_text("note", note)
        with self._lock:
            binding = self._bind(
                account, form_id, plenty_order_id, BindingOrigin.MANUAL, None, note
            )
            self._failures.pop((account, form_id), None)
            return binding

    # --- cursors and sweeps ------------------------------------------------------------

    def cursor(self, account: str, name: str) -> Cursor | None:
        """See :meth:`ImportLedger.cursor`."""
        with self._lock:
            stored = self._cursors.get((account, name))
        # A copy through JSON: the caller gets what a database would give back.
        return None if stored is None else attrs.evolve(stored, value=_copy(stored.value))

    def save_cursor(self, account: str, name: str, value: JSON, *, expected_version: int) -> Cursor:
        """See :meth:`ImportLedger.save_cursor`."""
        slot = (rules.text("account", account), rules.text("name", name))
        encoded = rules.json_text(value)
        expected_version = rules.expected_version(expected_version)
        with self._lock:
            stored = self._cursors.get(slot)
            found = stored.version if stored else 0
            if found != expected_version:
                raise CursorConflictError(
                    account=account, name=name, expected=expected_version, found=found
                )
            cursor = Cursor(*slot, json.loads(encoded), found + 1, self._clock())
            self._cursors[slot] = cursor
            return attrs.evolve(cursor, value=_copy(cursor.value))

    def record_sweep(self, account: str) -> float:
        """See :meth:`ImportLedger.record_sweep`."""
        with self._lock:
            now = self._sweeps[rules.text("account", account)] = self._clock()
            return now

    def last_sweep(self, account: str) -> float | None:
        """See :meth:`ImportLedger.last_sweep`."""
        return self._sweeps.get(account)

    # --- status writes -----------------------------------------------------------------

    def record_status_write(
        self, account: str, plenty_order_id: int, status: Decimal
    ) -> StatusWrite:
        """See :meth:`ImportLedger.record_status_write`."""
        account = rules.text("account", account)
        order, status = rules.order_id(plenty_order_id), rules.status(status)
        with self._lock:
            write = StatusWrite(self._next_write_id, account, order, status, self._clock())
            self._next_write_id += 1
            self._status_writes.append(write)
            return write

    def forget_status_write(self, write: StatusWrite) -> bool:
        """See :meth:`ImportLedger.forget_status_write`."""
        with self._lock:
            for index, stored in enumerate(self._status_writes):
                if stored.id == write.id:
                    del self._status_writes[index]
                    return True
            return False

    def consume_status_write(self, account: str, plenty_order_id: int, status: Decimal) -> bool:
        """See :meth:`ImportLedger.consume_status_write`."""
        order, status = rules.order_id(plenty_order_id), rules.status(status)
        with self._lock:
            for index, stored in enumerate(self._status_writes):
                if (stored.account, stored.plenty_order_id, stored.status) == (
                    account,
                    order,
                    status,
                ):
                    del self._status_writes[index]
                    return True
            return False

    # --- executions --------------------------------------------------------------------

    def _change_execution(self, key: rules.ExecutionKey, change: rules.Change[T]) -> T:
        with self._lock:
            row = self._executions.get(key)
            new, result = change(row, self._clock())
            if new is not None and new is not row:
                self._executions[key] = new
            return _copied(result)

    def execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution | None:
        """See :meth:`ImportLedger.execution`."""
        row = self._executions.get((account, procedure, plenty_order_id, subject))
        return None if row is None else _copied(row.execution)

    def due_executions(self, account: str, *, limit: int = 100) -> list[Execution]:
        """See :meth:`ImportLedger.due_executions`."""
        limit = rules.count("limit", limit)
        with self._lock:
            now = self._clock()
            due = [
                row.execution
                for key, row in self._executions.items()
                if key[0] == account and rules.is_due(row.execution, now)
            ]
        return [_copied(e) for e in sorted(due, key=rules.due_order)[:limit]]

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
        _, keep = rules.execution_filter(account, procedure, plenty_order_id, state, quarantined)
        with self._lock:
            found = [row.execution for row in self._executions.values() if keep(row.execution)]
        return [_copied(e) for e in sorted(found, key=rules.listing_order)]


def _copied(value: T) -> T:
    """``value`` with any execution's data copied: the caller gets what a database would give."""
    if isinstance(value, Execution):
        return cast(T, attrs.evolve(value, data=rules.execution_data(value.data)))
    if isinstance(value, ExecutionStart):
        return cast(T, attrs.evolve(value, execution=_copied(value.execution)))
    return value


def _copy(value: JSON) -> JSON:
    copied: JSON = json.loads(json.dumps(value))
    return copied
