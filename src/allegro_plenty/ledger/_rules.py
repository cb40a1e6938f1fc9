"""Input checks and record transitions shared by every ledger in this package.

Each store keeps only what differs: how it reads and writes. What a valid key is,
how a failure counts up and what a release resets is decided here, once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Collection
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

import attrs

from ..errors import (
    BindingConflictError,
    ClaimLostError,
    LedgerInputError,
    LedgerSchemaError,
    NotInLedgerError,
)
from .records import (
    JSON,
    Binding,
    BindingOrigin,
    Claim,
    Execution,
    ExecutionBlock,
    ExecutionClaim,
    ExecutionStart,
    ExecutionState,
    Failure,
    FormVersion,
)

T = TypeVar("T")

MAX_ERROR_TEXT = 2000
"""Longer error texts are cut: a failure record is a pointer, not a log."""


def text(name: str, value: object) -> str:
    """A non-empty string parameter."""
    if not isinstance(value, str) or not value.strip():
        raise LedgerInputError(f"{name} must be a non-empty string, got {value!r}")
    return value


def optional_text(name: str, value: object) -> str | None:
    """``None`` or a non-empty string."""
    return None if value is None else text(name, value)


def duration(name: str, value: object, *, allow_zero: bool = False) -> float:
    """A finite number of seconds, positive (or zero where allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LedgerInputError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise LedgerInputError(f"{name} must be {bound} seconds, got {value!r}")
    return float(value)


def order_id(value: object) -> int:
    """A plentymarkets order id."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LedgerInputError(f"plenty_order_id must be a positive integer, got {value!r}")
    return value


def count(name: str, value: object) -> int:
    """A positive whole number (a limit)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LedgerInputError(f"{name} must be a positive integer, got {value!r}")
    return value


def expected_version(value: object) -> int:
    """The cursor version a save is based on (0: no cursor yet)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LedgerInputError(f"expected_version must be an integer >= 0, got {value!r}")
    return value


def marks(name: str, values: Collection[str]) -> frozenset[str]:
    """A set of non-empty strings (a bare string is refused: it is not a set of parts)."""
    if isinstance(values, str | bytes):
        raise LedgerInputError(f"{name} must be a collection of strings, not one string")
    return frozenset(text(name, value) for value in values)


def status(value: object) -> Decimal:
    """A plentymarkets status id (``8``, ``"5.1"``, ``Decimal("5.10")``), normalized."""
    try:
        number = Decimal(str(value)) if isinstance(value, int | str | Decimal) else None
    except InvalidOperation:
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or number <= 0:
        raise LedgerInputError(f"status must be a positive status id like 5.1, got {value!r}")
    return Decimal(format(number.normalize(), "f"))


def json_text(value: JSON) -> str:
    """A cursor value as JSON text; non-JSON values (NaN, sets, objects) are refused."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise LedgerInputError(f"a cursor must be a JSON value: {exc}") from None


def version(value: object) -> FormVersion:
    """A form version whose ``updatedAt``, if any, is timezone-aware."""
    if not isinstance(value, FormVersion):
        raise LedgerInputError(f"version must be a FormVersion, got {value!r}")
    updated = value.updated_at
    if updated is not None and (not isinstance(updated, datetime) or updated.utcoffset() is None):
        raise LedgerInputError(f"version.updated_at must be timezone-aware, got {updated!r}")
    optional_text("version.revision", value.revision)
    optional_text("version.fulfillment_status", value.fulfillment_status)
    return value


def claim(value: object) -> Claim:
    """A claim handle as the ledger returned it."""
    if not isinstance(value, Claim):
        raise LedgerInputError(f"expected a Claim from claim() or renew(), got {value!r}")
    return value


def error_text(value: object) -> str:
    """An error text, cut to :data:`MAX_ERROR_TEXT` characters."""
    return text("error", value)[:MAX_ERROR_TEXT]


def rebound(existing: Binding, account: str, form_id: str, order: int) -> Binding:
    """Binding again: the stored binding if it is the same, else a conflict naming it."""
    if (existing.account, existing.form_id, existing.plenty_order_id) == (account, form_id, order):
        return existing
    raise BindingConflictError(
        f"form {form_id!r} of account {account!r} cannot be bound to order {order}: "
        f"form {existing.form_id!r} of account {existing.account!r} is bound to "
        f"order {existing.plenty_order_id}",
        existing=existing,
    )


def failed(
    previous: Failure | None,
    account: str,
    form_id: str,
    error: str,
    *,
    now: float,
    retry_at: float | None,
    quarantine_reason: str | None = None,
) -> Failure:
    """The failure record after one more failed attempt.

    A quarantined form stays quarantined whatever a worker records later: only an
    operator's release lets it go again.
    """
    quarantined = quarantine_reason is not None or (previous is not None and previous.quarantined)
    reason = quarantine_reason or (previous.quarantine_reason if previous else None)
    return Failure(
        account=account,
        form_id=form_id,
        attempts=(previous.attempts if previous else 0) + 1,
        last_error=error,
        next_retry_at=None if quarantined else retry_at,
        quarantined=quarantined,
        quarantine_reason=reason if quarantined else None,
        first_failed_at=previous.first_failed_at if previous else now,
        last_failed_at=now,
    )


def released(previous: Failure, *, now: float) -> Failure:
    """The failure record after an operator released it: due now, counted from zero."""
    return attrs.evolve(
        previous, attempts=0, next_retry_at=now, quarantined=False, quarantine_reason=None
    )


def binding_args(
    account: object, form_id: object, plenty_order_id: object, origin: object, revision: object
) -> tuple[int, BindingOrigin, str | None]:
    """The checked arguments of a bind: the order id, the origin and the revision."""
    text("account", account)
    text("form_id", form_id)
    return order_id(plenty_order_id), BindingOrigin(origin), optional_text("revision", revision)


def schema_error(store: str, found: int, supported: int) -> LedgerSchemaError:
    """The error for a store at schema version ``found`` when this release needs ``supported``."""
    if found > supported:
        problem = f"is at schema version {found}, newer than this release's {supported}"
    else:
        problem = f"is at schema version {found}; this release needs {supported}: call migrate()"
    return LedgerSchemaError(f"{store} {problem}", found=found, supported=supported)


# --- executions --------------------------------------------------------------------------

ExecutionKey = tuple[str, str, int, str]
"""(account, procedure, plenty order id, subject)."""


@attrs.frozen
class ExecutionRow:
    """An execution as a store keeps it: the record and who holds it until when."""

    execution: Execution
    owner: str | None
    epoch: int
    lease_until: float


def execution_key(
    account: object, procedure: object, plenty_order_id: object, subject: object
) -> ExecutionKey:
    """The checked key of an execution."""
    return (
        text("account", account),
        text("procedure", procedure),
        order_id(plenty_order_id),
        text("subject", subject),
    )


def claim_key(claim: object) -> ExecutionKey:
    """The key of the execution an execution claim names."""
    if not isinstance(claim, ExecutionClaim):
        raise LedgerInputError(f"expected an ExecutionClaim from begin_execution(), got {claim!r}")
    return (claim.account, claim.procedure, claim.plenty_order_id, claim.subject)


def execution_data(value: object) -> dict[str, JSON]:
    """Execution data: a JSON object, returned as a copy through JSON (what a store gives back)."""
    if not isinstance(value, dict):
        raise LedgerInputError(f"execution data must be a JSON object (a dict), got {value!r}")
    try:
        copied: dict[str, JSON] = json.loads(json_text(value))
    except LedgerInputError as exc:
        raise LedgerInputError(f"execution data must be JSON: {exc}") from None
    return copied


def new_execution(key: ExecutionKey, now: float) -> ExecutionRow:
    """A never-run execution, unclaimed (what a store holds before the first claim)."""
    execution = Execution(
        *key, ExecutionState.PENDING, None, None, 0, None, False, {}, now, now
    )  # fmt: skip
    return ExecutionRow(execution, None, 0, 0.0)


def blocked(row: ExecutionRow, owner: str, now: float) -> ExecutionBlock | None:
    """Why ``owner`` may not claim the execution now, or ``None``."""
    execution = row.execution
    if execution.final:
        return ExecutionBlock.FINAL
    if execution.quarantined:
        return ExecutionBlock.QUARANTINED
    live = row.owner is not None and row.lease_until > now
    if live and row.owner != owner:
        return ExecutionBlock.HELD
    due = execution.next_retry_at is None or execution.next_retry_at <= now
    if not due and not live:
        return ExecutionBlock.NOT_DUE
    return None


def begun(row: ExecutionRow, owner: str, lease: float, now: float) -> ExecutionRow:
    """The row once ``owner`` claimed it (see :func:`blocked` first).

    A running execution is due again when its lease runs out, so one whose
    worker died is picked up by :meth:`due_executions` without anyone's help.
    """
    live_own = row.owner == owner and row.lease_until > now
    until = now + lease
    execution = attrs.evolve(row.execution, next_retry_at=until, updated_at=now)
    return ExecutionRow(execution, owner, row.epoch if live_own else row.epoch + 1, until)


def claim_of(row: ExecutionRow) -> ExecutionClaim:
    """The claim a row's holder has."""
    assert row.owner is not None
    e = row.execution
    return ExecutionClaim(
        e.account, e.procedure, e.plenty_order_id, e.subject, row.owner, row.epoch, row.lease_until
    )


def held(row: ExecutionRow | None, claim: ExecutionClaim) -> ExecutionRow:
    """The row, if ``claim`` still holds it (its owner and epoch); else ClaimLostError."""
    if row is None or (row.owner, row.epoch) != (claim.owner, claim.epoch):
        raise ClaimLostError(account=claim.account, key=claim.key, owner=claim.owner)
    return row


def renewed(
    row: ExecutionRow, lease: float, data: dict[str, JSON] | None, now: float
) -> ExecutionRow:
    """The row with its lease extended (and its data replaced, if given)."""
    until = now + lease
    execution = attrs.evolve(
        row.execution,
        next_retry_at=until,
        data=row.execution.data if data is None else data,
        updated_at=now,
    )
    return attrs.evolve(row, execution=execution, lease_until=until)


def _ended(row: ExecutionRow, execution: Execution) -> ExecutionRow:
    # The claim ends with the attempt; the epoch stays, so it only ever grows.
    return ExecutionRow(execution, None, row.epoch, 0.0)


def finish_args(state: object, reason: object) -> tuple[ExecutionState, str | None]:
    """The checked state and reason of a finish: done, or skipped with its reason."""
    if state not in (ExecutionState.DONE, ExecutionState.SKIPPED):
        raise LedgerInputError(f"an execution finishes done or skipped, not {state!r}")
    note = optional_text("reason", reason)
    if state is ExecutionState.SKIPPED and note is None:
        raise LedgerInputError("a skipped execution needs its reason")
    assert isinstance(state, ExecutionState)
    return state, note


def finished(
    row: ExecutionRow,
    state: ExecutionState,
    reason: str | None,
    data: dict[str, JSON] | None,
    now: float,
) -> ExecutionRow:
    """The row once its attempt ended done or skipped (see :func:`finish_args`)."""
    execution = attrs.evolve(
        row.execution,
        state=state,
        reason=reason,
        next_retry_at=None,
        quarantined=False,
        data=row.execution.data if data is None else data,
        updated_at=now,
    )
    return _ended(row, execution)


def postponed(
    row: ExecutionRow, reason: str, retry_in: float, data: dict[str, JSON] | None, now: float
) -> ExecutionRow:
    """The row once its attempt ended waiting (on Allegro) until ``retry_in`` from now."""
    execution = attrs.evolve(
        row.execution,
        state=ExecutionState.PENDING,
        reason=reason,
        next_retry_at=now + retry_in,
        data=row.execution.data if data is None else data,
        updated_at=now,
    )
    return _ended(row, execution)


def failed_execution(
    row: ExecutionRow,
    error: str,
    retry_in: float | None,
    data: dict[str, JSON] | None,
    now: float,
) -> ExecutionRow:
    """The row once its attempt failed: due again ``retry_in`` from now, or quarantined."""
    execution = attrs.evolve(
        row.execution,
        state=ExecutionState.FAILED,
        reason=None,
        last_error=error,
        attempts=row.execution.attempts + 1,
        next_retry_at=None if retry_in is None else now + retry_in,
        quarantined=retry_in is None,
        data=row.execution.data if data is None else data,
        updated_at=now,
    )
    return _ended(row, execution)


def released_execution(row: ExecutionRow | None, key: ExecutionKey, now: float) -> ExecutionRow:
    """The row once an operator released it: due now, attempts counted from zero."""
    name = f"execution {key[1]}/{key[2]}/{key[3]} of account {key[0]!r}"
    if row is None:
        raise NotInLedgerError(f"the ledger holds no {name}")
    if row.execution.state is ExecutionState.DONE:
        raise NotInLedgerError(f"{name} is done; a done execution is final")
    execution = attrs.evolve(
        row.execution,
        state=ExecutionState.PENDING,
        attempts=0,
        quarantined=False,
        next_retry_at=now,
        updated_at=now,
    )
    return attrs.evolve(row, execution=execution)


def is_due(execution: Execution, now: float) -> bool:
    """Whether a due-list shows the execution: unfinished, not quarantined, its time passed."""
    return (
        execution.state in (ExecutionState.PENDING, ExecutionState.FAILED)
        and not execution.quarantined
        and execution.next_retry_at is not None
        and execution.next_retry_at <= now
    )


def due_order(execution: Execution) -> tuple[float, str, int, str]:
    """The order of a due-list: the longest overdue first."""
    assert execution.next_retry_at is not None
    return (
        execution.next_retry_at,
        execution.procedure,
        execution.plenty_order_id,
        execution.subject,
    )


def execution_filter(
    account: str | None,
    procedure: str | None,
    plenty_order_id: int | None,
    state: object,
    quarantined: bool | None,
) -> tuple[ExecutionState | None, Callable[[Execution], bool]]:
    """The checked ``state`` of an execution listing, and the test it makes."""
    try:
        wanted = None if state is None else ExecutionState(state)
    except ValueError:
        raise LedgerInputError(f"state must be an ExecutionState, got {state!r}") from None

    def keep(e: Execution) -> bool:
        return (
            (account is None or e.account == account)
            and (procedure is None or e.procedure == procedure)
            and (plenty_order_id is None or e.plenty_order_id == plenty_order_id)
            and (wanted is None or e.state is wanted)
            and (quarantined is None or e.quarantined == quarantined)
        )

    return wanted, keep


def listing_order(execution: Execution) -> tuple[str, str, int, str]:
    """The order of an execution listing."""
    return (
        execution.account,
        execution.procedure,
        execution.plenty_order_id,
        execution.subject,
    )


# --- the execution calls, as changes of one row ---------------------------------------------

Change = Callable[[ExecutionRow | None, float], tuple[ExecutionRow | None, T]]
"""What one execution call does to the row of its execution, given the ledger's ``now``:
the new row (stored unless it is the row given) and the call's result. Every store
applies it atomically; the arguments are checked when the change is made."""


def begin_change(
    account: object,
    procedure: object,
    plenty_order_id: object,
    subject: object,
    owner: object,
    lease: object,
) -> tuple[ExecutionKey, Change[ExecutionStart]]:
    """``begin_execution``."""
    key = execution_key(account, procedure, plenty_order_id, subject)
    claimant = text("owner", owner)
    seconds = duration("lease", lease)

    def begin(row: ExecutionRow | None, now: float) -> tuple[ExecutionRow, ExecutionStart]:
        row = row or new_execution(key, now)
        block = blocked(row, claimant, now)
        if block is not None:
            return row, ExecutionStart(row.execution, None, block)
        taken = begun(row, claimant, seconds, now)
        return taken, ExecutionStart(taken.execution, claim_of(taken), None)

    return key, begin


def _data(data: object) -> dict[str, JSON] | None:
    return None if data is None else execution_data(data)


def renew_change(
    claim: ExecutionClaim, lease: object, data: object
) -> tuple[ExecutionKey, Change[ExecutionClaim]]:
    """``renew_execution``."""
    key, seconds, stored = claim_key(claim), duration("lease", lease), _data(data)

    def renew(row: ExecutionRow | None, now: float) -> tuple[ExecutionRow, ExecutionClaim]:
        new = renewed(held(row, claim), seconds, stored, now)
        return new, claim_of(new)

    return key, renew


def _ending(
    claim: ExecutionClaim, end: Callable[[ExecutionRow, float], ExecutionRow]
) -> tuple[ExecutionKey, Change[Execution]]:
    key = claim_key(claim)

    def ended(row: ExecutionRow | None, now: float) -> tuple[ExecutionRow, Execution]:
        new = end(held(row, claim), now)
        return new, new.execution

    return key, ended


def finish_change(
    claim: ExecutionClaim, state: object, reason: object, data: object
) -> tuple[ExecutionKey, Change[Execution]]:
    """``finish_execution``."""
    final, note = finish_args(state, reason)
    stored = _data(data)
    return _ending(claim, lambda row, now: finished(row, final, note, stored, now))


def postpone_change(
    claim: ExecutionClaim, reason: object, retry_in: object, data: object
) -> tuple[ExecutionKey, Change[Execution]]:
    """``postpone_execution``."""
    note = text("reason", reason)
    seconds = duration("retry_in", retry_in, allow_zero=True)
    stored = _data(data)
    return _ending(claim, lambda row, now: postponed(row, note, seconds, stored, now))


def fail_change(
    claim: ExecutionClaim, error: object, retry_in: object, data: object
) -> tuple[ExecutionKey, Change[Execution]]:
    """``fail_execution``."""
    message = error_text(error)
    seconds = None if retry_in is None else duration("retry_in", retry_in, allow_zero=True)
    stored = _data(data)
    return _ending(claim, lambda row, now: failed_execution(row, message, seconds, stored, now))


def release_change(
    account: object, procedure: object, plenty_order_id: object, subject: object
) -> tuple[ExecutionKey, Change[Execution]]:
    """``release_execution``."""
    key = execution_key(account, procedure, plenty_order_id, subject)

    def release(row: ExecutionRow | None, now: float) -> tuple[ExecutionRow, Execution]:
        new = released_execution(row, key, now)
        return new, new.execution

    return key, release
