"""*Allegro : Refund payment*: refund what a return order (or the whole order) covers.

One execution per refund: the subject is the return order's id, or ``"full"``
for the order as a whole. The refund's body is worked out from Allegro's own
values (:mod:`._refundable`), its ``commandId`` (Allegro's idempotency key) is a
UUID5 of (account, form, subject, attempt), and both are stored in the ledger
*before* the refund is sent. After an outcome that is not known (a timeout, a
5xx) a later attempt sends that stored body again, never one worked out anew,
so Allegro sees the same command and refunds once. A refund's state is read
back by its id until it is final. After a final failure (Allegro refused it,
or ended it ``CANCELED`` / ``VALIDATE_FAILED``) the execution is quarantined;
an operator's release starts the next attempt, with a new ``commandId``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..._convert import make_converter, parse_model
from ..._plan import Plan, call
from ...allegro.models import (
    CheckoutForm,
    NewRefund,
    PaymentType,
    Refund,
    RefundReference,
    Refunds,
    RefundStatus,
)
from ...errors import (
    APIStatusError,
    LineItemsUnclearError,
    NotFromAllegroError,
    NotRefundableError,
    RefundFailedError,
)
from ...ledger import JSON
from ...plenty.models import Order, OrderItemType, OrderType
from ..context import ExecutionRun, ProcedureContext, ProcedureOrder, refuse_one_fulfillment
from ..handler import ActionOutcome, Done, EventProcedureHandler, Skipped, Waiting
from ..outcome import ExecutionResult
from ._lines import LineMap, line_of_item
from ._refundable import FAILED_REFUNDS, Refundable, RefundParts
from ._shared import ABOUT, REFUSALS, allegro_refusal

__all__ = ["COMMAND_NAMESPACE", "FULL", "REFUND_KEY", "RefundProcedure", "command_id"]

REFUND_KEY = "allegro.refund"
FULL = "full"
"""The subject of a refund of the whole order (no return order)."""
COMMAND_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:allegro-plenty:refund-command")
"""The namespace of refund ``commandId`` values (never change it: ids must stay stable)."""
SETTLED = frozenset({RefundStatus.SUCCESS, RefundStatus.PARTIAL})
_WIRE = make_converter()
_PAGE = 100


def command_id(account: str, form_id: str, subject: str, attempt: int) -> str:
    """The ``commandId`` of one attempt at one refund: the same inputs, the same id."""
    return str(uuid.uuid5(COMMAND_NAMESPACE, f"{account}/{form_id}/{subject}/{attempt}"))


class RefundProcedure(EventProcedureHandler):
    """Refunds the buyer through Allegro, per return order or for the whole order."""

    key = REFUND_KEY
    names, description = ABOUT[REFUND_KEY]

    def handle(
        self, context: ProcedureContext, order: ProcedureOrder
    ) -> Plan[Sequence[ExecutionResult]]:
        """One execution: the return order dispatched (or named), else the whole order."""
        if order.child_type == OrderType.RETURNS:
            subject = str(order.child_id)
        else:
            subject = order.subject or FULL
        if not order.wants(subject):
            return ()

        def refund(run: ExecutionRun) -> Plan[ActionOutcome]:
            return (yield from self._refund(context, order, subject, run))

        result = yield from context.once(order, subject, refund)
        return (result,)

    # --- one attempt ------------------------------------------------------------------------

    def _refund(
        self, context: ProcedureContext, order: ProcedureOrder, subject: str, run: ExecutionRun
    ) -> Plan[ActionOutcome]:
        data = run.data
        if not data.get("final_failure"):
            if isinstance(data.get("refund_id"), str):
                refund = yield from call(context.allegro, "get_refund", data["refund_id"])
                return (yield from self._settled(run, refund))
            if isinstance(data.get("body"), dict):
                # The outcome of the stored body is not known: send exactly it again.
                body = parse_model(NewRefund, data["body"])
                return (yield from self._send(context, run, body))
        attempt = _attempt(data) + 1 if data.get("final_failure") else 0
        returned = yield from self._subject_order(context, order, subject)
        status = returned.status_id
        reason = context.config.refund_reasons.get(status)
        if reason is None:
            return Skipped(f"no reason mapped (status {status.normalize()})")
        form: CheckoutForm = yield from call(context.allegro, "get_checkout_form", order.form_id)
        refuse_one_fulfillment(form, self.key)
        self._refuse_cash_on_delivery(context, form)
        refundable = Refundable.of(form, (yield from self._refunds(context, form.id)))
        parts = (
            refundable.everything()
            if subject == FULL
            else self._returned(form, returned, refundable)
        )
        if parts.empty:
            return Skipped("nothing left to refund")
        assert form.payment is not None  # checked with cash on delivery
        body = NewRefund(
            payment=RefundReference(form.payment.id),
            order=RefundReference(form.id),
            reason=reason,
            command_id=command_id(order.account, form.id, subject, attempt),
            line_items=parts.line_items or None,
            deposits=parts.deposits or None,
            delivery=parts.delivery,
            additional_services=parts.additional_services,
            surcharges=parts.surcharges or None,
        )
        stored: dict[str, JSON] = {
            "attempt": attempt,
            "command_id": body.command_id,
            "body": _WIRE.unstructure(body),
        }
        yield from run.save(stored)  # before sending: a later attempt sends exactly this
        return (yield from self._send(context, run, body))

    def _send(
        self, context: ProcedureContext, run: ExecutionRun, body: NewRefund
    ) -> Plan[ActionOutcome]:
        yield from run.guard()
        try:
            refund: Refund = yield from call(context.allegro, "create_refund", body)
        except APIStatusError as refused:
            if refused.status_code not in REFUSALS:
                raise  # not known whether it went through: the stored body goes again
            yield from run.save({**run.data, "final_failure": f"refused: {refused.status_code}"})
            raise allegro_refusal(self.key, refused) from refused
        return (yield from self._settled(run, refund))

    def _settled(self, run: ExecutionRun, refund: Refund) -> Plan[ActionOutcome]:
        data: dict[str, JSON] = {
            **run.data,
            "refund_id": refund.id,
            "status": refund.status.value,
            "total": str(refund.total_value.amount),
        }
        status = refund.status
        if status in SETTLED:
            return Done(f"refund {refund.id} {status.value}: {refund.total_value.amount}", data)
        if status in FAILED_REFUNDS:
            yield from run.save({**data, "final_failure": status.value})
            raise RefundFailedError(refund.id, status.value)
        return Waiting(f"refund {refund.id} is {status.value}", data=data)

    # --- reading ---------------------------------------------------------------------------

    def _subject_order(
        self, context: ProcedureContext, order: ProcedureOrder, subject: str
    ) -> Plan[Order]:
        """The order whose status decides: the return order, or the sales order."""
        if subject == FULL:
            if order.sales_order is not None:
                return order.sales_order
            sales: Order = yield from call(
                context.plenty, "get_order", order.order_id, relations=()
            )
            return sales
        if order.child_order is not None and str(order.child_id) == subject:
            return order.child_order
        if not subject.isdigit():
            raise NotFromAllegroError(order.order_id, f"{subject!r} names no return order")
        returned: Order = yield from call(
            context.plenty, "get_order", int(subject), relations=("relations",)
        )
        parents = {r.reference_order_id for r in returned.order_references or ()}
        if returned.type_id != OrderType.RETURNS or parents != {order.order_id}:
            raise NotFromAllegroError(
                returned.id, f"it is no return order of sales order {order.order_id}"
            )
        return returned

    def _refunds(self, context: ProcedureContext, form_id: str) -> Plan[list[Refund]]:
        """Every refund of the form, page after page."""
        found: list[Refund] = []
        while True:
            page: Refunds = yield from call(
                context.allegro, "list_refunds", order_id=form_id, offset=len(found), limit=_PAGE
            )
            found.extend(page.refunds)
            total = page.total_count if page.total_count is not None else len(found)
            if not page.refunds or len(found) >= total:
                return found

    def _refuse_cash_on_delivery(self, context: ProcedureContext, form: CheckoutForm) -> None:
        if form.payment is None:
            raise NotRefundableError(form.id, "it has no payment")
        market = form.marketplace.id if form.marketplace is not None else "allegro-pl"
        if form.payment.type == PaymentType.CASH_ON_DELIVERY and (
            market in context.config.cod_refund_refused
        ):
            raise NotRefundableError(
                form.id, f"Allegro does not refund cash on delivery on {market}"
            )

    def _returned(self, form: CheckoutForm, returned: Order, refundable: Refundable) -> RefundParts:
        """The parts a return order covers."""
        lines = LineMap.of(returned, [line.id for line in form.line_items])
        items: list[tuple[int, Decimal, str | None]] = [
            (item.item_variation_id, item.quantity, line_of_item(item))
            for item in returned.order_items or ()
            if item.type_id == OrderItemType.VARIATION
        ]
        found, unclear = lines.quantities(items)
        whole = {line: int(q) for line, q in found.items() if q == q.to_integral_value()}
        if unclear or len(whole) != len(found):
            why = "; ".join(unclear) or "a returned quantity is not whole"
            raise LineItemsUnclearError(returned.id, f"return order items: {why}")
        return refundable.returned(whole)


def _attempt(data: dict[str, Any]) -> int:
    attempt = data.get("attempt")
    return attempt if isinstance(attempt, int) and not isinstance(attempt, bool) else 0
