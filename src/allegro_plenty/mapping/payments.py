"""What was paid: one payment per paid part, the paid-in-full check, the payment status."""

from __future__ import annotations

from decimal import Decimal

from ..allegro.models import Payment, PaymentType
from ..plenty.models import NewPayment, PaymentProperty, PaymentPropertyType
from ._base import MapperBase
from .context import MappingRun
from .drafts import WarningCode
from .parts import DraftParts

__all__ = ["PaymentStatus", "PaymentSteps"]

_ORIGIN_IMPORT = "4"
"""Payment origin 4: import (what the shopware connector sends for external payments)."""


class PaymentStatus:
    """Values of order property 4 (payment status)."""

    UNPAID = "unpaid"
    PARTLY_PAID = "partlyPaid"
    FULLY_PAID = "fullyPaid"
    OVERPAID = "overpaid"


class PaymentSteps(MapperBase):
    """The order's payments (part of :class:`~allegro_plenty.mapping.OrderMapper`)."""

    def payments(self, run: MappingRun) -> tuple[NewPayment, ...]:
        """The order's ``payment`` and then its surcharges, one draft per paid part."""
        main = run.form.payment
        first = self.payment(run, main, "payment") if main is not None else None
        return (first, *self.surcharges(run)) if first is not None else self.surcharges(run)

    def surcharges(self, run: MappingRun) -> tuple[NewPayment, ...]:
        """One payment per surcharge: later payments towards the same total, not items."""
        drafts = (
            self.payment(run, part, f"surcharges[{index}]")
            for index, part in enumerate(run.form.surcharges)
        )
        return tuple(draft for draft in drafts if draft is not None)

    def payment(self, run: MappingRun, part: Payment, path: str) -> NewPayment | None:
        """A paid part as a payment; ``None`` for cash on delivery or nothing paid.

        The transaction id (payment property 1) is the part's Allegro id, which
        the importer uses to never book the same payment twice. Coins and gift
        cards are part of ``paidAmount`` and booked with it.
        """
        if part.type == PaymentType.CASH_ON_DELIVERY:
            return None
        if part.paid_amount is None:
            run.warn(
                WarningCode.NO_PAID_AMOUNT,
                f"payment {part.id} ({part.type}) has no paid amount; no payment drafted",
                path,
            )
            return None
        amount = run.money(part.paid_amount, f"{path}.paidAmount")
        if amount == 0:
            return None
        if not part.id.strip():
            raise run.error("a paid part has no id", f"{path}.id")
        return NewPayment(
            amount=amount,
            exchange_ratio=run.exchange_rate,
            mop_id=self.payment_method_id(run, part.type, f"{path}.type"),
            currency=run.currency,
            is_system_currency=self.config.currency.is_system(run.currency),
            received_at=part.finished_at,
            properties=(
                PaymentProperty(PaymentPropertyType.TRANSACTION_ID, part.id),
                PaymentProperty(PaymentPropertyType.ORIGIN, _ORIGIN_IMPORT),
            ),
        )

    def check_payments(self, run: MappingRun, parts: DraftParts) -> None:
        """Refuse a payment id seen twice in ``parts.payments``; warn (``PAYMENT_MISMATCH``)
        when they do not add up to the total (never for cash on delivery): an assembly step."""
        payments = parts.payments
        seen: set[str] = set()
        for draft in payments:
            for prop in draft.properties:
                if prop.type_id == PaymentPropertyType.TRANSACTION_ID:
                    if prop.value in seen:
                        raise run.error(f"payment id {prop.value} appears twice", "surcharges")
                    seen.add(prop.value)
        if run.form.payment is not None and run.form.payment.type == PaymentType.CASH_ON_DELIVERY:
            return
        paid = sum((draft.amount for draft in payments), Decimal(0))
        total = run.form.summary.total_to_pay.amount
        if paid != total:
            run.warn(
                WarningCode.PAYMENT_MISMATCH,
                f"paid {paid} {run.currency} of {total}",
                "summary.totalToPay",
            )

    def payment_status(self, run: MappingRun) -> str:
        """Order property 4, from what the form says was paid (:attr:`MappingRun.paid`)."""
        paid = run.paid
        total = run.form.summary.total_to_pay.amount
        if paid == 0:
            return PaymentStatus.UNPAID
        if paid < total:
            return PaymentStatus.PARTLY_PAID
        return PaymentStatus.FULLY_PAID if paid == total else PaymentStatus.OVERPAID
