"""Payments, their link to orders, and the methods of payment."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "NewPayment",
    "Payment",
    "PaymentMethod",
    "PaymentOrder",
    "PaymentOrderRelation",
    "PaymentProperty",
    "PaymentPropertyType",
]


class PaymentPropertyType:
    """Payment property type ids."""

    TRANSACTION_ID = 1
    REFERENCE_ID = 2
    BOOKING_TEXT = 3
    ORIGIN = 23


@attrs.define
class PaymentProperty:
    """A payment property: ``type_id`` from :class:`PaymentPropertyType`."""

    type_id: int
    value: str
    id: int | None = None
    payment_id: int | None = None


@attrs.define
class NewPayment:
    """The body of ``POST /rest/payments`` (all seven fields the spec requires, and more)."""

    amount: Decimal
    exchange_ratio: Decimal
    mop_id: int
    currency: str
    type: str = "credit"
    status: int = 2
    """2 = approved."""
    transaction_type: int = 2
    """2 = booked."""
    is_system_currency: bool | None = None
    update_order_payment_status: bool | None = True
    received_at: datetime | None = None
    properties: tuple[PaymentProperty, ...] = ()


@attrs.define
class PaymentOrder:
    """The order a payment is linked to."""

    order_id: int


@attrs.define
class Payment:
    """A payment. ``deleted`` is 1 for payments deleted in the back end."""

    id: int
    amount: Decimal
    currency: str
    mop_id: int
    exchange_ratio: Decimal | None = None
    type: str | None = None
    status: int | None = None
    transaction_type: int | None = None
    origin: int | None = None
    parent_id: int | None = None
    deleted: int | None = None
    unaccountable: int | None = None
    is_system_currency: bool | None = None
    update_order_payment_status: bool | None = None
    regenerate_hash: bool | None = None
    hash: str | None = None
    received_at: datetime | None = None
    imported_at: datetime | None = None
    properties: tuple[PaymentProperty, ...] | None = None
    order: PaymentOrder | None = None
    """The order the payment is linked to, where plenty says."""

    @property
    def is_deleted(self) -> bool:
        """Whether the payment was deleted in the back end."""
        return bool(self.deleted)

    def property_value(self, type_id: int) -> str | None:
        """The value of the payment property of ``type_id``, if loaded and set."""
        return next((p.value for p in self.properties or () if p.type_id == type_id), None)


@attrs.define
class PaymentOrderRelation:
    """The link between a payment and an order."""

    id: int
    payment_id: int
    order_id: int
    assigned_at: datetime | None = None


@attrs.define
class PaymentMethod:
    """A method of payment (``mopId``); ids are system-specific."""

    id: int
    plugin_key: str | None = None
    payment_key: str | None = None
    name: str | None = None
    is_document_builder_active: bool | None = None
