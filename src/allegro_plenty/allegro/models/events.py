"""The order event journal (``/order/events``, ``/order/event-stats``)."""

from __future__ import annotations

from datetime import datetime

import attrs

from ..._convert import OpenEnum
from ...errors import ModelValidationError
from .checkout_forms import BuyerPreferences, ExternalId, Marketplace, Money

__all__ = [
    "BuyerReference",
    "CheckoutFormReference",
    "LatestOrderEvent",
    "OrderEvent",
    "OrderEventData",
    "OrderEventLineItem",
    "OrderEventOffer",
    "OrderEventStats",
    "OrderEventType",
    "OrderEvents",
    "SellerReference",
    "UnreadableOrderEvent",
]


class OrderEventType(OpenEnum):
    """What happened to an order (``/order/events``)."""

    BOUGHT = "BOUGHT"
    FILLED_IN = "FILLED_IN"
    READY_FOR_PROCESSING = "READY_FOR_PROCESSING"
    """Paid (or cash on delivery chosen). Emitted again after a surcharge."""
    BUYER_CANCELLED = "BUYER_CANCELLED"
    FULFILLMENT_STATUS_CHANGED = "FULFILLMENT_STATUS_CHANGED"
    BUYER_MODIFIED = "BUYER_MODIFIED"
    """The buyer changed the delivery address (``delivery.address.modified_at``)."""
    AUTO_CANCELLED = "AUTO_CANCELLED"


@attrs.define
class SellerReference:
    """The seller an event belongs to (the ``/me`` id)."""

    id: str


@attrs.define
class BuyerReference:
    """The buyer as an event describes them."""

    id: str
    email: str
    login: str
    guest: bool
    preferences: BuyerPreferences | None = None


@attrs.define
class OrderEventOffer:
    """The offer of a line item in an event."""

    id: str
    name: str
    external: ExternalId | None = None


@attrs.define
class OrderEventLineItem:
    """A line item as an event describes it (read the checkout form for details)."""

    id: str
    offer: OrderEventOffer
    quantity: int
    price: Money
    original_price: Money | None = None
    bought_at: datetime | None = None


@attrs.define
class CheckoutFormReference:
    """The checkout form an event is about."""

    id: str
    revision: str | None = None


@attrs.define
class OrderEventData:
    """The order an event is about."""

    seller: SellerReference
    buyer: BuyerReference
    line_items: tuple[OrderEventLineItem, ...]
    checkout_form: CheckoutFormReference | None = None
    marketplace: Marketplace | None = None


@attrs.define
class OrderEvent:
    """One entry of the order event journal.

    Ids increase; ``occurred_at`` may be out of order. Events can repeat or go
    missing, so treat them as hints and re-read the checkout form.
    """

    id: str
    order: OrderEventData
    type: OrderEventType
    occurred_at: datetime


@attrs.frozen
class UnreadableOrderEvent:
    """An event of a page read item by item that does not fit :class:`OrderEvent`: set
    aside, so the rest of the page is read.

    Attributes:
        index: Its place in the page's ``events``.
        id: Its ``id``, if that much can be read (a walk moves past it by it).
        checkout_form_id: Its ``order.checkoutForm.id``, if that can be read.
        seller_id: Its ``order.seller.id``, if that can be read.
        type: Its ``type`` as sent, if it is a string.
        error: What is wrong (``field_path`` inside the event).
    """

    index: int
    id: str | None
    checkout_form_id: str | None
    seller_id: str | None
    type: str | None
    error: ModelValidationError = attrs.field(eq=False)


@attrs.define
class OrderEvents:
    """A page of order events, oldest first."""

    events: tuple[OrderEvent, ...]
    unreadable: tuple[UnreadableOrderEvent, ...] = attrs.field(default=(), init=False)
    """The events set aside as unreadable, when the page was read item by item
    (``list_order_events(per_item=True)``); never read from the body."""


@attrs.define
class LatestOrderEvent:
    """The newest event: a starting cursor for ``/order/events``."""

    id: str
    occurred_at: datetime


@attrs.define
class OrderEventStats:
    """``/order/event-stats``; ``latest_event`` is absent for an empty journal."""

    latest_event: LatestOrderEvent | None = None
