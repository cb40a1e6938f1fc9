"""The checkout form (an Allegro order), its parts and the enums they use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from ..._convert import OpenEnum
from ...errors import ModelValidationError
from ._fields import key

__all__ = [
    "AdditionalService",
    "Buyer",
    "BuyerAddress",
    "BuyerPreferences",
    "CheckoutForm",
    "CheckoutFormStatus",
    "CheckoutForms",
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
    "LineItem",
    "LineItemDiscount",
    "LineItemReconciliation",
    "LineItemTax",
    "LineItemsSent",
    "Marketplace",
    "Money",
    "NaturalPerson",
    "Note",
    "Offer",
    "Payment",
    "PaymentProvider",
    "PaymentType",
    "PickupPoint",
    "PickupPointAddress",
    "ProductSet",
    "ProductSetProduct",
    "ReconciliationType",
    "SerialNumber",
    "SerialNumbers",
    "ShipmentSummary",
    "Summary",
    "TimeRange",
    "UnreadableCheckoutForm",
    "VatPayerStatus",
    "Voucher",
    "VoucherStatus",
    "VoucherType",
]


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

    from_: datetime | None = attrs.field(default=None, metadata=key("from"))
    to: datetime | None = None


@attrs.define
class DeliveryTime:
    """Delivery and dispatch times."""

    from_: datetime | None = attrs.field(default=None, metadata=key("from"))
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


@attrs.frozen
class UnreadableCheckoutForm:
    """A checkout form of a page read item by item that does not fit :class:`CheckoutForm`:
    set aside, so the rest of the page is read.

    Attributes:
        index: Its place in the page's ``checkoutForms``.
        id: Its ``id``, if that much can be read.
        updated_at: Its ``updatedAt``, if that can be read.
        error: What is wrong (``field_path`` inside the form, ``lineItems[0].quantity``).
    """

    index: int
    id: str | None
    updated_at: datetime | None
    error: ModelValidationError = attrs.field(eq=False)


@attrs.define
class CheckoutForms:
    """A page of checkout forms."""

    checkout_forms: tuple[CheckoutForm, ...]
    count: int
    total_count: int
    unreadable: tuple[UnreadableCheckoutForm, ...] = attrs.field(default=(), init=False)
    """The forms set aside as unreadable, when the page was read item by item
    (``list_checkout_forms(per_item=True)``); never read from the body."""
