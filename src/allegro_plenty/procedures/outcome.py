"""What a dispatch did: per execution, per dispatch, and for a batch of dispatches."""

from __future__ import annotations

import enum
from collections.abc import Iterator

import attrs

from ..errors import AllegroPlentyError
from ..ledger import Execution, ExecutionBlock

__all__ = [
    "DispatchFailure",
    "ExecutionResult",
    "ExecutionStatus",
    "ProcedureOutcome",
    "ProcedureReport",
]


class ExecutionStatus(enum.Enum):
    """What one dispatch did with one execution."""

    DONE = "done"
    """It ran and is done."""
    SKIPPED = "skipped"
    """It ran and found nothing to do (or refused the order); final."""
    WAITING = "waiting"
    """It ran; Allegro has not settled it yet (a refund), so it is looked at again later."""
    FAILED = "failed"
    """It ran and failed; it is due again later."""
    QUARANTINED = "quarantined"
    """It ran and failed for good, or too often; it waits for an operator."""
    ALREADY_FINAL = "already_final"
    """Not run: done or skipped before."""
    HELD = "held"
    """Not run: another worker runs it right now."""
    NOT_DUE = "not_due"
    """Not run: it failed before and its next attempt is not due yet."""
    ON_HOLD = "on_hold"
    """Not run: it is quarantined."""
    LOST = "lost"
    """It ran, but another worker took it over meanwhile (its lease ran out): nothing recorded."""
    NOT_YET = "not_yet"
    """Not run, and no execution recorded: there is nothing to work on yet (an order without
    an invoice document); the next dispatch looks again."""

    @property
    def ran(self) -> bool:
        """Whether the execution's work ran in this dispatch."""
        return self in _RAN


_RAN = frozenset(
    {
        ExecutionStatus.DONE,
        ExecutionStatus.SKIPPED,
        ExecutionStatus.WAITING,
        ExecutionStatus.FAILED,
        ExecutionStatus.QUARANTINED,
        ExecutionStatus.LOST,
    }
)

NOT_RUN: dict[ExecutionBlock, ExecutionStatus] = {
    ExecutionBlock.FINAL: ExecutionStatus.ALREADY_FINAL,
    ExecutionBlock.HELD: ExecutionStatus.HELD,
    ExecutionBlock.NOT_DUE: ExecutionStatus.NOT_DUE,
    ExecutionBlock.QUARANTINED: ExecutionStatus.ON_HOLD,
}


@attrs.frozen
class ExecutionResult:
    """One execution in one dispatch.

    Attributes:
        subject: What the execution is about (a status, a waybill, ``"full"`` ...).
        status: What this dispatch did with it.
        reason: Why it was skipped or waits, what was done, or the error's text.
        error: The error it failed (or was refused) with, if any.
        execution: The execution as the ledger holds it afterwards.
    """

    subject: str
    status: ExecutionStatus
    reason: str | None = None
    error: Exception | None = attrs.field(default=None, eq=False)
    execution: Execution | None = None


@attrs.frozen
class ProcedureOutcome:
    """What one dispatch of a procedure on one plentymarkets order did.

    Attributes:
        procedure: The procedure's key.
        plenty_order_id: The order dispatched (a sales order, or a delivery or
            return order of one).
        account: The Allegro account (seller id) the order belongs to.
        form_id: The Allegro checkout-form id.
        sales_order_id: The plentymarkets sales order the executions are kept under.
        results: One entry per execution the procedure looked at.
    """

    procedure: str
    plenty_order_id: int
    account: str
    form_id: str
    sales_order_id: int
    results: tuple[ExecutionResult, ...]

    def with_status(self, *statuses: ExecutionStatus) -> tuple[ExecutionResult, ...]:
        """The results with one of ``statuses``."""
        return tuple(r for r in self.results if r.status in statuses)

    @property
    def done(self) -> tuple[ExecutionResult, ...]:
        """Executions done in this dispatch."""
        return self.with_status(ExecutionStatus.DONE)

    @property
    def skipped(self) -> tuple[ExecutionResult, ...]:
        """Executions that ran and were skipped in this dispatch."""
        return self.with_status(ExecutionStatus.SKIPPED)

    @property
    def failed(self) -> tuple[ExecutionResult, ...]:
        """Executions that failed in this dispatch (quarantined ones included)."""
        return self.with_status(ExecutionStatus.FAILED, ExecutionStatus.QUARANTINED)

    @property
    def errors(self) -> tuple[Exception, ...]:
        """Every error recorded in this dispatch (failures and refusals)."""
        return tuple(r.error for r in self.results if r.error is not None)

    def raise_for_error(self) -> None:
        """Raise the first error recorded in this dispatch, if any (for a webhook that
        answers with an error status)."""
        for error in self.errors:
            raise error


@attrs.frozen
class DispatchFailure:
    """A dispatch of a batch that failed before any execution: the procedure is unknown,
    the order is not an Allegro order, plentymarkets could not be read ...

    Attributes:
        procedure: The key dispatched.
        plenty_order_id: The order dispatched.
        subject: The subject asked for, if any.
        error: Why it failed.
    """

    procedure: str
    plenty_order_id: int
    subject: str | None
    error: AllegroPlentyError = attrs.field(eq=False)


@attrs.frozen
class ProcedureReport:
    """What a batch of dispatches did: what ran, was skipped, failed, and which
    dispatches failed before running anything."""

    outcomes: tuple[ProcedureOutcome, ...] = ()
    failures: tuple[DispatchFailure, ...] = ()

    def results(self) -> Iterator[tuple[ProcedureOutcome, ExecutionResult]]:
        """Every execution result with the dispatch it belongs to."""
        for outcome in self.outcomes:
            for result in outcome.results:
                yield outcome, result

    def _with(
        self, *statuses: ExecutionStatus
    ) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        return tuple((o, r) for o, r in self.results() if r.status in statuses)

    @property
    def done(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions done."""
        return self._with(ExecutionStatus.DONE)

    @property
    def skipped(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions that ran and were skipped."""
        return self._with(ExecutionStatus.SKIPPED)

    @property
    def failed(self) -> tuple[tuple[ProcedureOutcome, ExecutionResult], ...]:
        """Executions that failed (quarantined ones included)."""
        return self._with(ExecutionStatus.FAILED, ExecutionStatus.QUARANTINED)

    def merged(self, other: ProcedureReport) -> ProcedureReport:
        """This report followed by ``other``."""
        return ProcedureReport(self.outcomes + other.outcomes, self.failures + other.failures)
