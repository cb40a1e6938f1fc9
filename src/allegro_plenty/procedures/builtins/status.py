"""*Allegro : Order status X*: set the Allegro fulfillment status, never backwards.

Allegro takes any status at any time (allegro-api #3085) but counts every PUT,
the same status included, against 100 changes per order (#3652, #11908), so the
form is read first and nothing is sent when Allegro already has the status or
is ahead. The PUT carries the form's revision; a 409 (stale revision) re-reads
the form and tries once more.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..._plan import Plan, call
from ...allegro.models import CheckoutForm, FulfillmentStatus
from ...errors import StaleRevisionError, UnprocessableEntityError
from ..context import ExecutionRun, ProcedureContext, ProcedureOrder, refuse_one_fulfillment
from ..handler import ActionOutcome, DisplayNames, Done, EventProcedureHandler, Skipped
from ..outcome import ExecutionResult
from ._shared import allegro_refusal

__all__ = ["RANK", "StatusProcedure", "status_key"]

RANK: dict[FulfillmentStatus, int] = {
    FulfillmentStatus.NEW: 0,
    FulfillmentStatus.PROCESSING: 1,
    FulfillmentStatus.READY_FOR_SHIPMENT: 2,
    FulfillmentStatus.READY_FOR_PICKUP: 2,
    FulfillmentStatus.SENT: 3,
    FulfillmentStatus.PICKED_UP: 3,
}
"""How far an order has come; a procedure never moves Allegro to a lower rank."""

UNTOUCHABLE = (FulfillmentStatus.CANCELLED, FulfillmentStatus.RETURNED)
"""Statuses a procedure never changes: a cancelled or returned order stays so."""


def status_key(status: FulfillmentStatus) -> str:
    """The key of the built-in procedure that sets ``status`` (``allegro.status.sent``)."""
    return f"allegro.status.{status.value.lower()}"


class StatusProcedure(EventProcedureHandler):
    """Sets one Allegro fulfillment status; the execution's subject is that status.

    Args:
        target: The status to set (any a seller may set: not ``RETURNED``).
        allow_backwards: Also move Allegro back to a lower rank (``SENT`` →
            ``PROCESSING``); register such a variant under a key of its own.
        key: The procedure's key; ``allegro.status.<status>`` by default.
        names: Display names; ``Allegro : Order status <STATUS>`` by default.
        description: For sellers; a default says what it does.
    """

    def __init__(
        self,
        target: FulfillmentStatus | str,
        *,
        allow_backwards: bool = False,
        key: str | None = None,
        names: DisplayNames | None = None,
        description: str | None = None,
    ) -> None:
        self.target = FulfillmentStatus(target)
        if self.target not in RANK and self.target is not FulfillmentStatus.CANCELLED:
            raise ValueError(f"a seller cannot set the status {self.target.value}")
        self.allow_backwards = allow_backwards
        self.key = key or status_key(self.target)
        status = self.target.value
        self.names = names or DisplayNames(
            en=f"Allegro : Order status {status}",
            de=f"Allegro : Auftragsstatus {status}",
            pl=f"Allegro : Status zamówienia {status}",
        )
        self.description = description or (
            f"Sets the Allegro order's fulfillment status to {status}, unless Allegro has it "
            "already or is further along; never touches a cancelled or returned order."
        )

    def __repr__(self) -> str:
        return f"StatusProcedure({self.target.value}, key={self.key!r})"

    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        """One execution: the target status on the order's checkout form."""
        subject = self.target.value
        if not order.wants(subject):
            return ()

        def set_status(run: ExecutionRun) -> Plan[ActionOutcome]:
            return (yield from self._set(context, order, run))

        result = yield from context.once(order, subject, set_status)
        return (result,)

    def skip_reason(self, current: FulfillmentStatus | None) -> str | None:
        """Why the target is not set on a form whose status is ``current``, or ``None``."""
        if current == self.target:
            return f"allegro already has {self.target.value}"
        if current in UNTOUCHABLE:
            return f"allegro ahead: {current.value}"
        if self.target is FulfillmentStatus.CANCELLED:
            return None
        rank = RANK.get(current) if current is not None else 0
        if rank is None:
            return f"allegro status {current} is not one a procedure changes"
        if rank > RANK[self.target] and not self.allow_backwards:
            assert current is not None
            return f"allegro ahead: {current.value}"
        return None

    def _set(
        self, context: ProcedureContext, order: ProcedureOrder, run: ExecutionRun
    ) -> Plan[ActionOutcome]:
        for attempt in (1, 2):
            form: CheckoutForm = yield from call(
                context.allegro, "get_checkout_form", order.form_id
            )
            refuse_one_fulfillment(form, self.key)
            current = form.fulfillment.status if form.fulfillment is not None else None
            skip = self.skip_reason(current)
            if skip is not None:
                return Skipped(skip)
            yield from run.guard()
            try:
                yield from call(
                    context.allegro,
                    "set_fulfillment_status",
                    order.form_id,
                    self.target,
                    revision=form.revision,
                )
            except StaleRevisionError:
                if attempt == 2:
                    raise
                continue  # the buyer changed the form meanwhile: read it again, decide again
            except UnprocessableEntityError as refused:
                raise allegro_refusal(self.key, refused) from refused
            was = current.value if current is not None else "none"
            return Done(f"set {self.target.value} (was {was})")
        raise AssertionError("unreachable")  # pragma: no cover
