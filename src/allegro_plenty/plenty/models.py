"""attrs models of the plentymarkets REST API.

Request models for creating things are named ``New…``; the mapper produces
them and the plenty client sends them. Money, quantities, referrer ids and
status ids are :class:`~decimal.Decimal` (plenty's ids like ``5.1`` and
``17.29`` are decimals: floats would make ``5.1 == 5.10000001`` questions).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = [
    "AddressOption",
    "AddressOptionType",
    "AddressRelation",
    "AddressType",
    "ContactOption",
    "NewAddress",
    "NewComment",
    "NewContact",
    "NewOrder",
    "NewOrderItem",
    "NewPayment",
    "OrderDate",
    "OrderDateType",
    "OrderItemAmount",
    "OrderItemProperty",
    "OrderItemType",
    "OrderProperty",
    "OrderPropertyType",
    "OrderRelation",
    "PaymentProperty",
    "PaymentPropertyType",
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


class AddressType:
    """Address relation type ids."""

    BILLING = 1
    DELIVERY = 2


class AddressOptionType:
    """Address option type ids."""

    VAT_NUMBER = 1
    EXTERNAL_ADDRESS_ID = 2
    PHONE = 4
    EMAIL = 5
    POST_NUMBER = 6


class PaymentPropertyType:
    """Payment property type ids."""

    TRANSACTION_ID = 1
    REFERENCE_ID = 2
    BOOKING_TEXT = 3
    ORIGIN = 23


@attrs.frozen
class OrderProperty:
    """An order property: ``type_id`` from :class:`OrderPropertyType`, value as text."""

    type_id: int
    value: str


@attrs.frozen
class OrderItemProperty:
    """An order item property (same type table as order properties)."""

    type_id: int
    value: str


@attrs.frozen
class OrderDate:
    """An order date: ``type_id`` from :class:`OrderDateType`."""

    type_id: int
    date: datetime


@attrs.frozen
class OrderItemAmount:
    """An item's price in one currency.

    Plenty computes the order totals itself from these; ``is_system_currency``
    and ``exchange_rate`` matter when the order currency is not the system's.
    """

    currency: str
    price_original_gross: Decimal
    is_system_currency: bool | None = None
    exchange_rate: Decimal | None = None


@attrs.frozen
class OrderRelation:
    """A relation of the order to a contact or warehouse."""

    reference_type: str
    reference_id: int
    relation: str


@attrs.frozen
class AddressRelation:
    """Links an existing address to the order as billing (1) or delivery (2)."""

    type_id: int
    address_id: int


@attrs.frozen
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


@attrs.frozen
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


@attrs.frozen
class ContactOption:
    """A contact option (type 1 phone, 2 e-mail, 10 access; sub-type 4 private, 11 guest)."""

    type_id: int
    sub_type_id: int
    value: str
    priority: int = 0


@attrs.frozen
class NewContact:
    """The body of ``POST /rest/accounts/contacts``."""

    type_id: int
    referrer_id: Decimal
    lang: str
    external_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    plenty_id: int | None = None
    options: tuple[ContactOption, ...] = ()


@attrs.frozen
class AddressOption:
    """An address option: ``type_id`` from :class:`AddressOptionType`."""

    type_id: int
    value: str


@attrs.frozen
class NewAddress:
    """The body of ``POST /rest/accounts/contacts/{id}/addresses``.

    ``name1`` company, ``name2`` first name, ``name3`` last name, ``name4`` c/o;
    ``address1`` street, ``address2`` house number, ``address3`` additional.
    """

    town: str
    postal_code: str
    country_id: int
    address1: str
    address2: str | None = None
    address3: str | None = None
    address4: str | None = None
    name1: str | None = None
    name2: str | None = None
    name3: str | None = None
    name4: str | None = None
    options: tuple[AddressOption, ...] = ()


@attrs.frozen
class PaymentProperty:
    """A payment property: ``type_id`` from :class:`PaymentPropertyType`."""

    type_id: int
    value: str


@attrs.frozen
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


@attrs.frozen
class NewComment:
    """The body of ``POST /rest/comments``; ``text`` is HTML."""

    reference_type: str
    reference_value: int
    text: str
    is_visible_for_contact: bool = False
