"""attrs models of the plentymarkets REST API.

Request models for creating things are named ``New…``; the mapper produces
them and the plenty client sends them. Money, quantities, referrer ids and
status ids are :class:`~decimal.Decimal` (plenty's ids like ``5.1`` and
``17.29`` are decimals: floats would make ``5.1 == 5.10000001`` questions).

Response models carry the fields the library uses and the ones a host is
likely to read; unknown keys are ignored by the production converter. A
relation the request did not load (``with=...``) is ``None``, not an empty
tuple, so "not loaded" and "none there" stay distinguishable.
"""

from __future__ import annotations

import html
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

import attrs

__all__ = [
    "Address",
    "AddressOption",
    "AddressOptionType",
    "AddressRelation",
    "AddressType",
    "Comment",
    "Contact",
    "ContactOption",
    "ContactOptionSubType",
    "ContactOptionType",
    "Country",
    "Currency",
    "LocalizedName",
    "NewAddress",
    "NewComment",
    "NewContact",
    "NewOrder",
    "NewOrderItem",
    "NewPayment",
    "NewReferrer",
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
    "Page",
    "Payment",
    "PaymentMethod",
    "PaymentOrder",
    "PaymentOrderRelation",
    "PaymentProperty",
    "PaymentPropertyType",
    "Referrer",
    "ShippingPackage",
    "ShippingPackageItem",
    "ShippingProfile",
    "StatusHistoryEntry",
    "Variation",
    "VariationBarcode",
    "VariationSku",
    "VatConfiguration",
    "VatRate",
]

T = TypeVar("T")


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


class ContactOptionType:
    """Contact option type ids."""

    PHONE = 1
    EMAIL = 2
    FAX = 3
    WEB = 4
    MARKETPLACE = 5
    ID_NUMBER = 6
    PAYMENT = 7
    USER_NAME = 8
    GROUP = 9
    ACCESS = 10
    ADDITIONAL = 11


class ContactOptionSubType:
    """Contact option sub-type ids."""

    WORK = 1
    MOBILE_PRIVATE = 2
    MOBILE_WORK = 3
    PRIVATE = 4
    GUEST = 11
    CONTACT_PERSON = 12
    MARKETPLACE_PARTNER = 13
    USER = 15


class PaymentPropertyType:
    """Payment property type ids."""

    TRANSACTION_ID = 1
    REFERENCE_ID = 2
    BOOKING_TEXT = 3
    ORIGIN = 23


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
class ContactOption:
    """A contact option (type 1 phone, 2 e-mail, 10 access; sub-type 4 private, 11 guest)."""

    type_id: int
    sub_type_id: int
    value: str
    priority: int = 0
    id: int | None = None
    contact_id: int | None = None

    @classmethod
    def email(cls, address: str) -> ContactOption:
        """A private e-mail address (type 2, sub-type 4)."""
        return cls(ContactOptionType.EMAIL, ContactOptionSubType.PRIVATE, address)

    @classmethod
    def phone(cls, number: str) -> ContactOption:
        """A private phone number (type 1, sub-type 4)."""
        return cls(ContactOptionType.PHONE, ContactOptionSubType.PRIVATE, number)

    @classmethod
    def guest(cls) -> ContactOption:
        """Marks the contact as a guest (type 10 access, sub-type 11 guest, value ``1``).

        plentymarkets' own Etsy plugin marks marketplace buyers this way.
        """
        return cls(ContactOptionType.ACCESS, ContactOptionSubType.GUEST, "1")


@attrs.define
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


@attrs.define
class AddressOption:
    """An address option: ``type_id`` from :class:`AddressOptionType`."""

    type_id: int
    value: str
    id: int | None = None
    address_id: int | None = None
    position: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
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
class NewComment:
    """The body of ``POST /rest/comments``; ``text`` is HTML.

    Build one from plain text with :meth:`plain`, which escapes it.
    """

    reference_type: str
    reference_value: int
    text: str
    is_visible_for_contact: bool = False

    @classmethod
    def plain(cls, order_id: int, text: str, *, is_visible_for_contact: bool = False) -> NewComment:
        """An order comment from plain text: HTML-escaped, line breaks kept as ``<br>``."""
        escaped = html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")
        return cls("order", order_id, escaped, is_visible_for_contact)


# --- requests without a counterpart above ------------------------------------


@attrs.define
class NewReferrer:
    """The attributes of a new order referrer (``POST /rest/orders/referrers``).

    Attributes:
        backend_name: The name shown in the back end.
        name: The public name (on documents).
        origin: Who created it; plugins put their own name here.
        is_editable: ``False`` protects it from edits in the back end, as
            marketplace plugins do with theirs.
        is_filterable: Whether it can be used as an order filter.
        id: A wanted id; plenty assigns the next free one when absent.
    """

    backend_name: str
    name: str
    origin: str = "allegro_plenty"
    is_editable: bool = False
    is_filterable: bool = True
    id: Decimal | None = None


# --- responses ----------------------------------------------------------------


@attrs.define
class Page(Generic[T]):
    """One page of a plentymarkets list.

    Never assume the requested ``itemsPerPage`` was honoured: page until
    :attr:`is_last_page`. ``entries`` and ``is_last_page`` are required (the
    spec leaves them optional): a look-up before a create must not read an
    answer without them as "none there" or as the whole list.
    """

    is_last_page: bool
    entries: tuple[T, ...]
    page: int = 1
    totals_count: int = 0
    last_page_number: int | None = None
    first_on_page: int | None = None
    last_on_page: int | None = None
    items_per_page: int | None = None


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
class Address:
    """An address (contact or order address).

    ``name1`` company, ``name2`` first name, ``name3`` last name, ``name4`` c/o;
    ``address1`` street, ``address2`` house number, ``address3`` additional.
    """

    id: int
    name1: str | None = None
    name2: str | None = None
    name3: str | None = None
    name4: str | None = None
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    address4: str | None = None
    postal_code: str | None = None
    town: str | None = None
    country_id: int | None = None
    state_id: int | None = None
    gender: str | None = None
    is_packstation: bool | None = None
    is_postfiliale: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: tuple[AddressOption, ...] | None = None

    def option(self, type_id: int) -> str | None:
        """The value of the address option of ``type_id`` (see :class:`AddressOptionType`)."""
        return next((o.value for o in self.options or () if o.type_id == type_id), None)


@attrs.define
class ShippingPackageItem:
    """What one shipping package contains of one variation."""

    id: int
    package_id: int
    variation_id: int
    item_quantity: Decimal
    item_id: int | None = None


@attrs.define
class ShippingPackage:
    """A shipping package registered on an order (``OrderShippingPackage``).

    ``items`` is ``None`` unless loaded with ``with=items``.
    """

    id: int
    order_id: int
    package_number: str | None = None
    return_package_number: str | None = None
    package_id: int | None = None
    package_type: int | None = None
    weight: int | None = None
    volume: Decimal | None = None
    is_closed: bool | None = None
    pallet_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    items: tuple[ShippingPackageItem, ...] | None = None


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
class Referrer:
    """An order referrer (sales channel); ids are decimals like ``4.11``."""

    id: Decimal
    backend_name: str
    name: str | None = None
    is_editable: bool | None = None
    is_filterable: bool | None = None
    order_owner_id: int | None = None
    origin: str | None = None
    show_in_leads: bool | None = None


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


@attrs.define
class Contact:
    """A contact (customer)."""

    id: int
    type_id: int | None = None
    external_id: str | None = None
    number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lang: str | None = None
    referrer_id: Decimal | None = None
    plenty_id: int | None = None
    single_access: str | None = None
    class_id: int | None = None
    full_name: str | None = None
    gender: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    options: tuple[ContactOption, ...] | None = None


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


@attrs.define
class VariationBarcode:
    """A barcode (EAN, GTIN ...) of a variation."""

    code: str
    barcode_id: int
    variation_id: int | None = None
    created_at: datetime | None = None


@attrs.define
class VariationSku:
    """A marketplace SKU of a variation, unique per (market, account)."""

    sku: str
    market_id: Decimal
    variation_id: int | None = None
    account_id: int | None = None
    id: int | None = None
    parent_sku: str | None = None
    initial_sku: str | None = None
    status: str | None = None


@attrs.define
class Variation:
    """An item variation (the thing an order item sells).

    ``variation_barcodes`` and ``variation_skus`` are ``None`` unless loaded.
    """

    id: int
    item_id: int
    number: str | None = None
    model: str | None = None
    external_id: str | None = None
    name: str | None = None
    is_main: bool | None = None
    is_active: bool | None = None
    main_variation_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    variation_barcodes: tuple[VariationBarcode, ...] | None = None
    variation_skus: tuple[VariationSku, ...] | None = None


@attrs.define
class LocalizedName:
    """A name in one language (parcel service and shipping profile names)."""

    lang: str
    name: str
    id: int | None = None
    parcel_service_id: int | None = None
    parcel_service_preset_id: int | None = None


@attrs.define
class ShippingProfile:
    """A shipping profile (``ParcelServicePreset``): order property 2 holds its id.

    ``parcel_service_names`` name the carrier ("DHL", "DPD" ...); map them to
    Allegro carrier ids in configuration.
    """

    id: int
    parcel_service_id: int | None = None
    backend_name: str | None = None
    shipping_group: str | None = None
    priority: int | None = None
    is_cod: int | None = None
    supported_referrer: tuple[str, ...] | None = None
    category: int | None = None
    flag: int | None = None
    is_express: int | None = None
    is_insured: int | None = None
    updated_at: datetime | None = None
    parcel_service_names: tuple[LocalizedName, ...] | None = None
    parcel_service_preset_names: tuple[LocalizedName, ...] | None = None

    def parcel_service_name(self, lang: str = "en") -> str | None:
        """The carrier's name in ``lang``, else in any language, else ``None``."""
        names = self.parcel_service_names or ()
        exact = next((n.name for n in names if n.lang == lang), None)
        return exact if exact is not None else next((n.name for n in names), None)


@attrs.define
class Comment:
    """A comment as plenty stored it (``text`` is HTML)."""

    reference_type: str
    reference_value: int
    text: str
    id: int | None = None
    user_id: int | None = None
    is_visible_for_contact: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.define
class Country:
    """A shipping country; ``id`` is what addresses carry as ``countryId``."""

    id: int
    iso_code2: str
    iso_code3: str | None = None
    name: str | None = None
    lang: str | None = None
    active: int | None = None
    shipping_destination_id: int | None = None
    storehouse_id: int | None = None
    is_country_state_mandatory: bool | None = None


@attrs.define
class VatRate:
    """One of a VAT configuration's rate fields (``id`` is the ``vatField``, 0–3)."""

    id: int
    vat_rate: Decimal
    name: str | None = None
    revenue_account: str | None = None


@attrs.define
class VatConfiguration:
    """A VAT configuration of one country and accounting location (``countryVatId``)."""

    id: int
    country_id: int
    location_id: int | None = None
    tax_id_number: str | None = None
    started_at: datetime | None = None
    invalid_from: datetime | None = None
    margin_scheme: str | None = None
    is_restricted_to_digital_items: bool | None = None
    is_standard: bool | None = None
    is_active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    vat_rates: tuple[VatRate, ...] = ()

    def rate(self, vat_field: int) -> Decimal | None:
        """The rate of ``vat_field`` in percent, if the configuration has it."""
        return next((r.vat_rate for r in self.vat_rates if r.id == vat_field), None)


@attrs.define
class Currency:
    """A currency of the system; ``exchange_rate`` is relative to the system currency."""

    currency: str
    exchange_rate: Decimal | None = None
    is_active: bool | None = None
    is_erasable: bool | None = None
    html_code: str | None = None
    unicode_sign: str | None = None
