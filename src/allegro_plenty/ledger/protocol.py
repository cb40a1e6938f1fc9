"""The ledger protocols: what the importer and the procedures need from a store.

Implement :class:`ImportLedger` to bring your own store (the contract suite in
:mod:`allegro_plenty.testing.ledger_contract` checks it), and wrap it in
:class:`~allegro_plenty.ledger.AsyncLedger` for asyncio, or implement
:class:`AsyncImportLedger` natively. Both have the same methods with the same
parameters; the async ones return awaitables. Every method is keyed by the
account (the seller id), except :meth:`ImportLedger.binding_for_order`: one
ledger serves one plentymarkets system, whose order ids are unique.

Executions of event procedures (schema v2) are part of the same protocol rather
than a protocol of their own: they live in the same store, next to the bindings
the procedures resolve orders through, under one schema version and one
migration, so every ledger (and every host's own) has them or is not current.

Durations (``lease``, ``retry_in``, ``interval``) are seconds from the ledger's
own clock, never absolute times from the caller.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal
from typing import Protocol

from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Cursor,
    Decision,
    Execution,
    ExecutionClaim,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
    StatusWrite,
)

__all__ = ["AsyncImportLedger", "ImportLedger"]


class ImportLedger(Protocol):
    """Where exactly-once lives: bindings, claims, decisions, failures, cursors, status writes."""

    # --- lifecycle ---------------------------------------------------------------------

    def migrate(self) -> int:
        """Bring the store's schema to this release's version; return that version.

        Idempotent, and safe while other workers use or migrate the same store.
        Raises :class:`~allegro_plenty.errors.LedgerSchemaError` for a store
        written by a newer release.
        """
        ...

    def close(self) -> None:
        """Release connections and threads. The ledger is not used afterwards."""
        ...

    # --- claims ------------------------------------------------------------------------

    def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None:
        """Take ``key`` for ``owner`` for ``lease`` seconds, or ``None`` if someone else holds it.

        One compare-and-set: it succeeds when the key is free, its lease ran out,
        or ``owner`` already holds it (then it is renewed and keeps its epoch).
        """
        ...

    def renew(self, claim: Claim, *, lease: float) -> Claim:
        """Extend a held claim to ``lease`` seconds from now (one compare-and-set).

        Raises :class:`~allegro_plenty.errors.ClaimLostError` when another worker
        took it over or it was released. Renew right before every write.
        """
        ...

    def confirm(self, claim: Claim) -> None:
        """Raise :class:`~allegro_plenty.errors.ClaimLostError` unless ``claim`` is held
        and its lease has not run out."""
        ...

    def release_claim(self, claim: Claim) -> bool:
        """Give a claim up; ``False`` if it was no longer held (nothing changes then)."""
        ...

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
        """Record that the form became the plentymarkets order; return the binding.

        Binding again to the same order returns the stored binding unchanged. A
        form bound to another order, or an order bound to another form, raises
        :class:`~allegro_plenty.errors.BindingConflictError` carrying the
        existing binding: of racing binders, exactly one wins.
        """
        ...

    def binding(self, account: str, form_id: str) -> Binding | None:
        """The form's binding, or ``None``."""
        ...

    def binding_for_order(self, plenty_order_id: int) -> Binding | None:
        """The binding of a plentymarkets order (whatever its account), or ``None``."""
        ...

    def update_binding(
        self,
        account: str,
        form_id: str,
        *,
        revision: str | None = None,
        paid_parts: Collection[str] = (),
        steps_done: Collection[str] = (),
    ) -> Binding:
        """Record a new revision and add paid parts and steps done (set union).

        Raises :class:`~allegro_plenty.errors.NotInLedgerError` for an unbound form.
        """
        ...

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
        """Record why the form was not imported, replacing an earlier decision."""
        ...

    def decision(self, account: str, form_id: str) -> Decision | None:
        """The form's decision, or ``None``."""
        ...

    def needs_look(
        self, account: str, form_id: str, *, version: FormVersion, fingerprint: str
    ) -> bool:
        """Whether the form must be decided (again): never decided, or a non-final
        decision made on another version or configuration fingerprint
        (:meth:`~allegro_plenty.ledger.Decision.needs_another_look`)."""
        ...

    # --- failures and operator actions -------------------------------------------------

    def record_failure(self, account: str, form_id: str, error: str, *, retry_in: float) -> Failure:
        """Count a failed attempt and schedule the next one ``retry_in`` seconds from now."""
        ...

    def quarantine(self, account: str, form_id: str, reason: str) -> Failure:
        """Count a failed attempt and stop retrying until a person releases the form."""
        ...

    def failure(self, account: str, form_id: str) -> Failure | None:
        """The form's failure record, or ``None``."""
        ...

    def clear_failure(self, account: str, form_id: str) -> None:
        """Forget the form's failure (it succeeded)."""
        ...

    def due_retries(self, account: str, *, limit: int = 100) -> list[Failure]:
        """Failures due again (not quarantined, next retry time passed), oldest due first."""
        ...

    def failures(
        self, account: str | None = None, *, quarantined: bool | None = None
    ) -> list[Failure]:
        """Operator action: failed and quarantined forms with their reasons.

        ``account=None`` lists every account; ``quarantined`` filters.
        """
        ...

    def release_failure(self, account: str, form_id: str) -> Failure:
        """Operator action: release a failed or quarantined form for a retry now.

        Its attempts count starts again from zero. Raises
        :class:`~allegro_plenty.errors.NotInLedgerError` when it has no failure.
        """
        ...

    def mark_handled(
        self, account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
    ) -> Binding:
        """Operator action: the form was handled by hand as that plentymarkets order.

        Binds it (origin ``MANUAL``) and forgets its failure, in one step.
        """
        ...

    # --- cursors and sweeps ------------------------------------------------------------

    def cursor(self, account: str, name: str) -> Cursor | None:
        """The stored cursor, or ``None`` before the first save."""
        ...

    def save_cursor(self, account: str, name: str, value: JSON, *, expected_version: int) -> Cursor:
        """Store ``value`` if the cursor is still at ``expected_version`` (0: never saved).

        Raises :class:`~allegro_plenty.errors.CursorConflictError` otherwise, and
        stores nothing: a writer can only move the cursor on from what it read.
        """
        ...

    def sweep_due(self, account: str, *, interval: float) -> bool:
        """Whether ``interval`` seconds have passed since the last recorded sweep (or none ran)."""
        ...

    def record_sweep(self, account: str) -> float:
        """Record that a sweep finished now; return that time (ledger clock)."""
        ...

    def last_sweep(self, account: str) -> float | None:
        """When the last sweep finished (ledger clock), or ``None``."""
        ...

    # --- status writes (the echo guard) ------------------------------------------------

    def record_status_write(
        self, account: str, plenty_order_id: int, status: Decimal
    ) -> StatusWrite:
        """Record, *before sending it*, a status change the library makes."""
        ...

    def forget_status_write(self, write: StatusWrite) -> bool:
        """Withdraw a record whose change surely did not happen; ``False`` if already gone."""
        ...

    def consume_status_write(self, account: str, plenty_order_id: int, status: Decimal) -> bool:
        """Whether a status-history entry is the library's own change.

        ``True`` consumes the oldest matching record, so each record explains
        exactly one later history entry of that order with that status.
        """
        ...

    # --- executions of event procedures (schema v2) ------------------------------------

    def begin_execution(
        self,
        account: str,
        procedure: str,
        plenty_order_id: int,
        subject: str,
        owner: str,
        *,
        lease: float,
    ) -> ExecutionStart:
        """Claim an execution for ``owner`` for ``lease`` seconds, creating it on first use.

        One compare-and-set: the claim is handed out unless the execution is
        done or skipped, quarantined, held by another owner whose lease has not
        run out, or failed and not due yet (``ExecutionStart.blocked`` says
        which). The owner claiming again renews its claim and keeps its epoch.
        While claimed, the execution is due again when the lease runs out, so
        one whose worker died is run again by whoever asks for due executions.
        """
        ...

    def renew_execution(
        self, claim: ExecutionClaim, *, lease: float, data: dict[str, JSON] | None = None
    ) -> ExecutionClaim:
        """Extend a held claim to ``lease`` seconds from now; store ``data`` if given.

        Store the data a write needs again (a refund's ``commandId`` and body)
        with this *before* sending it, and renew right before every write.
        Raises :class:`~allegro_plenty.errors.ClaimLostError` when another
        worker took the execution over.
        """
        ...

    def finish_execution(
        self,
        claim: ExecutionClaim,
        state: ExecutionState,
        *,
        reason: str | None = None,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """End the attempt done or skipped (a skip needs its ``reason``); both are final.

        Releases the claim. Raises :class:`~allegro_plenty.errors.ClaimLostError`
        when another worker took the execution over (nothing changes then), as
        do the other calls that end an attempt.
        """
        ...

    def postpone_execution(
        self,
        claim: ExecutionClaim,
        reason: str,
        *,
        retry_in: float,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """End the attempt unfinished, not failed: look again ``retry_in`` seconds from now
        (a refund Allegro has not settled yet). Counts no attempt."""
        ...

    def fail_execution(
        self,
        claim: ExecutionClaim,
        error: str,
        *,
        retry_in: float | None,
        data: dict[str, JSON] | None = None,
    ) -> Execution:
        """End the attempt failed: count it, due again ``retry_in`` seconds from now, or
        quarantined until an operator releases it when ``retry_in`` is ``None``."""
        ...

    def execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution | None:
        """The execution, or ``None`` if it was never begun."""
        ...

    def due_executions(self, account: str, *, limit: int = 100) -> list[Execution]:
        """Unfinished executions due again (not quarantined), the longest overdue first."""
        ...

    def executions(
        self,
        account: str | None = None,
        *,
        procedure: str | None = None,
        plenty_order_id: int | None = None,
        state: ExecutionState | None = None,
        quarantined: bool | None = None,
    ) -> list[Execution]:
        """Operator action: the executions that match every filter given."""
        ...

    def release_execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution:
        """Operator action: let a failed, quarantined or skipped execution run again now.

        Its attempts count starts again from zero; its data stays (a procedure
        reads there what it sent before). Raises
        :class:`~allegro_plenty.errors.NotInLedgerError` for an execution never
        begun or done.
        """
        ...


class AsyncImportLedger(Protocol):
    """:class:`ImportLedger` for asyncio: the same methods and parameters, awaited.

    Each method behaves as documented on :class:`ImportLedger`, and none blocks
    the event loop. (The signatures are laid out compactly: this is their table,
    the documentation is on :class:`ImportLedger`; a test keeps the two equal.)
    """

    async def migrate(self) -> int: ...
    async def close(self) -> None: ...
    async def claim(self, account: str, key: str, owner: str, *, lease: float) -> Claim | None: ...
    async def renew(self, claim: Claim, *, lease: float) -> Claim: ...
    async def confirm(self, claim: Claim) -> None: ...
    async def release_claim(self, claim: Claim) -> bool: ...
    async def bind(
        self, account: str, form_id: str, plenty_order_id: int, *,
        origin: BindingOrigin, revision: str | None = None,
    ) -> Binding: ...  # fmt: skip
    async def binding(self, account: str, form_id: str) -> Binding | None: ...
    async def binding_for_order(self, plenty_order_id: int) -> Binding | None: ...
    async def update_binding(
        self, account: str, form_id: str, *,
        revision: str | None = None, paid_parts: Collection[str] = (),
        steps_done: Collection[str] = (),
    ) -> Binding: ...  # fmt: skip
    async def decide(
        self, account: str, form_id: str, *,
        reason: str, final: bool, version: FormVersion, fingerprint: str,
    ) -> Decision: ...  # fmt: skip
    async def decision(self, account: str, form_id: str) -> Decision | None: ...
    async def needs_look(
        self, account: str, form_id: str, *, version: FormVersion, fingerprint: str
    ) -> bool: ...
    async def record_failure(
        self, account: str, form_id: str, error: str, *, retry_in: float
    ) -> Failure: ...
    async def quarantine(self, account: str, form_id: str, reason: str) -> Failure: ...
    async def failure(self, account: str, form_id: str) -> Failure | None: ...
    async def clear_failure(self, account: str, form_id: str) -> None: ...
    async def due_retries(self, account: str, *, limit: int = 100) -> list[Failure]: ...
    async def failures(
        self, account: str | None = None, *, quarantined: bool | None = None
    ) -> list[Failure]: ...
    async def release_failure(self, account: str, form_id: str) -> Failure: ...
    async def mark_handled(
        self, account: str, form_id: str, plenty_order_id: int, *, note: str | None = None
    ) -> Binding: ...
    async def cursor(self, account: str, name: str) -> Cursor | None: ...
    async def save_cursor(
        self, account: str, name: str, value: JSON, *, expected_version: int
    ) -> Cursor: ...
    async def sweep_due(self, account: str, *, interval: float) -> bool: ...
    async def record_sweep(self, account: str) -> float: ...
    async def last_sweep(self, account: str) -> float | None: ...
    async def record_status_write(
        self, account: str, plenty_order_id: int, status: Decimal
    ) -> StatusWrite: ...
    async def forget_status_write(self, write: StatusWrite) -> bool: ...
    async def consume_status_write(
        self, account: str, plenty_order_id: int, status: Decimal
    ) -> bool: ...
    async def begin_execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str, owner: str, *,
        lease: float,
    ) -> ExecutionStart: ...  # fmt: skip
    async def renew_execution(
        self, claim: ExecutionClaim, *, lease: float, data: dict[str, JSON] | None = None
    ) -> ExecutionClaim: ...
    async def finish_execution(
        self, claim: ExecutionClaim, state: ExecutionState, *,
        reason: str | None = None, data: dict[str, JSON] | None = None,
    ) -> Execution: ...  # fmt: skip
    async def postpone_execution(
        self, claim: ExecutionClaim, reason: str, *,
        retry_in: float, data: dict[str, JSON] | None = None,
    ) -> Execution: ...  # fmt: skip
    async def fail_execution(
        self, claim: ExecutionClaim, error: str, *,
        retry_in: float | None, data: dict[str, JSON] | None = None,
    ) -> Execution: ...  # fmt: skip
    async def execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution | None: ...
    async def due_executions(self, account: str, *, limit: int = 100) -> list[Execution]: ...
    async def executions(
        self, account: str | None = None, *, procedure: str | None = None,
        plenty_order_id: int | None = None, state: ExecutionState | None = None,
        quarantined: bool | None = None,
    ) -> list[Execution]: ...  # fmt: skip
    async def release_execution(
        self, account: str, procedure: str, plenty_order_id: int, subject: str
    ) -> Execution: ...
