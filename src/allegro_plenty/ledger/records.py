"""What the ledger stores: plain, immutable records every implementation returns.

Times (``bound_at``, ``lease_until``, ``next_retry_at`` ...) are seconds since the
epoch on the *ledger's* clock, never the caller's: callers pass durations, and the
ledger adds them to its own ``now``. A shared database ledger uses the database's
clock, so workers with skewed clocks still agree on when a lease runs out.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TypeAlias

import attrs

__all__ = [
    "JSON",
    "Binding",
    "BindingOrigin",
    "Claim",
    "Cursor",
    "Decision",
    "Execution",
    "ExecutionBlock",
    "ExecutionClaim",
    "ExecutionStart",
    "ExecutionState",
    "Failure",
    "FormVersion",
    "StatusWrite",
]

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None
"""A JSON value, as cursors hold them."""


class BindingOrigin(enum.Enum):
    """How a checkout form came to be bound to its plentymarkets order."""

    CREATED = "created"
    """The importer created the order."""
    ADOPTED = "adopted"
    """The importer found the order already in plentymarkets and took it over."""
    MANUAL = "manual"
    """A person handled the form by hand and told the ledger its order id."""


@attrs.frozen
class Binding:
    """A checkout form and the plentymarkets order it became (one each way).

    Attributes:
        account: The account key (the seller id).
        form_id: The Allegro checkout-form id.
        plenty_order_id: The plentymarkets sales order id.
        origin: Created, adopted or marked by hand.
        revision: The form's revision last brought into plentymarkets.
        paid_parts: Ids of the paid parts already in plentymarkets (the payment
            id, each surcharge's id), so each part becomes exactly one payment.
        steps_done: Follow-up steps already done (``"payment"``, ``"comment"`` ...).
        bound_at: When the binding was made (ledger clock).
        note: The operator's note for a form marked by hand.
    """

    account: str
    form_id: str
    plenty_order_id: int
    origin: BindingOrigin
    revision: str | None
    paid_parts: frozenset[str]
    steps_done: frozenset[str]
    bound_at: float
    note: str | None = None


@attrs.frozen
class Claim:
    """A worker's exclusive, leased right to work on one key.

    Attributes:
        account: The account key.
        key: What is claimed (a checkout-form id, or any key the caller chooses).
        owner: Who holds it; unique per worker (a host name, pid and random part).
        epoch: Raised by every takeover: a claim is held only while the stored
            owner *and* epoch are this claim's, so a worker that lost a claim and
            took it again later cannot mistake its old handle for the new one.
        lease_until: When the lease runs out (ledger clock) unless renewed.
    """

    account: str
    key: str
    owner: str
    epoch: int
    lease_until: float


@attrs.frozen
class FormVersion:
    """What identifies the state of a checkout form a decision was made on.

    Attributes:
        revision: The form's ``revision``.
        updated_at: The form's ``updatedAt`` (timezone-aware).
        fulfillment_status: The form's ``fulfillment.status`` (``"NEW"`` ...).
    """

    revision: str | None = None
    updated_at: datetime | None = None
    fulfillment_status: str | None = None


@attrs.frozen
class Decision:
    """Why a form was not imported, and on what it was decided.

    Attributes:
        account: The account key.
        form_id: The checkout-form id.
        reason: Why it was skipped (``"not paid"``, ``"gone"`` ...).
        final: Whether the decision can never change (a merged form that is gone).
            A non-final skip is never treated as done: it is looked at again as
            soon as the form or the configuration changes.
        version: The form's state when it was decided.
        fingerprint: A fingerprint of the configuration that decided.
        decided_at: When (ledger clock).
    """

    account: str
    form_id: str
    reason: str
    final: bool
    version: FormVersion
    fingerprint: str
    decided_at: float

    def needs_another_look(self, version: FormVersion, fingerprint: str) -> bool:
        """Whether a form seen at ``version`` under ``fingerprint`` must be decided again.

        A final decision stands; any other is re-opened by a different revision,
        ``updatedAt``, fulfillment status or configuration fingerprint.
        """
        if self.final:
            return False
        return self.version != version or self.fingerprint != fingerprint


@attrs.frozen
class Failure:
    """A form whose processing failed: when to try again, or why it is quarantined.

    Attributes:
        account: The account key.
        form_id: The checkout-form id.
        attempts: Failed attempts since the last release.
        last_error: The last error's text (no personal data).
        next_retry_at: When it is due again (ledger clock); ``None`` while quarantined.
        quarantined: Whether it waits for a person instead of a retry.
        quarantine_reason: Why it was quarantined.
        first_failed_at: When it first failed (ledger clock).
        last_failed_at: When it last failed (ledger clock).
    """

    account: str
    form_id: str
    attempts: int
    last_error: str
    next_retry_at: float | None
    quarantined: bool
    quarantine_reason: str | None
    first_failed_at: float
    last_failed_at: float


@attrs.frozen
class Cursor:
    """Where a resumable walk stopped, stored as opaque JSON.

    Attributes:
        account: The account key.
        name: The walk's name (``"events"``, ``"sweep"`` ...).
        value: The walk's own cursor; the ledger never looks inside.
        version: 1 for the first save, one more for each later save. A save names
            the version it was based on and is refused if the cursor moved since,
            so the stored cursor only ever moves forward from what its writer read.
        saved_at: When it was saved (ledger clock).
    """

    account: str
    name: str
    value: JSON
    version: int
    saved_at: float


@attrs.frozen
class StatusWrite:
    """A status the library set (or is about to set) on a plentymarkets order.

    Attributes:
        id: The record's id in the ledger.
        account: The account key.
        plenty_order_id: The order.
        status: The status id (``Decimal("8")``, ``Decimal("5.1")``).
        recorded_at: When it was recorded (ledger clock).
    """

    id: int
    account: str
    plenty_order_id: int
    status: Decimal
    recorded_at: float


# --- executions of event procedures (schema v2) ---------------------------------------------


class ExecutionState(enum.Enum):
    """Where one execution of an event procedure stands."""

    PENDING = "pending"
    """Not finished: never run, running (claimed), or waiting to be looked at again at
    ``next_retry_at`` (a refund Allegro has not settled yet)."""
    DONE = "done"
    """Done. Final: the execution never runs again."""
    SKIPPED = "skipped"
    """Nothing to do, for the recorded reason. Final, unless an operator releases it."""
    FAILED = "failed"
    """The last attempt failed; due again at ``next_retry_at``, or quarantined."""


class ExecutionBlock(enum.Enum):
    """Why :meth:`~allegro_plenty.ledger.ImportLedger.begin_execution` did not hand out a claim."""

    FINAL = "final"
    """The execution is done or skipped."""
    QUARANTINED = "quarantined"
    """It failed for good and waits for an operator's release."""
    HELD = "held"
    """Another worker holds it, and its lease has not run out."""
    NOT_DUE = "not_due"
    """It failed (or waits on Allegro) and its next attempt is not due yet."""


@attrs.frozen
class Execution:
    """One execution of an event procedure: a procedure applied to one order and subject.

    The key is (``account``, ``procedure``, ``plenty_order_id``, ``subject``); the
    subject says what the execution is about (a target status, a normalized
    waybill, a refund), so a repeated dispatch finds the execution done while a
    second parcel or a second partial refund is an execution of its own.

    Attributes:
        account: The account key (the seller id).
        procedure: The procedure's key.
        plenty_order_id: The plentymarkets sales order.
        subject: What the execution is about.
        state: Pending, done, skipped or failed.
        reason: Why it was skipped, or a note on why it is done or waits.
        last_error: The last failed attempt's error text (no personal data).
        attempts: Failed attempts since it was created or released.
        next_retry_at: When it is due again (ledger clock): after a failure, while it
            waits, or when a running attempt's lease runs out. ``None`` once final
            or quarantined.
        quarantined: Whether it waits for a person instead of a retry.
        data: What the procedure stored before it wrote to Allegro (a refund's
            ``commandId`` and exact body ...), JSON; ``{}`` until then.
        created_at: When it was first begun (ledger clock).
        updated_at: When it last changed (ledger clock).
    """

    account: str
    procedure: str
    plenty_order_id: int
    subject: str
    state: ExecutionState
    reason: str | None
    last_error: str | None
    attempts: int
    next_retry_at: float | None
    quarantined: bool
    data: dict[str, JSON]
    created_at: float
    updated_at: float

    @property
    def final(self) -> bool:
        """Whether it is done or skipped, so it never runs again on its own."""
        return self.state in (ExecutionState.DONE, ExecutionState.SKIPPED)


@attrs.frozen
class ExecutionClaim:
    """A worker's exclusive, leased right to run one execution.

    Held while the stored owner *and* epoch are this claim's; every takeover
    raises the epoch, as for :class:`Claim`.
    """

    account: str
    procedure: str
    plenty_order_id: int
    subject: str
    owner: str
    epoch: int
    lease_until: float

    @property
    def key(self) -> str:
        """The execution's key as one text (for messages): ``procedure/order/subject``."""
        return f"{self.procedure}/{self.plenty_order_id}/{self.subject}"


@attrs.frozen
class ExecutionStart:
    """What :meth:`~allegro_plenty.ledger.ImportLedger.begin_execution` found and took.

    Attributes:
        execution: The execution as stored after the call.
        claim: The claim to run it under, or ``None``.
        blocked: Why there is no claim; ``None`` when there is one.
    """

    execution: Execution
    claim: ExecutionClaim | None
    blocked: ExecutionBlock | None
