"""What is still refundable on a checkout form, from Allegro's own values, to the cent.

"Still refundable" is what the buyer paid for, minus every refund that is not
``CANCELED`` or ``VALIDATE_FAILED``: pending ones count, or a refund still in
progress would be sent a second time. All arithmetic is on Allegro's decimal
amounts (two places) times whole quantities: nothing is rounded.

Surcharges (dopłaty) are payments of their own that pay for a change already in
the form, a dearer delivery (allegro-api #1103, #2573: ``totalToPay`` =
``payment.paidAmount`` + the surcharges' ``paidAmount``). So a surcharge is
refunded as itself, and the delivery as its cost less what the surcharges paid
of it: together never more than the buyer paid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from ...allegro.models import (
    CheckoutForm,
    Money,
    Refund,
    RefundDeposit,
    RefundLineItem,
    RefundLineItemType,
    RefundStatus,
    RefundSurcharge,
    RefundValue,
)

__all__ = ["FAILED_REFUNDS", "LineLeft", "RefundParts", "Refundable"]

CENT = Decimal("0.01")
ZERO = Decimal(0)
FAILED_REFUNDS = frozenset({RefundStatus.CANCELED, RefundStatus.VALIDATE_FAILED})
"""Refunds that returned nothing; every other one, pending ones included, counts."""


@attrs.frozen
class LineLeft:
    """What is left to refund of one line item."""

    price: Decimal
    quantity: int
    value: Decimal
    by_amount: bool
    """An earlier refund took part of its price (``AMOUNT``): refund the rest by amount."""
    deposit_unit: Decimal
    deposit: Decimal


@attrs.frozen
class RefundParts:
    """The parts of one refund body."""

    line_items: tuple[RefundLineItem, ...] = ()
    deposits: tuple[RefundDeposit, ...] = ()
    delivery: RefundValue | None = None
    additional_services: RefundValue | None = None
    surcharges: tuple[RefundSurcharge, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether it refunds nothing."""
        return not (
            self.line_items
            or self.deposits
            or self.delivery
            or self.additional_services
            or self.surcharges
        )


def _amount(money: Money | None) -> Decimal:
    return ZERO if money is None else money.amount


@attrs.frozen
class Refundable:
    """What is left to refund of a form.

    Attributes:
        currency: The form's currency.
        lines: Per line item, what is left of it.
        delivery: The delivery cost left (less what the surcharges paid of it).
        services: The additional services left.
        surcharges: Per surcharge payment, its amount left.
    """

    currency: str
    lines: dict[str, LineLeft]
    delivery: Decimal
    services: Decimal
    surcharges: dict[str, Decimal]

    @classmethod
    def of(cls, form: CheckoutForm, refunds: Iterable[Refund]) -> Refundable:
        """What is left of ``form`` after ``refunds`` (those of other forms are ignored)."""
        counted = [
            r
            for r in refunds
            if r.status not in FAILED_REFUNDS and (r.order is None or r.order.id == form.id)
        ]
        lines = {}
        for line in form.line_items:
            units = sum(
                (Decimal(item.quantity or 0) for r in counted for item in r.line_items or ()
                 if item.id == line.id and item.type is RefundLineItemType.QUANTITY),
                ZERO,
            )  # fmt: skip
            amounts = sum(
                (_amount(item.value) for r in counted for item in r.line_items or ()
                 if item.id == line.id and item.type is RefundLineItemType.AMOUNT),
                ZERO,
            )  # fmt: skip
            deposits = sum(
                (_amount(d.total_value) for r in counted for d in r.deposits or ()
                 if d.line_item_id == line.id),
                ZERO,
            )  # fmt: skip
            price = line.price.amount
            unit = line.deposit.price.amount if line.deposit is not None else ZERO
            lines[line.id] = LineLeft(
                price=price,
                quantity=line.quantity - int(units),
                value=price * line.quantity - price * units - amounts,
                by_amount=amounts > 0,
                deposit_unit=unit,
                deposit=unit * line.quantity - deposits,
            )
        paid_by_surcharges = sum((_amount(s.paid_amount) for s in form.surcharges), ZERO)
        surcharges = {
            s.id: _amount(s.paid_amount)
            - sum(
                (_amount(x.value) for r in counted for x in r.surcharges or () if x.id == s.id),
                ZERO,
            )
            for s in form.surcharges
        }
        delivery_cost = _amount(form.delivery.cost) if form.delivery is not None else ZERO
        delivery = (
            delivery_cost
            - paid_by_surcharges
            - sum((_amount(r.delivery.value) for r in counted if r.delivery), ZERO)
        )
        services_total = sum(
            (_amount(s.price) * (s.quantity if s.quantity is not None else 1)
             for line in form.line_items for s in line.selected_additional_services or ()),
            ZERO,
        )  # fmt: skip
        services = services_total - sum(
            (_amount(r.additional_services.value) for r in counted if r.additional_services),
            ZERO,
        )
        return cls(form.summary.total_to_pay.currency, lines, delivery, services, surcharges)

    def _money(self, amount: Decimal) -> Money:
        return Money(amount.quantize(CENT), self.currency)

    def everything(self) -> RefundParts:
        """Every part still refundable (a refund without a return order)."""
        return self._parts({line: left.quantity for line, left in self.lines.items()}, rest=True)

    def returned(self, quantities: Mapping[str, int]) -> RefundParts:
        """The returned quantities of their line items and their deposits, capped at what is
        left; delivery (and the surcharges that paid for it) only when they cover every
        item not yet refunded."""
        capped = {
            line: min(quantity, self.lines[line].quantity)
            for line, quantity in quantities.items()
            if line in self.lines
        }
        covers_all = all(
            capped.get(line, 0) >= left.quantity
            for line, left in self.lines.items()
            if left.quantity > 0
        )
        return self._parts(capped, rest=covers_all, services=False)

    def _parts(
        self, quantities: Mapping[str, int], *, rest: bool, services: bool = True
    ) -> RefundParts:
        items: list[RefundLineItem] = []
        deposits: list[RefundDeposit] = []
        for line, quantity in quantities.items():
            left = self.lines[line]
            if quantity <= 0:
                continue
            if left.by_amount:
                value = min(left.value, left.price * quantity)
                if value > 0:
                    items.append(RefundLineItem.amount(line, self._money(value)))
            else:
                items.append(RefundLineItem.units(line, quantity))
            deposit = min(left.deposit, left.deposit_unit * quantity)
            if deposit > 0:
                deposits.append(RefundDeposit(line, self._money(deposit)))
        delivery = self.delivery if rest else ZERO
        surcharges = (
            tuple(
                RefundSurcharge(sid, self._money(v)) for sid, v in self.surcharges.items() if v > 0
            )
            if rest
            else ()
        )
        return RefundParts(
            tuple(items),
            tuple(deposits),
            RefundValue(self._money(delivery)) if delivery > 0 else None,
            RefundValue(self._money(self.services)) if services and self.services > 0 else None,
            surcharges,
        )
