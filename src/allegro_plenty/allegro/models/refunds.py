"""Refunds the seller initiates (``/payments/refunds``)."""

from __future__ import annotations

from datetime import datetime

import attrs

from ..._convert import OpenEnum
from ...errors import InvalidRequestError
from .._request_checks import uuid_text, wire_name
from ._fields import as_member, max_length
from .checkout_forms import Money

__all__ = [
    "NewRefund",
    "Refund",
    "RefundDeposit",
    "RefundLineItem",
    "RefundLineItemType",
    "RefundReason",
    "RefundReference",
    "RefundStatus",
    "RefundSurcharge",
    "RefundValue",
    "Refunds",
]


class RefundReason(OpenEnum):
    """Why a payment is refunded."""

    REFUND = "REFUND"
    COMPLAINT = "COMPLAINT"
    PRODUCT_NOT_AVAILABLE = "PRODUCT_NOT_AVAILABLE"
    PAID_VALUE_TOO_LOW = "PAID_VALUE_TOO_LOW"
    OVERPAID = "OVERPAID"
    CANCELLED_BY_BUYER = "CANCELLED_BY_BUYER"
    NOT_COLLECTED = "NOT_COLLECTED"


class RefundStatus(OpenEnum):
    """Where a refund stands. ``CANCELED`` means the seller's balance lacked the funds."""

    NEW = "NEW"
    WAITING = "WAITING"
    VALIDATED = "VALIDATED"
    VALIDATE_FAILED = "VALIDATE_FAILED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    PARTIAL = "PARTIAL"
    CANCELED = "CANCELED"


class RefundLineItemType(OpenEnum):
    """Whether a line is refunded by quantity or by amount."""

    QUANTITY = "QUANTITY"
    AMOUNT = "AMOUNT"


def _refund_reason(value: RefundReason | str) -> RefundReason:
    return as_member(RefundReason, value)


def _refund_line_item_type(value: RefundLineItemType | str) -> RefundLineItemType:
    return as_member(RefundLineItemType, value)


@attrs.define
class RefundReference:
    """A payment or an order, by id."""

    id: str


@attrs.define
class RefundLineItem:
    """A refunded line: ``quantity`` units (``QUANTITY``) or a ``value`` (``AMOUNT``).

    Build one with :meth:`units` or :meth:`amount`. ``type`` takes a member or
    exactly its string value (``"QUANTITY"``).
    """

    id: str
    type: RefundLineItemType = attrs.field(converter=_refund_line_item_type)
    quantity: int | None = None
    value: Money | None = None

    @classmethod
    def units(cls, line_item_id: str, quantity: int) -> RefundLineItem:
        """Refund ``quantity`` units of a line."""
        if type(quantity) is not int or quantity < 1:
            raise InvalidRequestError(
                "must be a whole number of at least 1", field="quantity", value=quantity
            )
        return cls(line_item_id, RefundLineItemType.QUANTITY, quantity=quantity)

    @classmethod
    def amount(cls, line_item_id: str, value: Money) -> RefundLineItem:
        """Refund part of a line's price."""
        return cls(line_item_id, RefundLineItemType.AMOUNT, value=value)


@attrs.define
class RefundDeposit:
    """A refunded deposit: the total for one line item (not per unit)."""

    line_item_id: str
    total_value: Money


@attrs.define
class RefundValue:
    """A refunded amount (delivery, overpayment, additional services)."""

    value: Money


@attrs.define
class RefundSurcharge:
    """A refunded surcharge payment."""

    id: str
    value: Money | None = None


def _uuid(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    uuid_text(value, wire_name(attribute))


@attrs.define
class NewRefund:
    """A refund to initiate (``POST /payments/refunds``).

    ``command_id`` is Allegro's idempotency key: a UUID you generate (for
    example ``str(uuid.uuid4())``) and store *before* sending, so that a retry,
    or a restart after a crash, sends the same refund with the same id instead
    of a second refund. Never reuse one command id for a different refund.

    ``reason`` takes a member or exactly its string value (``"OVERPAID"``).
    Amounts may have at most two decimals. What Allegro would refuse raises
    :class:`~allegro_plenty.errors.InvalidRequestError` when the model or the
    request is built.
    """

    payment: RefundReference
    order: RefundReference
    reason: RefundReason = attrs.field(converter=_refund_reason)
    command_id: str = attrs.field(validator=_uuid)
    line_items: tuple[RefundLineItem, ...] | None = None
    deposits: tuple[RefundDeposit, ...] | None = None
    delivery: RefundValue | None = None
    overpaid: RefundValue | None = None
    additional_services: RefundValue | None = None
    surcharges: tuple[RefundSurcharge, ...] | None = None
    seller_comment: str | None = attrs.field(default=None, validator=max_length(250))


@attrs.define
class Refund:
    """A refund and its progress; poll it with ``get_refund(id)`` until the status is final."""

    id: str
    payment: RefundReference
    reason: RefundReason
    status: RefundStatus
    created_at: datetime
    total_value: Money
    order: RefundReference | None = None
    line_items: tuple[RefundLineItem, ...] | None = None
    deposits: tuple[RefundDeposit, ...] | None = None
    delivery: RefundValue | None = None
    overpaid: RefundValue | None = None
    additional_services: RefundValue | None = None
    surcharges: tuple[RefundSurcharge, ...] | None = None
    seller_comment: str | None = None


@attrs.define
class Refunds:
    """A page of refunds the seller initiated (not customer returns).

    ``refunds`` is required (the spec leaves it optional): an answer without it
    must not read as "not refunded yet", or the refund is initiated twice.
    """

    refunds: tuple[Refund, ...]
    count: int | None = None
    total_count: int | None = None
