"""What a handler works with: the resolved order, the context, and one execution's run.

:meth:`ProcedureContext.once` is where "at most once" lives: it claims the
execution in the ledger (one compare-and-set), runs the handler's action only
under that claim, and records how the attempt ended: done, skipped, waiting,
failed with a backoff, or quarantined.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import attrs

from .._plan import Plan, call
from ..allegro.models import CheckoutForm, FulfillmentProviderId
from ..errors import (
    AllegroPlentyError,
    APIStatusError,
    ClaimLostError,
    ConfigurationError,
    InvalidRequestError,
    LedgerInputError,
    MappingError,
    ModelValidationError,
    OneFulfillmentError,
    ProcedureError,
    ProcedureRefusedError,
    ReferenceDataError,
    RefundNotFoundError,
    StaleRevisionError,
)
from ..ledger import JSON, Binding, Execution, ExecutionClaim, ExecutionStart, ExecutionState
from .config import ProcedureConfig, ProcedureSettings
from .handler import Action, ActionOutcome, Done, Skipped, Waiting
from .outcome import NOT_RUN, ExecutionResult, ExecutionStatus

if TYPE_CHECKING:
    from ..plenty.models import Order

__all__ = ["ExecutionRun", "ProcedureContext", "ProcedureOrder", "refuse_one_fulfillment"]

log = logging.getLogger("allegro_plenty.procedures")

# Statuses a retry may cure: the token renewed, the service back, the limit past.
_TRANSIENT_STATUSES = frozenset({401, 403, 408, 423, 425, 429})
# Errors no retry cures: the order, the data or the configuration needs a person.
_NEEDS_A_PERSON = (
    ProcedureError,
    ConfigurationError,
    InvalidRequestError,
    LedgerInputError,
    MappingError,
    ModelValidationError,
    ReferenceDataError,
    RefundNotFoundError,
)


@attrs.frozen
class ProcedureOrder:
    """A plentymarkets order resolved to its Allegro order.

    Attributes:
        account: The Allegro account (seller id).
        form_id: The Allegro checkout-form id.
        order_id: The plentymarkets sales order (executions are kept under it).
        dispatched_id: The order the dispatch named.
        child_id: The delivery or return order dispatched, if it was one.
        child_type: Its order type (2 delivery, 3 return).
        subject: The only subject the dispatch asks for, or ``None`` for all.
        binding: The ledger's binding, when the order is bound.
        child_order: The child order as read while resolving (handlers reuse it).
        sales_order: The sales order, if it was read while resolving.
    """

    account: str
    form_id: str
    order_id: int
    dispatched_id: int
    child_id: int | None = None
    child_type: int | None = None
    subject: str | None = None
    binding: Binding | None = None
    child_order: Order | None = attrs.field(default=None, eq=False, repr=False)
    sales_order: Order | None = attrs.field(default=None, eq=False, repr=False)

    def wants(self, subject: str) -> bool:
        """Whether the dispatch asks for ``subject`` (it asks for all unless it named one)."""
        return self.subject is None or self.subject == subject


@attrs.frozen
class ProcedureContext:
    """What a handler works with for one dispatch.

    Attributes:
        procedure: The procedure's key.
        account: The Allegro account (seller id).
        allegro: The resource name of the account's Allegro client in plans
            (``"allegro:<seller id>"``): ``yield from call(context.allegro,
            "get_checkout_form", form_id)``.
        plenty: The resource name of the plentymarkets client.
        ledger: The resource name of the ledger.
        config: The seller's configuration.
        settings: Leases and retries.
    """

    procedure: str
    account: str
    allegro: str
    config: ProcedureConfig
    settings: ProcedureSettings
    plenty: str = "plenty"
    ledger: str = "ledger"

    def once(self, order: ProcedureOrder, subject: str, action: Action) -> Plan[ExecutionResult]:
        """Run ``action`` as the execution (procedure, order, ``subject``), at most once.

        The action runs only under the execution's claim, and not at all when the
        execution is done or skipped, quarantined, not due yet or running
        elsewhere. What it returns, or raises, is recorded: a
        :class:`~allegro_plenty.errors.ProcedureRefusedError` as a skip; any
        other error as a failure, due again with a growing backoff, or
        quarantined at once when no retry can help (Allegro refused the write,
        the configuration is wrong) or after ``settings.max_attempts``.
        """
        # An owner of this attempt's own: threads or tasks sharing one runner (one
        # settings.owner) must not mistake each other's claim for their own.
        owner = f"{self.settings.owner}/{uuid.uuid4().hex[:12]}"
        start: ExecutionStart = yield from call(
            self.ledger,
            "begin_execution",
            order.account,
            self.procedure,
            order.order_id,
            subject,
            owner,
            lease=self.settings.lease,
        )
        if start.claim is None:
            assert start.blocked is not None
            return ExecutionResult(subject, NOT_RUN[start.blocked], execution=start.execution)
        run = ExecutionRun(self, order, subject, start.claim, start.execution)
        try:
            outcome = yield from action(run)
        except ClaimLostError as lost:
            return ExecutionResult(subject, ExecutionStatus.LOST, str(lost), lost)
        except Exception as error:  # every failure is recorded, none is lost
            return (yield from self._failed(run, error))
        return (yield from self._record(run, outcome))

    def _record(self, run: ExecutionRun, outcome: ActionOutcome) -> Plan[ExecutionResult]:
        if isinstance(outcome, Done):
            state, status, note = ExecutionState.DONE, ExecutionStatus.DONE, outcome.note
            ended = yield from self._end(
                run, "finish_execution", state, reason=note, data=outcome.data
            )
        elif isinstance(outcome, Skipped):
            state, status, note = ExecutionState.SKIPPED, ExecutionStatus.SKIPPED, outcome.reason
            ended = yield from self._end(
                run, "finish_execution", state, reason=note, data=outcome.data
            )
        elif isinstance(outcome, Waiting):
            status, note = ExecutionStatus.WAITING, outcome.reason
            wait = self.settings.waiting_poll if outcome.retry_in is None else outcome.retry_in
            ended = yield from self._end(
                run, "postpone_execution", note, retry_in=wait, data=outcome.data
            )
        else:
            raise TypeError(f"an action returns Done, Skipped or Waiting, not {outcome!r}")
        if ended is None:
            return ExecutionResult(run.subject, ExecutionStatus.LOST, "taken over meanwhile")
        return ExecutionResult(run.subject, status, note, execution=ended)

    def _failed(self, run: ExecutionRun, error: Exception) -> Plan[ExecutionResult]:
        text = f"{type(error).__name__}: {error}"
        if isinstance(error, ProcedureRefusedError):
            ended = yield from self._end(
                run, "finish_execution", ExecutionState.SKIPPED, reason=text
            )
            status = ExecutionStatus.SKIPPED
        else:
            retry_in = self.settings.retry_in(run.execution.attempts) if _may_pass(error) else None
            ended = yield from self._end(run, "fail_execution", text, retry_in=retry_in)
            status = ExecutionStatus.FAILED if retry_in is not None else ExecutionStatus.QUARANTINED
            log.warning(
                "%s on order %s (%s) failed: %s",
                self.procedure,
                run.order.order_id,
                run.subject,
                text,
                extra={"procedure": self.procedure, "plenty_order_id": run.order.order_id},
            )
        if ended is None:
            status = ExecutionStatus.LOST
        return ExecutionResult(run.subject, status, text, error, ended)

    def _end(
        self, run: ExecutionRun, method: str, *args: object, **kwargs: object
    ) -> Plan[Execution | None]:
        """End the attempt in the ledger; ``None`` if another worker took it over meanwhile."""
        try:
            ended: Execution = yield from call(self.ledger, method, run.claim, *args, **kwargs)
        except ClaimLostError:
            return None
        return ended


def _may_pass(error: Exception) -> bool:
    """Whether a later attempt may succeed where this one failed with ``error``."""
    if isinstance(error, StaleRevisionError):
        return True  # the form keeps changing under us: try again later
    if isinstance(error, APIStatusError):
        return not 400 <= error.status_code < 500 or error.status_code in _TRANSIENT_STATUSES
    if isinstance(error, _NEEDS_A_PERSON):
        return False
    # Connections, timeouts, budgets, busy ledgers, tokens: time helps. Anything
    # that is no library error is a defect a retry would only repeat.
    return isinstance(error, AllegroPlentyError)


class ExecutionRun:
    """One attempt at one execution, under its claim: what the action works with.

    Attributes:
        context: The dispatch's context.
        order: The resolved order.
        subject: The execution's subject.
        claim: The claim the attempt holds (renewed by :meth:`save` and :meth:`guard`).
        execution: The execution as it stood when the attempt began: its
            ``attempts`` and the ``data`` an earlier attempt stored.
    """

    def __init__(
        self,
        context: ProcedureContext,
        order: ProcedureOrder,
        subject: str,
        claim: ExecutionClaim,
        execution: Execution,
    ) -> None:
        self.context = context
        self.order = order
        self.subject = subject
        self.claim = claim
        self.execution = execution
        self.data: dict[str, JSON] = dict(execution.data)
        """The execution's data as last stored (a copy)."""

    def __repr__(self) -> str:
        return f"ExecutionRun({self.claim.key!r}, attempts={self.execution.attempts})"

    def guard(self) -> Plan[None]:
        """Renew the claim; call it right before each write to Allegro.

        Raises :class:`~allegro_plenty.errors.ClaimLostError` when another worker
        took the execution over (its lease ran out), so the write is not sent twice.
        """
        self.claim = yield from call(
            self.context.ledger, "renew_execution", self.claim, lease=self.context.settings.lease
        )

    def save(self, data: dict[str, JSON]) -> Plan[None]:
        """Store ``data`` with the execution (and renew the claim) *before* writing to
        Allegro what a later attempt must send again exactly (a refund's body)."""
        self.claim = yield from call(
            self.context.ledger,
            "renew_execution",
            self.claim,
            lease=self.context.settings.lease,
            data=data,
        )
        self.data = dict(data)


def refuse_one_fulfillment(form: CheckoutForm, procedure: str) -> None:
    """Raise :class:`~allegro_plenty.errors.OneFulfillmentError` for an order Allegro's
    warehouse fulfils (``fulfillment.provider.id == ALLEGRO``)."""
    provider = form.fulfillment.provider if form.fulfillment is not None else None
    if provider is not None and provider.id == FulfillmentProviderId.ALLEGRO:
        raise OneFulfillmentError(form.id, procedure)
