"""attrs models of the Allegro order-management API.

Field names are the spec's, in snake_case; the converter maps them to
camelCase. Every field the spec marks optional defaults to ``None`` (Allegro
also sends explicit ``null`` for them). Money is :class:`Money` with a
:class:`~decimal.Decimal` amount. Enums are :class:`~allegro_plenty.OpenEnum`:
a value Allegro adds tomorrow is kept, not fatal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

import attrs

from .._convert import OpenEnum
from ..errors import InvalidRequestError
from ._request_checks import aware, known, uuid_text, wire_name

__all__ = [
    "AdditionalService",
    "Buyer",
    "BuyerAddress",
    "BuyerPreferences",
    "BuyerReference",
    "Carrier",
    "Carriers",
    "CheckoutForm",
    "CheckoutFormFilter",
    "CheckoutFormReference",
    "CheckoutFormSort",
    "CheckoutFormStatus",
    "CheckoutForms",
    "Code",
    "CompanyId",
    "CompanyIdType",
    "Delivery",
    "DeliveryAddress",
    "DeliveryCancellation",
    "DeliveryMethod",
    "DeliveryTime",
    "Deposit",
    "DiscountType",
    "ExternalId",
    "Fulfillment",
    "FulfillmentProvider",
    "FulfillmentProviderId",
    "FulfillmentStatus",
    "Invoice",
    "InvoiceAddress",
    "InvoiceCompany",
    "LatestOrderEvent",
    "LineItem",
    "LineItemDiscount",
    "LineItemReconciliation",
    "LineItemReference",
    "LineItemTax",
    "LineItemsSent",
    "Marketplace",
    "MarketplaceCurrencies",
    "MarketplaceDetails",
    "MarketplaceLanguages",
    "Marketplaces",
    "Me",
    "MeCompany",
    "Money",
    "NaturalPerson",
    "NewRefund",
    "NewShipment",
    "Note",
    "Offer",
    "OrderEvent",
    "OrderEventData",
    "OrderEventLineItem",
    "OrderEventOffer",
    "OrderEventStats",
    "OrderEventType",
    "OrderEvents",
    "Payment",
    "PaymentProvider",
    "PaymentType",
    "PickupPoint",
    "PickupPointAddress",
    "ProductSet",
    "ProductSetProduct",
    "ReconciliationType",
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
    "SellerReference",
    "SerialNumber",
    "SerialNumbers",
    "Shipment",
    "ShipmentSummary",
    "Shipments",
    "Summary",
    "TimeRange",
    "VatPayerStatus",
    "Voucher",
    "VoucherStatus",
    "VoucherType",
]


E = TypeVar("E", bound=OpenEnum)


def _key(name: str) -> dict[str, str]:
    return {"key": name}


def _as_member(cls: type[E], value: E | str) -> E:
    # Request fields take a member or its exact string value; the string becomes
    # the member. Anything else is kept as given and refused, naming the field,
    # when the request is built (this model may also be part of an answer, which
    # keeps values Allegro adds after this release).
    if type(value) is str:
        return cast(E, cls._value2member_map_.get(value, value))
    return cast(E, value)


# --- enums -----------------------------------------------------------------


class CheckoutFormStatus(OpenEnum):
    """The buyer's side of the order."""

    BOUGHT = "BOUGHT"
    """Bought, checkout form not filled in yet."""
    FILLED_IN = "FILLED_IN"
    """Filled in but not paid; data may still change."""
    READY_FOR_PROCESSING = "READY_FOR_PROCESSING"
    """Paid, or cash on delivery chosen (then unpaid!)."""
    CANCELLED = "CANCELLED"
    """Cancelled by the buyer."""


class FulfillmentStatus(OpenEnum):
    """The seller's side of the order."""

    NEW = "NEW"
    PROCESSING = "PROCESSING"
    READY_FOR_SHIPMENT = "READY_FOR_SHIPMENT"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SENT = "SENT"
    PICKED_UP = "PICKED_UP"
    CANCELLED = "CANCELLED"
    SUSPENDED = "SUSPENDED"
    RETURNED = "RETURNED"
    """Set by Allegro after a full return and refund; a seller cannot set it."""


class FulfillmentProviderId(OpenEnum):
    """Who ships the order."""

    SELLER = "SELLER"
    ALLEGRO = "ALLEGRO"
    """Allegro One Fulfillment: Allegro's warehouse ships it."""


class LineItemsSent(OpenEnum):
    """How many line items have a shipment."""

    NONE = "NONE"
    SOME = "SOME"
    ALL = "ALL"


class PaymentType(OpenEnum):
    """How the buyer pays."""

    CASH_ON_DELIVERY = "CASH_ON_DELIVERY"
    WIRE_TRANSFER = "WIRE_TRANSFER"
    ONLINE = "ONLINE"
    SPLIT_PAYMENT = "SPLIT_PAYMENT"
    EXTENDED_TERM = "EXTENDED_TERM"


class PaymentProvider(OpenEnum):
    """The payment operator."""

    PAYU = "PAYU"
    P24 = "P24"
    AF = "AF"
    OFFLINE = "OFFLINE"
    EPT = "EPT"


class VatPayerStatus(OpenEnum):
    """Whether the invoiced company is an active VAT payer."""

    ACTIVE = "ACTIVE"
    NON_ACTIVE = "NON_ACTIVE"
    NOT_APPLICABLE = "NOT_APPLICABLE"


class CompanyIdType(OpenEnum):
    """The kind of a company identifier on an invoice address."""

    PL_NIP = "PL_NIP"
    CZ_ICO = "CZ_ICO"
    CZ_DIC = "CZ_DIC"
    HU_ADOSZAM = "HU_ADOSZAM"
    SK_ICO = "SK_ICO"
    SK_IC_DPH = "SK_IC_DPH"
    VAT_EU = "VAT_EU"
    OTHER = "OTHER"


class ReconciliationType(OpenEnum):
    """How Allegro compensates the seller for a price reduction."""

    BILLING = "BILLING"
    WALLET = "WALLET"


class VoucherType(OpenEnum):
    """The kind of a voucher applied to a line."""

    NOTEBOOKS_FOR_TEACHERS = "NOTEBOOKS_FOR_TEACHERS"


class VoucherStatus(OpenEnum):
    """Whether a voucher still applies."""

    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class DiscountType(OpenEnum):
    """Why a line is discounted (Allegro gives the type only, not the amount)."""

    BUNDLE = "BUNDLE"
    UNIT_PERCENTAGE_DISCOUNT = "UNIT_PERCENTAGE_DISCOUNT"
    WHOLESALE_PRICE_LIST = "WHOLESALE_PRICE_LIST"
    LARGE_ORDER_DISCOUNT = "LARGE_ORDER_DISCOUNT"
    TURNOVER_DISCOUNT = "TURNOVER_DISCOUNT"
    COUPON = "COUPON"
    CAMPAIGN = "CAMPAIGN"


# --- small parts -------------------------------------------------------------


@attrs.define
class Money:
    """An amount and its ISO 4217 currency (Allegro's ``Price``).

    In a request the amount goes out as ``"12.30"``: plain notation, two
    decimals. One with more decimals is refused, never rounded.
    """

    amount: Decimal
    currency: str


@attrs.define
class BuyerPreferences:
    """The buyer's preferred language (``pl-PL`` ...)."""

    language: str | None = None


@attrs.define
class BuyerAddress:
    """The buyer's own address (not the delivery address)."""

    street: str | None = None
    city: str | None = None
    post_code: str | None = None
    country_code: str | None = None


@attrs.define
class Buyer:
    """The buyer.

    ``email`` is a per-order relay alias: never use it to identify a person.
    ``personal_identity`` (PESEL) is personal data the library never stores.
    """

    id: str
    email: str
    login: str
    guest: bool
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    personal_identity: str | None = attrs.field(default=None, repr=False)
    phone_number: str | None = None
    preferences: BuyerPreferences | None = None
    address: BuyerAddress | None = None


@attrs.define
class Payment:
    """A payment (the order's ``payment``, or one of its ``surcharges``)."""

    id: str
    type: PaymentType
    provider: PaymentProvider | None = None
    finished_at: datetime | None = None
    paid_amount: Money | None = None
    reconciliation: Money | None = None
    features: tuple[str, ...] | None = None


@attrs.define
class ShipmentSummary:
    """Shipment progress of the order's line items."""

    line_items_sent: LineItemsSent | None = None


@attrs.define
class FulfillmentProvider:
    """Who fulfils the order."""

    id: FulfillmentProviderId | None = None


@attrs.define
class Fulfillment:
    """The seller-side status of the order."""

    status: FulfillmentStatus | None = None
    shipment_summary: ShipmentSummary | None = None
    provider: FulfillmentProvider | None = None


@attrs.define
class DeliveryAddress:
    """Where the parcel goes (for a pickup point: the recipient's data)."""

    first_name: str
    last_name: str
    street: str
    city: str
    zip_code: str
    country_code: str
    company_name: str | None = None
    phone_number: str | None = None
    modified_at: datetime | None = None


@attrs.define
class DeliveryMethod:
    """The delivery method chosen by the buyer."""

    id: str | None = None
    name: str | None = None


@attrs.define
class PickupPointAddress:
    """The address of a pickup point."""

    street: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country_code: str | None = None


@attrs.define
class PickupPoint:
    """A parcel locker or pickup point (``Paczkomat POZ08A``)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    address: PickupPointAddress | None = None


@attrs.define
class TimeRange:
    """A ``from``–``to`` period."""

    from_: datetime | None = attrs.field(default=None, metadata=_key("from"))
    to: datetime | None = None


@attrs.define
class DeliveryTime:
    """Delivery and dispatch times."""

    from_: datetime | None = attrs.field(default=None, metadata=_key("from"))
    to: datetime | None = None
    guaranteed: TimeRange | None = None
    """Deprecated by Allegro."""
    dispatch: TimeRange | None = None
    """When the seller must dispatch the parcel."""


@attrs.define
class DeliveryCancellation:
    """When delivery was cancelled."""

    date: datetime


@attrs.define
class Delivery:
    """Delivery data of the order."""

    address: DeliveryAddress | None = None
    method: DeliveryMethod | None = None
    pickup_point: PickupPoint | None = None
    cost: Money | None = None
    time: DeliveryTime | None = None
    smart: bool | None = None
    cancellation: DeliveryCancellation | None = None
    calculated_number_of_packages: int | None = None


@attrs.define
class CompanyId:
    """A company identifier (NIP, IČO, EU VAT id ...)."""

    type: CompanyIdType
    value: str


@attrs.define
class InvoiceCompany:
    """The invoiced company. ``tax_id`` is deprecated: read ``ids``."""

    name: str
    vat_payer_status: VatPayerStatus
    ids: tuple[CompanyId, ...] | None = None
    tax_id: str | None = None


@attrs.define
class NaturalPerson:
    """An invoiced private person."""

    first_name: str
    last_name: str


@attrs.define
class InvoiceAddress:
    """The invoice address: a company, a person, or neither."""

    street: str
    city: str
    zip_code: str
    country_code: str
    company: InvoiceCompany | None = None
    natural_person: NaturalPerson | None = None


@attrs.define
class Invoice:
    """Whether the buyer wants an invoice, and for whom."""

    required: bool
    address: InvoiceAddress | None = None
    due_date: str | None = None
    features: tuple[str, ...] | None = None
    """``VAT_EU_VERIFIED`` or ``VAT_EU_UNVERIFIED`` for EU business buyers."""


@attrs.define
class ExternalId:
    """The seller's own id of an offer (its SKU, as set on Allegro)."""

    id: str | None = None


@attrs.define
class ProductSetProduct:
    """A product within an offer's product set."""

    id: str
    quantity: int | None = None


@attrs.define
class ProductSet:
    """The products an offer sells."""

    products: tuple[ProductSetProduct, ...]


@attrs.define
class Offer:
    """The offer a line item was bought from."""

    id: str
    name: str
    external: ExternalId | None = None
    product_set: ProductSet | None = None
    hs_number: str | None = None


@attrs.define
class Deposit:
    """A returnable deposit (kaucja); ``price`` is per unit."""

    price: Money


@attrs.define
class LineItemReconciliation:
    """Compensation Allegro pays the seller for a reduced price."""

    value: Money | None = None
    type: ReconciliationType | None = None
    quantity: int | None = None


@attrs.define
class AdditionalService:
    """An additional service bought with a line (gift wrap, carry-in ...)."""

    definition_id: str | None = None
    name: str | None = None
    price: Money | None = None
    quantity: int | None = None


@attrs.define
class Voucher:
    """A voucher applied to a line (``NOTEBOOKS_FOR_TEACHERS``)."""

    type: VoucherType
    code: str | None = None
    status: VoucherStatus | None = None
    external_transaction_id: str | None = None
    value: Money | None = None


@attrs.define
class LineItemTax:
    """Tax data of a line, where the seller configured it."""

    rate: str | None = None
    subject: str | None = None
    exemption: str | None = None


@attrs.define
class LineItemDiscount:
    """A discount type applied to a line."""

    type: DiscountType | None = None


@attrs.define
class SerialNumber:
    """A serial number registered for a line."""

    value: str
    returned: bool | None = None


@attrs.define
class SerialNumbers:
    """Serial numbers of a line."""

    expected: bool | None = None
    entries: tuple[SerialNumber, ...] | None = None


@attrs.define
class LineItem:
    """One bought offer. ``price`` is the unit price paid; ``original_price``
    the price before campaign coupons."""

    id: str
    offer: Offer
    quantity: int
    original_price: Money
    price: Money
    deposit: Deposit | None = None
    reconciliation: LineItemReconciliation | None = None
    selected_additional_services: tuple[AdditionalService, ...] | None = None
    vouchers: tuple[Voucher, ...] | None = None
    tax: LineItemTax | None = None
    bought_at: datetime | None = None
    discounts: tuple[LineItemDiscount, ...] | None = None
    serial_numbers: SerialNumbers | None = None


@attrs.define
class Note:
    """The seller's private note."""

    text: str | None = None


@attrs.define
class Marketplace:
    """The marketplace the order was placed on (``allegro-pl``, ``allegro-cz`` ...)."""

    id: str


@attrs.define
class Summary:
    """Order totals. ``total_to_pay`` = ``payment.paid_amount`` + surcharges' paid amounts."""

    total_to_pay: Money


@attrs.define
class CheckoutForm:
    """An Allegro order (checkout form)."""

    id: str
    buyer: Buyer
    status: CheckoutFormStatus
    line_items: tuple[LineItem, ...]
    surcharges: tuple[Payment, ...]
    summary: Summary
    message_to_seller: str | None = None
    payment: Payment | None = None
    fulfillment: Fulfillment | None = None
    delivery: Delivery | None = None
    invoice: Invoice | None = None
    note: Note | None = None
    marketplace: Marketplace | None = None
    updated_at: datetime | None = None
    revision: str | None = None

    @property
    def is_one_fulfillment(self) -> bool:
        """Whether Allegro's own warehouse ships this order."""
        provider = self.fulfillment.provider if self.fulfillment else None
        return provider is not None and provider.id == FulfillmentProviderId.ALLEGRO


@attrs.define
class CheckoutForms:
    """A page of checkout forms."""

    checkout_forms: tuple[CheckoutForm, ...]
    count: int
    total_count: int


# --- checkout-form list filter -----------------------------------------------


def _aware(_: object, attribute: attrs.Attribute[datetime | None], value: datetime | None) -> None:
    aware(value, wire_name(attribute))


def _known(cls: type[OpenEnum]) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            known(cls, value, wire_name(attribute))

    return check


class CheckoutFormSort(OpenEnum):
    """The order of ``GET /order/checkout-forms`` (default: boughtAt descending)."""

    BOUGHT_AT = "lineItems.boughtAt"
    BOUGHT_AT_DESC = "-lineItems.boughtAt"
    UPDATED_AT = "updatedAt"
    UPDATED_AT_DESC = "-updatedAt"


@attrs.define
class CheckoutFormFilter:
    """Every filter ``GET /order/checkout-forms`` accepts, defined once.

    Used by :meth:`~allegro_plenty.AllegroClient.list_checkout_forms`, its async
    twin and the ``iter_checkout_forms`` walks. ``None`` means "no filter".
    An enum filter takes a member or exactly its string value; datetimes must be
    timezone-aware and are sent in UTC with milliseconds. Anything else raises
    :class:`~allegro_plenty.errors.InvalidRequestError` naming the query
    parameter, when the filter is built or a field is set.
    """

    status: CheckoutFormStatus | str | None = attrs.field(
        default=None, validator=_known(CheckoutFormStatus), metadata=_key("status")
    )
    fulfillment_status: FulfillmentStatus | str | None = attrs.field(
        default=None, validator=_known(FulfillmentStatus), metadata=_key("fulfillment.status")
    )
    fulfillment_provider_id: FulfillmentProviderId | str | None = attrs.field(
        default=None,
        validator=_known(FulfillmentProviderId),
        metadata=_key("fulfillment.provider.id"),
    )
    line_items_sent: LineItemsSent | str | None = attrs.field(
        default=None,
        validator=_known(LineItemsSent),
        metadata=_key("fulfillment.shipmentSummary.lineItemsSent"),
    )
    bought_at_gte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=_key("lineItems.boughtAt.gte")
    )
    bought_at_lte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=_key("lineItems.boughtAt.lte")
    )
    updated_at_gte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=_key("updatedAt.gte")
    )
    updated_at_lte: datetime | None = attrs.field(
        default=None, validator=_aware, metadata=_key("updatedAt.lte")
    )
    payment_id: str | None = attrs.field(default=None, metadata=_key("payment.id"))
    surcharges_id: str | None = attrs.field(default=None, metadata=_key("surcharges.id"))
    delivery_method_id: str | None = attrs.field(default=None, metadata=_key("delivery.method.id"))
    buyer_login: str | None = attrs.field(default=None, metadata=_key("buyer.login"))
    marketplace_id: str | None = attrs.field(default=None, metadata=_key("marketplace.id"))
    sort: CheckoutFormSort | str | None = attrs.field(
        default=None, validator=_known(CheckoutFormSort), metadata=_key("sort")
    )

    def params(self) -> dict[str, str | datetime | None]:
        """The filter as query parameters named as the spec names them."""
        return {
            wire_name(attribute): _value(getattr(self, attribute.name))
            for attribute in attrs.fields(type(self))
        }


def _value(value: str | datetime | None) -> str | datetime | None:
    # OpenEnum members are str subclasses; send their value, not their repr.
    return value if value is None or isinstance(value, datetime) else str(value)


# --- order events --------------------------------------------------------------


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


@attrs.define
class OrderEvents:
    """A page of order events, oldest first."""

    events: tuple[OrderEvent, ...]


@attrs.define
class LatestOrderEvent:
    """The newest event: a starting cursor for ``/order/events``."""

    id: str
    occurred_at: datetime


@attrs.define
class OrderEventStats:
    """``/order/event-stats``; ``latest_event`` is absent for an empty journal."""

    latest_event: LatestOrderEvent | None = None


# --- shipments and carriers ------------------------------------------------------


_Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def _max_length(limit: int) -> _Validator:
    def check(_: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and len(value) > limit:
            raise InvalidRequestError(
                f"may have at most {limit} characters, not {len(value)}",
                field=wire_name(attribute),
                value=value,
            )

    return check


@attrs.define
class LineItemReference:
    """A line item of the order, by id."""

    id: str


def _line_item_refs(
    value: Iterable[LineItemReference | str] | None,
) -> tuple[LineItemReference, ...] | None:
    if value is None:
        return None
    return tuple(v if isinstance(v, LineItemReference) else LineItemReference(v) for v in value)


def _non_empty(_: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("must not be empty", field=wire_name(attribute), value=value)


@attrs.define
class NewShipment:
    """A parcel tracking number to add to an order.

    Args:
        carrier_id: An id from :meth:`~allegro_plenty.AllegroClient.list_carriers`;
            ``OTHER`` (with ``carrier_name``) for a carrier Allegro does not track.
        waybill: The tracking number, 1 to 64 characters.
        carrier_name: Only with ``OTHER``; at most 30 characters.
        line_items: The line items in the parcel (ids or references); ``None``
            means every line item. There is no quantity: for two units of one
            line in two parcels, add two waybills for the same line item.
    """

    carrier_id: str = attrs.field(validator=_non_empty)
    waybill: str = attrs.field(validator=[_non_empty, _max_length(64)])
    carrier_name: str | None = attrs.field(default=None, validator=_max_length(30))
    line_items: tuple[LineItemReference, ...] | None = attrs.field(
        default=None, converter=_line_item_refs
    )


@attrs.define
class Shipment:
    """A tracking number assigned to an order (by this seller, Allegro or the carrier).

    Allegro derives ``id`` from ``carrier_id`` and ``waybill``: adding the same
    pair twice is not refused but counts against the order's parcel limit.
    """

    id: str | None = None
    waybill: str | None = None
    carrier_id: str | None = None
    carrier_name: str | None = None
    line_items: tuple[LineItemReference, ...] | None = None
    created_at: datetime | None = None


@attrs.define
class Shipments:
    """The tracking numbers of an order.

    ``shipments`` is required (the spec leaves it optional): an answer without
    it must not read as "no waybill yet", or the waybill is added twice.
    """

    shipments: tuple[Shipment, ...]


@attrs.define
class Carrier:
    """A shipping carrier Allegro knows (``DPD``, ``INPOST``, ``OTHER`` ...)."""

    id: str
    name: str | None = None


@attrs.define
class Carriers:
    """The carriers list (required: an answer without it is an error, not "no carriers")."""

    carriers: tuple[Carrier, ...]


# --- refunds -----------------------------------------------------------------------


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
    return _as_member(RefundReason, value)


def _refund_line_item_type(value: RefundLineItemType | str) -> RefundLineItemType:
    return _as_member(RefundLineItemType, value)


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
    seller_comment: str | None = attrs.field(default=None, validator=_max_length(250))


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


# --- marketplaces and the account -----------------------------------------------------


@attrs.define
class Code:
    """A language, currency or country code."""

    code: str | None = None


@attrs.define
class MarketplaceCurrencies:
    """The currencies of a marketplace."""

    base: Code | None = None
    additional: tuple[Code, ...] | None = None


@attrs.define
class MarketplaceLanguages:
    """The languages of a marketplace."""

    offer_creation: tuple[Code, ...] | None = None
    offer_display: tuple[Code, ...] | None = None


@attrs.define
class MarketplaceDetails:
    """A marketplace (``allegro-pl``, ``allegro-cz`` ...) and what it supports."""

    id: str
    currencies: MarketplaceCurrencies | None = None
    languages: MarketplaceLanguages | None = None
    shipping_countries: tuple[Code, ...] | None = None


@attrs.define
class Marketplaces:
    """The marketplaces list (required: an answer without it is an error, not "none")."""

    marketplaces: tuple[MarketplaceDetails, ...]


@attrs.define
class MeCompany:
    """The seller's company."""

    name: str | None = None
    tax_id: str | None = None


@attrs.define
class Me:
    """The account behind a token (``GET /me``). ``id`` is the seller id."""

    id: str
    login: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    base_marketplace: Marketplace | None = None
    company: MeCompany | None = None
    features: tuple[str, ...] | None = None
