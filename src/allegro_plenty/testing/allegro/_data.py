"""Constants, records and parameter parsing of the Allegro fake."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

import attrs
from dateutil.parser import isoparse

from ..._convert import format_allegro_datetime
from .._transport import RecordedCall, Refusal

MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
ORDERS_READ = "allegro:api:orders:read"
ORDERS_WRITE = "allegro:api:orders:write"
PAYMENTS_READ = "allegro:api:payments:read"
PAYMENTS_WRITE = "allegro:api:payments:write"
PROFILE_READ = "allegro:api:profile:read"
ALL_SCOPES = (ORDERS_READ, ORDERS_WRITE, PAYMENTS_READ, PAYMENTS_WRITE, PROFILE_READ)

ACCESS_TOKEN_SECONDS = 43199
"""Allegro access tokens last 12 h (``expires_in: 43199``; allegro-api #1174)."""
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
EVENT_RETENTION = timedelta(days=60)
OFFSET_LIMIT_CAP = 10_000
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

DEFAULT_CARRIERS: tuple[tuple[str, str], ...] = (
    ("ALLEGRO", "Allegro One"),
    ("INPOST", "InPost"),
    ("DPD", "DPD"),
    ("DHL", "DHL"),
    ("POCZTA_POLSKA", "Poczta Polska"),
    ("ORLEN", "ORLEN Paczka"),
    ("UPS", "UPS"),
    ("GLS", "GLS"),
    ("YUN_EXPRESS", "Yun Express"),
    ("OTHER", "Inny przewoźnik"),
)
"""``(id, name)`` pairs: the spec's example ids plus those seen in allegro-api issues."""

MARKETPLACES: tuple[dict[str, Any], ...] = tuple(
    {
        "id": market,
        "languages": {
            "offerCreation": [{"code": "pl-PL"}, {"code": "en-US"}],
            "offerDisplay": [{"code": lang}],
        },
        "currencies": {"base": {"code": currency}, "additional": []},
        "shippingCountries": [{"code": country}],
    }
    for market, lang, currency, country in (
        ("allegro-pl", "pl-PL", "PLN", "PL"),
        ("allegro-cz", "cs-CZ", "CZK", "CZ"),
        ("allegro-sk", "sk-SK", "EUR", "SK"),
        ("allegro-hu", "hu-HU", "HUF", "HU"),
    )
)

CHECKOUT_FORM_STATUSES = ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING", "CANCELLED")
FULFILLMENT_STATUSES = (
    "NEW",
    "PROCESSING",
    "READY_FOR_SHIPMENT",
    "READY_FOR_PICKUP",
    "SENT",
    "PICKED_UP",
    "CANCELLED",
    "SUSPENDED",
    "RETURNED",
)
EVENT_TYPES = (
    "BOUGHT",
    "FILLED_IN",
    "READY_FOR_PROCESSING",
    "BUYER_CANCELLED",
    "FULFILLMENT_STATUS_CHANGED",
    "BUYER_MODIFIED",
    "AUTO_CANCELLED",
)
REFUND_REASONS = (
    "REFUND",
    "COMPLAINT",
    "PRODUCT_NOT_AVAILABLE",
    "PAID_VALUE_TOO_LOW",
    "OVERPAID",
    "CANCELLED_BY_BUYER",
    "NOT_COLLECTED",
)
SORTS = ("lineItems.boughtAt", "-lineItems.boughtAt", "updatedAt", "-updatedAt")
LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")
# Buyers may not edit a delivery address once the seller works on the order
# (allegro-api #3730, #3831).
ADDRESS_FROZEN = ("PROCESSING", "READY_FOR_SHIPMENT", "SENT")

MONEY_SHAPE = {"amount": None, "currency": None}
REFUND_BODY: dict[str, Any] = {
    "payment": {"id": None},
    "order": {"id": None},
    "commandId": None,
    "reason": None,
    "lineItems": [{"id": None, "type": None, "quantity": None, "value": MONEY_SHAPE}],
    "deposits": [{"lineItemId": None, "totalValue": MONEY_SHAPE}],
    "delivery": {"value": MONEY_SHAPE},
    "overpaid": {"value": MONEY_SHAPE},
    "surcharges": [{"id": None, "value": MONEY_SHAPE}],
    "additionalServices": {"value": MONEY_SHAPE},
    "sellerComment": None,
}


@attrs.define
class Seller:
    """A seller account (what ``GET /me`` answers)."""

    id: str
    login: str
    first_name: str = "Jan"
    last_name: str = "Kowalski"
    email: str = "seller@example.pl"
    base_marketplace: str = "allegro-pl"
    company_name: str | None = None
    features: tuple[str, ...] = ()


@attrs.define
class AccessToken:
    """An issued access token."""

    token: str
    seller_id: str | None
    scopes: tuple[str, ...]
    expires_at: datetime
    revoked: bool = False


@attrs.define
class RefreshToken:
    """An issued refresh token; single-use."""

    token: str
    seller_id: str
    scopes: tuple[str, ...]
    expires_at: datetime
    access_token: str
    used: bool = False


@attrs.define
class DeviceGrant:
    """A device flow in progress."""

    device_code: str
    user_code: str
    scopes: tuple[str, ...]
    expires_at: datetime
    interval: int = 5
    seller_id: str | None = None
    denied: bool = False
    used: bool = False
    last_poll: datetime | None = None


@attrs.define
class AuthorizationCode:
    """A one-time authorization code and what it grants."""

    seller_id: str
    scopes: tuple[str, ...]
    redirect_uri: str | None
    code_challenge: str | None
    used: bool = False


@attrs.define
class StoredForm:
    """A checkout form (its JSON) and the fake's bookkeeping about it."""

    data: dict[str, Any]
    seller_id: str
    revision_no: int = 0
    fulfillment_changes: int = 0
    shipments: list[dict[str, Any]] = attrs.field(factory=list)
    shipment_posts: int = 0
    gone: bool = False
    invoices: list[Any] = attrs.field(factory=list)
    """Its invoices (``StoredInvoice`` of :mod:`._invoices`), oldest first."""
    invoice_refusal: str | None = None
    """Why the order takes no invoice (a 422), if it takes none."""
    has_external_invoices: bool = False


@attrs.define
class StoredEvent:
    """One entry of the events journal."""

    seq: int
    type: str
    form_id: str
    seller_id: str
    occurred_at: datetime
    recorded_at: datetime
    order: dict[str, Any]

    @property
    def id(self) -> str:
        """The public event id (ids only grow)."""
        return str(EVENT_ID_BASE + self.seq)

    def json(self) -> dict[str, Any]:
        """The event as ``GET /order/events`` renders it."""
        return {
            "id": self.id,
            "order": copy.deepcopy(self.order),
            "type": self.type,
            "occurredAt": iso(self.occurred_at),
        }


@attrs.define
class StoredRefund:
    """A refund, the request that made it and its command id."""

    data: dict[str, Any]
    seller_id: str
    command_id: str
    request: dict[str, Any]


EVENT_ID_BASE = 1_532_603_898_317_000


def iso(value: datetime) -> str:
    """Allegro's date-time format: UTC with milliseconds and ``Z``."""
    return format_allegro_datetime(value)


def money(amount: Decimal, currency: str) -> dict[str, str]:
    """A ``Price`` with two decimals."""
    return {"amount": f"{amount.quantize(Decimal('0.01'))}", "currency": currency}


def decimal_value(value: Any, where: str) -> Decimal:
    """A decimal from JSON, or a 422 naming ``where``."""
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise Refusal(
            422, "VALIDATION_ERROR", f"{where} is not a decimal amount", path=where
        ) from None
    if not result.is_finite():
        raise Refusal(422, "VALIDATION_ERROR", f"{where} is not a decimal amount", path=where)
    return result


def is_uuid(value: Any) -> bool:
    """Whether ``value`` is a UUID."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def form_pairs(call: RecordedCall) -> list[tuple[str, str]]:
    """The form fields of a recorded OAuth request."""
    return parse_qsl(call.request.body.decode("utf-8", "replace"), keep_blank_values=True)


def int_param(
    raw: str | None, name: str, default: int, *, minimum: int, maximum: int | None = None
) -> int:
    """An integer query parameter within bounds, or a 422."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Refusal(422, "VALIDATION_ERROR", f"{name} must be an integer", path=name) from None
    if value < minimum or (maximum is not None and value > maximum):
        raise Refusal(
            422, "VALIDATION_ERROR", f"{name} must be between {minimum} and {maximum}", path=name
        )
    return value


def date_param(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 query parameter with a zone, or a 400."""
    if raw is None:
        return None
    try:
        value = isoparse(raw)
    except ValueError:
        # An unencoded "+" in an offset arrives as a space (allegro-api #2948).
        raise Refusal(
            400, "VALIDATION_ERROR", f"{name} is not an ISO 8601 date-time: {raw!r}", path=name
        ) from None
    if value.tzinfo is None:
        raise Refusal(400, "VALIDATION_ERROR", f"{name} has no time zone: {raw!r}", path=name)
    return value


def within(value: datetime | None, low: datetime | None, high: datetime | None) -> bool:
    """Whether ``value`` lies in the closed range (an open end is ``None``)."""
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def bought_at(form: Mapping[str, Any]) -> datetime | None:
    """The earliest ``boughtAt`` of a form's line items (a form seeded as hostile data
    may have no list of them, or odd items)."""
    items = form.get("lineItems")
    stamps = [
        isoparse(i["boughtAt"])
        for i in (items if isinstance(items, list) else [])
        if isinstance(i, dict) and i.get("boughtAt")
    ]
    return min(stamps) if stamps else None


def updated_at(form: Mapping[str, Any]) -> datetime | None:
    """A form's ``updatedAt``."""
    raw = form.get("updatedAt")
    return isoparse(raw) if raw else None


def sort_key(form: Mapping[str, Any], key: str) -> float:
    """The value a form is sorted by (``lineItems.boughtAt`` or ``updatedAt``)."""
    stamp = bought_at(form) if key == "lineItems.boughtAt" else updated_at(form)
    return stamp.timestamp() if stamp is not None else float("-inf")
