"""Orders: new and read back, their items, amounts, properties, dates and status history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from .contacts import Address
from .shipping import ShippingPackage

__all__ = [
    "AddressRelation",
    "NewOrder",
    "NewOrderItem",
    "Order",
    "OrderAmount",
    "OrderDate",
    "OrderDateType",
    "OrderItem",
    "OrderItemAmount",
    "OrderItemProperty",
    "OrderItemType",
    "OrderProperty",
    "OrderPropertyType",
    "OrderPropertyTypeInfo",
    "OrderPropertyTypeName",
    "OrderReference",
    "OrderRelation",
    "OrderType",
    "OrderVat",
    "StatusHistoryEntry",
]


class OrderPropertyType:
    """Order and order-item property type ids (plugin-interface ``OrderPropertyType``)."""

    WAREHOUSE = 1
    SHIPPING_PROFILE = 2
    PAYMENT_METHOD = 3
    PAYMENT_STATUS = 4
    DOCUMENT_LANGUAGE = 6
    EXTERNAL_ORDER_ID = 7
    SELLER_ACCOUNT = 10
    EXTERNAL_ITEM_ID = 17
    SALES_TAX_ID_NUMBER = 34
    EXTERNAL_ORDER_ITEM_ID = 41
    PAYMENT_TRANSACTION_ID = 45


class OrderType:
    """Order type ids (``typeId`` of an order)."""

    SALES_ORDER = 1
    DELIVERY = 2
    RETURNS = 3
    CREDIT_NOTE = 4
    WARRANTY = 5
    REPAIR = 6
    OFFER = 7
    ADVANCE_ORDER = 8
    MULTI_ORDER = 9


class OrderItemType:
    """Order item type ids."""

    VARIATION = 1
    SHIPPING_COSTS = 6
    PAYMENT_SURCHARGE = 7
    UNASSIGNED_VARIATION = 9
    DEPOSIT = 10


class OrderDateType:
    """Order date type ids."""

    CREATED = 2
    PAID = 3
    ESTIMATED_SHIPPING = 8


@attrs.define
class OrderProperty:
    """An order property: ``type_id`` from :class:`OrderPropertyType`, value as text.

    ``id`` and ``order_id`` are set on properties read back from plenty.
    """

    type_id: int
    value: str
    id: int | None = None
    order_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderItemProperty:
    """An order item property (same type table as order properties)."""

    type_id: int
    value: str
    id: int | None = None
    order_item_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderDate:
    """An order date: ``type_id`` from :class:`OrderDateType`."""

    type_id: int
    date: datetime
    id: int | None = None
    order_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderItemAmount:
    """An item's price in one currency.

    Plenty computes the order totals itself from these; ``is_system_currency``
    and ``exchange_rate`` matter when the order currency is not the system's.
    """

    currency: str
    price_original_gross: Decimal
    is_system_currency: bool | None = None
    exchange_rate: Decimal | None = None
    id: int | None = None
    order_item_id: int | None = None
    purchase_price: Decimal | None = None
    price_original_net: Decimal | None = None
    price_gross: Decimal | None = None
    price_net: Decimal | None = None
    surcharge: Decimal | None = None
    discount: Decimal | None = None
    is_percentage: bool | None = None
    is_net: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderRelation:
    """A relation of the order to a contact or warehouse."""

    reference_type: str
    reference_id: int
    relation: str
    id: int | None = None
    order_id: int | None = None


@attrs.define
class AddressRelation:
    """Links an existing address to the order as billing (1) or delivery (2)."""

    type_id: int
    address_id: int
    id: int | None = None
    order_id: int | None = None


@attrs.define
class NewOrderItem:
    """An item of a new order."""

    type_id: int
    quantity: Decimal
    order_item_name: str
    amounts: tuple[OrderItemAmount, ...]
    item_variation_id: int = 0
    referrer_id: Decimal | None = None
    country_vat_id: int | None = None
    vat_field: int | None = None
    vat_rate: Decimal | None = None
    properties: tuple[OrderItemProperty, ...] = ()


@attrs.define
class NewOrder:
    """The body of ``POST /rest/orders``.

    Contact and addresses are not inline: they are created first and linked
    through ``relations`` and ``address_relations``.
    """

    type_id: int
    plenty_id: int
    status_id: Decimal
    referrer_id: Decimal
    order_items: tuple[NewOrderItem, ...]
    properties: tuple[OrderProperty, ...]
    dates: tuple[OrderDate, ...] = ()
    relations: tuple[OrderRelation, ...] = ()
    address_relations: tuple[AddressRelation, ...] = ()
    owner_id: int | None = None


@attrs.define
class OrderVat:
    """The VAT of one (configuration, field) pair across an order."""

    country_vat_id: int
    vat_field: int
    vat_rate: Decimal
    value: Decimal
    id: int | None = None
    order_amount_id: int | None = None
    net_total: Decimal | None = None
    gross_total: Decimal | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderAmount:
    """The order's totals in one currency; computed by plenty, never sent."""

    currency: str
    is_system_currency: bool
    exchange_rate: Decimal | None = None
    net_total: Decimal | None = None
    gross_total: Decimal | None = None
    vat_total: Decimal | None = None
    invoice_total: Decimal | None = None
    paid_amount: Decimal | None = None
    gift_card_amount: Decimal | None = None
    prepaid_amount: Decimal | None = None
    is_net: bool | None = None
    item_sum_gross: Decimal | None = None
    item_sum_net: Decimal | None = None
    shipping_costs_gross: Decimal | None = None
    shipping_costs_net: Decimal | None = None
    vats: tuple[OrderVat, ...] = ()
    id: int | None = None
    order_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class OrderItem:
    """An item of an order as plenty returns it."""

    id: int
    type_id: int
    quantity: Decimal
    order_item_name: str
    item_variation_id: int = 0
    order_id: int | None = None
    referrer_id: Decimal | None = None
    attribute_values: str | None = None
    shipping_profile_id: int | None = None
    country_vat_id: int | None = None
    vat_field: int | None = None
    vat_rate: Decimal | None = None
    position: int | None = None
    warehouse_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    amounts: tuple[OrderItemAmount, ...] = ()
    properties: tuple[OrderItemProperty, ...] = ()

    def property_value(self, type_id: int) -> str | None:
        """The value of the item property of ``type_id``, if set."""
        return next((p.value for p in self.properties if p.type_id == type_id), None)


@attrs.define
class OrderReference:
    """A link to another order (``referenceType`` ``parent`` for returns, deliveries ...)."""

    reference_type: str
    reference_order_id: int
    origin_order_id: int | None = None
    order_id: int | None = None
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class Order:
    """A plentymarkets order.

    Properties, dates, amounts, items and address relations come by default;
    ``addresses``, ``relations`` and ``shipping_packages`` only when requested
    (``None`` otherwise).
    """

    id: int
    type_id: int
    status_id: Decimal
    plenty_id: int | None = None
    referrer_id: Decimal | None = None
    status_name: str | None = None
    owner_id: int | None = None
    location_id: int | None = None
    lock_status: str | None = None
    is_locked: bool | None = None
    has_tax_relevant_documents: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    round_totals_only: bool | None = None
    number_of_decimals: int | None = None
    has_delivery_orders: bool | None = None
    legacy_order_type: str | None = None
    contact_sender_id: int | None = None
    contact_receiver_id: int | None = None
    warehouse_sender_id: int | None = None
    warehouse_receiver_id: int | None = None
    properties: tuple[OrderProperty, ...] | None = None
    dates: tuple[OrderDate, ...] | None = None
    amounts: tuple[OrderAmount, ...] | None = None
    order_items: tuple[OrderItem, ...] | None = None
    address_relations: tuple[AddressRelation, ...] | None = None
    relations: tuple[OrderRelation, ...] | None = None
    addresses: tuple[Address, ...] | None = None
    shipping_packages: tuple[ShippingPackage, ...] | None = None
    order_references: tuple[OrderReference, ...] | None = None

    def property_value(self, type_id: int) -> str | None:
        """The value of the order property of ``type_id`` (see :class:`OrderPropertyType`).

        Raises:
            ValueError: The order was read without its properties.
        """
        if self.properties is None:
            raise ValueError(f"order {self.id} was read without its properties")
        return next((p.value for p in self.properties if p.type_id == type_id), None)

    @property
    def external_order_id(self) -> str | None:
        """Property 7, where this library keeps the Allegro checkout-form id."""
        return self.property_value(OrderPropertyType.EXTERNAL_ORDER_ID)

    def date(self, type_id: int) -> datetime | None:
        """The order date of ``type_id`` (see :class:`OrderDateType`), if set."""
        return next((d.date for d in self.dates or () if d.type_id == type_id), None)

    def address(self, type_id: int) -> Address | None:
        """The billing (1) or delivery (2) address, when addresses were loaded."""
        relation = next((r for r in self.address_relations or () if r.type_id == type_id), None)
        if relation is None:
            return None
        return next((a for a in self.addresses or () if a.id == relation.address_id), None)

    @property
    def contact_id(self) -> int | None:
        """The receiving contact's id (from ``relations``), when relations were loaded."""
        return next(
            (
                r.reference_id
                for r in self.relations or ()
                if r.reference_type == "contact" and r.relation == "receiver"
            ),
            None,
        )


@attrs.define
class StatusHistoryEntry:
    """One status change of an order."""

    id: int
    order_id: int
    status_id: Decimal
    created_at: datetime
    user_id: int | None = None
    procedure_text: str | None = None


@attrs.define
class OrderPropertyTypeName:
    """The name of an order property type in one language."""

    type_id: int
    lang: str
    name: str
    id: int | None = None


@attrs.define
class OrderPropertyTypeInfo:
    """An order property type as plenty lists it (``GET /rest/orders/properties/types``).

    ``cast`` is the value type: ``string``, ``int``, ``numeric``, ``bool`` or ``enum``.
    """

    id: int
    cast: str | None = None
    is_erasable: bool | None = None
    position: int | None = None
    names: tuple[OrderPropertyTypeName, ...] = ()
