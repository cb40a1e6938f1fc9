"""Every plentymarkets endpoint the library uses, defined once as an :class:`Operation` factory.

Both :class:`~allegro_plenty.PlentyClient` and
:class:`~allegro_plenty.AsyncPlentyClient` call these; only their I/O differs.
Each factory names its route, and each filter is sent to the route whose
specification declares it (the deprecated ``GET /rest/orders`` declares
``externalOrderId``, ``updatedAtFrom``/``To``, ``statusFrom``/``To``,
``referrerId`` and ``parentOrderId``; ``/rest/orders/search`` declares none of them).

Retry classes of the writes (the caller re-reads after any ambiguous failure):

* ``create_order``: never. There is no idempotency key; a re-sent order is a
  second order. Look it up by external order id instead.
* ``create_payment``, ``create_contact``, ``create_referrer``,
  ``create_comment``, ``link_payment_to_order``, ``cancel_order``: only when
  plenty provably did not process the request (connect error, rate-limit 429).
  A duplicate payment books the order as overpaid, a duplicate contact or
  referrer clutters the system and a duplicate comment is visible to staff.
* ``create_address``: always. plenty assigns an existing identical address
  instead of creating a second one ("If the system finds a duplicate, this
  address will be assigned", spec of the route).
* ``update_order_status``: always. Setting a status the order already has
  changes nothing.
* ``generate_invoice``: never. Each call may number a new invoice; after an
  ambiguous failure, list the order's invoice documents.
* ``set_order_address``: always. Pointing the order's billing or delivery
  relation at the address it already points at changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import httpx

from .._convert import format_plenty_datetime
from .._http.operation import (
    BodyMismatch,
    Operation,
    QueryValue,
    Retry,
    no_content,
    parse_json,
    parse_model,
    path,
    query,
)
from ..errors import InvalidRequestError
from .filters import NO_ORDER_FILTER, OrderFilter, StatusId, status_id
from .models import Address as AddressModel
from .models import (
    AddressRelation,
    AddressType,
    Comment,
    Contact,
    Country,
    Currency,
    Document,
    NewAddress,
    NewComment,
    NewContact,
    NewOrder,
    NewPayment,
    NewReferrer,
    Order,
    OrderPropertyType,
    OrderPropertyTypeInfo,
    Page,
    Payment,
    PaymentMethod,
    PaymentOrderRelation,
    Referrer,
    ShippingPackage,
    ShippingProfile,
    StatusHistoryEntry,
    Variation,
    VatConfiguration,
)
from .models.documents import DOCUMENT_TYPES

__all__ = [
    "DEFAULT_ORDER_RELATIONS",
    "MAX_ITEMS_PER_PAGE",
    "NO_ORDER_FILTER",
    "OrderFilter",
    "StatusId",
    "cancel_order",
    "create_address",
    "create_comment",
    "create_contact",
    "create_order",
    "create_payment",
    "create_referrer",
    "download_document",
    "exact_external_id",
    "exchange_rate",
    "find_orders_by_external_id",
    "generate_invoice",
    "get_order",
    "link_payment_to_order",
    "list_contacts",
    "list_currencies",
    "list_documents",
    "list_orders",
    "list_referrers",
    "list_status_history",
    "list_vat_configurations",
    "order_comments",
    "order_documents",
    "order_payments",
    "order_property_types",
    "order_status_history",
    "package_numbers",
    "payment_methods",
    "payments_by_property",
    "search_variations",
    "set_order_address",
    "shipping_countries",
    "shipping_packages",
    "shipping_profiles",
    "standard_vat_configuration",
    "status_id",
    "update_order_status",
]

MAX_ITEMS_PER_PAGE = 250
"""The largest page peers use on plenty's order lists (and the spec's cap on comparable routes)."""

DEFAULT_ORDER_RELATIONS = ("addresses", "relations", "shippingPackages")
"""Relations ``get_order`` loads besides the defaults (properties, dates, amounts, items)."""


def _datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"plentymarkets dates need a timezone, got naive {value.isoformat()}")
    return format_plenty_datetime(value)


def _query(items: Mapping[str, QueryValue | Iterable[QueryValue]]) -> tuple[tuple[str, str], ...]:
    return query(items, datetime_format=_datetime)


def _with(relations: Sequence[str]) -> str | None:
    # Comma-separated: the spec declares ``with`` as ``style: form, explode: false``
    # (or as a string "separated by commas").
    return ",".join(relations) or None


def _page_params(page: int, items_per_page: int) -> dict[str, QueryValue]:
    if page < 1:
        raise ValueError(f"page must be ≥ 1, got {page}")
    if not 1 <= items_per_page <= MAX_ITEMS_PER_PAGE:
        raise ValueError(f"items_per_page must be 1..{MAX_ITEMS_PER_PAGE}, got {items_per_page}")
    return {"page": page, "itemsPerPage": items_per_page}


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


# --- orders -------------------------------------------------------------------


def _orders_with_properties(response: httpx.Response, converter: cattrs.Converter) -> Page[Order]:
    page = parse_model(Page[Order])(response, converter)
    for index, order in enumerate(page.entries):
        if order.properties is None:
            # Without properties an exact match cannot be confirmed, and treating
            # the order as absent could create a duplicate.
            raise BodyMismatch(
                f"order {order.id} came without its properties", f"entries[{index}].properties"
            )
    return page


def find_orders_by_external_id(external_order_id: str, *, page: int = 1) -> Operation[Page[Order]]:
    """``GET /rest/orders?externalOrderId=``; filter with :func:`exact_external_id`.

    Whether plenty matches exactly or by prefix is undocumented, so every entry
    must carry its properties (a ``ResponseValidationError`` otherwise) and the
    caller keeps only exact property-7 matches.
    """
    if not external_order_id:
        raise ValueError("external_order_id must not be empty")
    by_id = OrderFilter(external_order_id=external_order_id, sort_by="id", sort_order="asc")
    op = list_orders(by_id, page=page)
    return attrs.evolve(op, name="find_orders_by_external_id", parse=_orders_with_properties)


def exact_external_id(orders: Iterable[Order], external_order_id: str) -> list[Order]:
    """The orders whose property 7 is exactly ``external_order_id``."""
    return [
        o
        for o in orders
        if any(
            p.type_id == OrderPropertyType.EXTERNAL_ORDER_ID and p.value == external_order_id
            for p in o.properties or ()
        )
    ]


def create_order(order: NewOrder) -> Operation[Order]:
    """``POST /rest/orders``. Never retried: plenty has no idempotency key for orders."""
    return Operation(
        name="create_order",
        method="POST",
        path="/rest/orders",
        json=order,
        parse=parse_model(Order),
        retry=Retry.NEVER,
    )


def get_order(
    order_id: int, *, relations: Sequence[str] = DEFAULT_ORDER_RELATIONS
) -> Operation[Order]:
    """``GET /rest/orders/{orderId}`` with ``with=`` the given relations."""
    return Operation(
        name="get_order",
        method="GET",
        path=path("/rest/orders/{id}", id=_positive("order_id", order_id)),
        params=_query({"with": _with(relations)}),
        parse=parse_model(Order),
        retry=Retry.ALWAYS,
    )


def list_orders(
    filter: OrderFilter = NO_ORDER_FILTER,
    *,
    relations: Sequence[str] = (),
    page: int = 1,
    items_per_page: int = MAX_ITEMS_PER_PAGE,
) -> Operation[Page[Order]]:
    """``GET /rest/orders``: the (deprecated, working) route that declares these filters."""
    if not isinstance(filter, OrderFilter):
        raise InvalidRequestError("must be an OrderFilter", field="filter", value=filter)
    params: dict[str, Any] = {
        **filter.params(),
        "with": _with(relations),
        **_page_params(page, items_per_page),
    }
    return Operation(
        name="list_orders",
        method="GET",
        path="/rest/orders",
        params=_query(params),
        parse=parse_model(Page[Order]),
        retry=Retry.ALWAYS,
    )


@attrs.frozen
class _StatusChange:
    status_id: Decimal
    message: str | None = None


def update_order_status(order_id: int, status: StatusId) -> Operation[Order]:
    """``PUT /rest/orders/{orderId}`` with ``{"statusId": ...}``; idempotent, so retried."""
    return Operation(
        name="update_order_status",
        method="PUT",
        path=path("/rest/orders/{id}", id=_positive("order_id", order_id)),
        json=_StatusChange(status_id(status)),
        parse=parse_model(Order),
        retry=Retry.ALWAYS,
    )


@attrs.frozen
class _AddressRelationsChange:
    address_relations: tuple[AddressRelation, ...]


def set_order_address(order_id: int, address_id: int, *, type_id: int) -> Operation[Order]:
    """``PUT /rest/orders/{orderId}`` with ``{"addressRelations": [{typeId, addressId}]}``.

    Points the order's billing (1) or delivery (2) address at an existing
    address; the other one stays (an order has one address of each type).
    Idempotent, so retried. An order is locked once invoiced: check its
    ``lock_status`` first.
    """
    if type_id not in (AddressType.BILLING, AddressType.DELIVERY):
        raise ValueError(f"type_id must be 1 (billing) or 2 (delivery), got {type_id!r}")
    relation = AddressRelation(type_id, _positive("address_id", address_id))
    return Operation(
        name="set_order_address",
        method="PUT",
        path=path("/rest/orders/{id}", id=_positive("order_id", order_id)),
        json=_AddressRelationsChange((relation,)),
        parse=parse_model(Order),
        retry=Retry.ALWAYS,
    )


def cancel_order(
    order_id: int, *, status: StatusId = Decimal(8), message: str | None = None
) -> Operation[None]:
    """``PUT /rest/orders/{orderId}/cancel`` with the cancel status (8 by default)."""
    return Operation(
        name="cancel_order",
        method="PUT",
        path=path("/rest/orders/{id}/cancel", id=_positive("order_id", order_id)),
        json=_StatusChange(status_id(status), message),
        parse=no_content,
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def order_status_history(order_id: int) -> Operation[tuple[StatusHistoryEntry, ...]]:
    """``GET /rest/orders/{orderId}/status-history`` (a plain list)."""
    return Operation(
        name="order_status_history",
        method="GET",
        path=path("/rest/orders/{id}/status-history", id=_positive("order_id", order_id)),
        parse=parse_model(tuple[StatusHistoryEntry, ...]),
        retry=Retry.ALWAYS,
    )


def list_status_history(
    *,
    created_at_from: datetime | None = None,
    created_at_to: datetime | None = None,
    status: StatusId | None = None,
    order_id: int | None = None,
    page: int = 1,
    items_per_page: int = MAX_ITEMS_PER_PAGE,
) -> Operation[Page[StatusHistoryEntry]]:
    """``GET /rest/orders/status-history``: status changes of all orders, paged."""
    params: dict[str, Any] = {
        "orderId": order_id,
        "statusId": None if status is None else status_id(status),
        "createdAtFrom": created_at_from,
        "createdAtTo": created_at_to,
        **_page_params(page, items_per_page),
    }
    return Operation(
        name="list_status_history",
        method="GET",
        path="/rest/orders/status-history",
        params=_query(params),
        parse=parse_model(Page[StatusHistoryEntry]),
        retry=Retry.ALWAYS,
    )


# --- referrers and property types ----------------------------------------------


def list_referrers() -> Operation[tuple[Referrer, ...]]:
    """``GET /rest/orders/referrers``: every referrer of the system."""
    return Operation(
        name="list_referrers",
        method="GET",
        path="/rest/orders/referrers",
        parse=parse_model(tuple[Referrer, ...]),
        retry=Retry.ALWAYS,
    )


def create_referrer(referrer: NewReferrer, *, parent_id: int | None = None) -> Operation[Referrer]:
    """``POST /rest/orders/referrers/{parentReferrerId?}`` with the attributes as JSON.

    Without ``parent_id`` plenty creates a main referrer (the next free id);
    with it, a sub-referrer ``parent.NN``. The spec's required ``data`` query
    parameter is an artefact of the repository method's signature; see
    ``tests/spec_deviations.py``.
    """
    route = "/rest/orders/referrers"
    if parent_id is not None:
        route = path("/rest/orders/referrers/{parent}", parent=_positive("parent_id", parent_id))
    return Operation(
        name="create_referrer",
        method="POST",
        path=route,
        json=referrer,
        parse=parse_model(Referrer),
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def order_property_types() -> Operation[tuple[OrderPropertyTypeInfo, ...]]:
    """``GET /rest/orders/properties/types`` with the names in every language."""
    return Operation(
        name="order_property_types",
        method="GET",
        path="/rest/orders/properties/types",
        parse=parse_model(tuple[OrderPropertyTypeInfo, ...]),
        retry=Retry.ALWAYS,
    )


# --- contacts and addresses ------------------------------------------------------


def list_contacts(
    *,
    external_id: str | None = None,
    email: str | None = None,
    relations: Sequence[str] = (),
    page: int = 1,
    items_per_page: int = MAX_ITEMS_PER_PAGE,
) -> Operation[Page[Contact]]:
    """``GET /rest/accounts/contacts`` filtered by ``externalId`` (a string) or exact ``email``."""
    params: dict[str, Any] = {
        "externalId": external_id,
        "email": email,
        "with": _with(relations),
        **_page_params(page, items_per_page),
    }
    return Operation(
        name="list_contacts",
        method="GET",
        path="/rest/accounts/contacts",
        params=_query(params),
        parse=parse_model(Page[Contact]),
        retry=Retry.ALWAYS,
    )


def create_contact(contact: NewContact) -> Operation[Contact]:
    """``POST /rest/accounts/contacts``; re-sent only if plenty provably did not get it."""
    return Operation(
        name="create_contact",
        method="POST",
        path="/rest/accounts/contacts",
        json=contact,
        parse=parse_model(Contact),
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def create_address(
    contact_id: int, address: NewAddress, *, type_id: int, is_primary: bool | None = None
) -> Operation[AddressModel]:
    """``POST /rest/accounts/contacts/{contactId}/addresses?typeId=1|2``.

    Retried: plenty assigns an existing identical address instead of adding one.
    """
    if type_id not in (AddressType.BILLING, AddressType.DELIVERY):
        raise ValueError(f"type_id must be 1 (billing) or 2 (delivery), got {type_id!r}")
    return Operation(
        name="create_address",
        method="POST",
        path=path("/rest/accounts/contacts/{id}/addresses", id=_positive("contact_id", contact_id)),
        params=_query({"typeId": type_id, "isPrimary": is_primary}),
        json=address,
        parse=parse_model(AddressModel),
        retry=Retry.ALWAYS,
    )


# --- payments --------------------------------------------------------------------


def create_payment(payment: NewPayment) -> Operation[Payment]:
    """``POST /rest/payments``; re-sent only if plenty provably did not get it."""
    return Operation(
        name="create_payment",
        method="POST",
        path="/rest/payments",
        json=payment,
        parse=parse_model(Payment),
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def payments_by_property(type_id: int, value: str) -> Operation[tuple[Payment, ...]]:
    """``GET /rest/payments/property/{propertyTypeId}/{propertyValue}``.

    The value is a string (an Allegro payment id is a UUID); the spec's
    integer typing is a generator artefact, see ``tests/spec_deviations.py``.
    """
    if not value:
        raise ValueError("a payment property value must not be empty")
    return Operation(
        name="payments_by_property",
        method="GET",
        path=path(
            "/rest/payments/property/{type}/{value}",
            type=_positive("type_id", type_id),
            value=value,
        ),
        parse=parse_model(tuple[Payment, ...]),
        retry=Retry.ALWAYS,
    )


def order_payments(order_id: int) -> Operation[tuple[Payment, ...]]:
    """``GET /rest/payments/orders/{orderId}``: the payments linked to an order."""
    return Operation(
        name="order_payments",
        method="GET",
        path=path("/rest/payments/orders/{id}", id=_positive("order_id", order_id)),
        parse=parse_model(tuple[Payment, ...]),
        retry=Retry.ALWAYS,
    )


def link_payment_to_order(payment_id: int, order_id: int) -> Operation[PaymentOrderRelation]:
    """``POST /rest/payment/{paymentId}/order/{orderId}``."""
    return Operation(
        name="link_payment_to_order",
        method="POST",
        path=path(
            "/rest/payment/{payment}/order/{order}",
            payment=_positive("payment_id", payment_id),
            order=_positive("order_id", order_id),
        ),
        parse=parse_model(PaymentOrderRelation),
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def payment_methods() -> Operation[tuple[PaymentMethod, ...]]:
    """``GET /rest/payments/methods``."""
    return Operation(
        name="payment_methods",
        method="GET",
        path="/rest/payments/methods",
        parse=parse_model(tuple[PaymentMethod, ...]),
        retry=Retry.ALWAYS,
    )


# --- variations ------------------------------------------------------------------


def search_variations(
    *,
    number_exact: str | None = None,
    barcode: str | None = None,
    sku: str | None = None,
    sku_referrer_id: Decimal | int | None = None,
    relations: Sequence[str] = (),
    page: int = 1,
    items_per_page: int = MAX_ITEMS_PER_PAGE,
) -> Operation[Page[Variation]]:
    """``GET /rest/items/variations`` by ``numberExact``, ``barcode`` or market ``sku``.

    ``sku_referrer_id`` restricts a SKU to one market (``sku=<sku>:<referrerId>``).
    """
    if sku is not None and ":" in sku:
        raise ValueError(f"a SKU with ':' cannot be searched (plenty splits it): {sku!r}")
    sku_filter = sku
    if sku is not None and sku_referrer_id is not None:
        sku_filter = f"{sku}:{sku_referrer_id}"
    params: dict[str, Any] = {
        "numberExact": number_exact,
        "barcode": barcode,
        "sku": sku_filter,
        "with": _with(relations),
        **_page_params(page, items_per_page),
    }
    return Operation(
        name="search_variations",
        method="GET",
        path="/rest/items/variations",
        params=_query(params),
        parse=parse_model(Page[Variation]),
        retry=Retry.ALWAYS,
    )


# --- shipping --------------------------------------------------------------------


def _strings(response: httpx.Response, converter: cattrs.Converter) -> tuple[str, ...]:
    data = parse_json(response)
    if not isinstance(data, list):
        raise BodyMismatch("expected a list of package numbers")
    return tuple(str(v) for v in data if v is not None and str(v))


def package_numbers(order_id: int) -> Operation[tuple[str, ...]]:
    """``GET /rest/orders/{orderId}/packagenumbers`` (a plain list of strings)."""
    return Operation(
        name="package_numbers",
        method="GET",
        path=path("/rest/orders/{id}/packagenumbers", id=_positive("order_id", order_id)),
        parse=_strings,
        retry=Retry.ALWAYS,
    )


def shipping_packages(
    order_id: int, *, with_items: bool = True
) -> Operation[tuple[ShippingPackage, ...]]:
    """``GET /rest/orders/{orderId}/shipping/packages`` (``with=items`` by default)."""
    return Operation(
        name="shipping_packages",
        method="GET",
        path=path("/rest/orders/{id}/shipping/packages", id=_positive("order_id", order_id)),
        params=_query({"with": "items" if with_items else None}),
        parse=parse_model(tuple[ShippingPackage, ...]),
        retry=Retry.ALWAYS,
    )


def shipping_profiles() -> Operation[tuple[ShippingProfile, ...]]:
    """``GET /rest/orders/shipping/presets`` with parcel service and profile names."""
    return Operation(
        name="shipping_profiles",
        method="GET",
        path="/rest/orders/shipping/presets",
        params=_query({"with": _with(("parcelServiceNames", "parcelServicePresetNames"))}),
        parse=parse_model(tuple[ShippingProfile, ...]),
        retry=Retry.ALWAYS,
    )


# --- comments --------------------------------------------------------------------


def create_comment(comment: NewComment) -> Operation[Comment]:
    """``POST /rest/comments``; ``text`` is HTML (use :meth:`NewComment.plain` for text)."""
    return Operation(
        name="create_comment",
        method="POST",
        path="/rest/comments",
        json=comment,
        parse=parse_model(Comment),
        retry=Retry.CONNECT_ERRORS_ONLY,
    )


def order_comments(order_id: int) -> Operation[tuple[Comment, ...]]:
    """``GET /rest/comments/order/{orderId}``: the comments of an order."""
    return Operation(
        name="order_comments",
        method="GET",
        path=path("/rest/comments/order/{id}", id=_positive("order_id", order_id)),
        parse=parse_model(tuple[Comment, ...]),
        retry=Retry.ALWAYS,
    )


# --- reference data ----------------------------------------------------------------


def shipping_countries() -> Operation[tuple[Country, ...]]:
    """``GET /rest/orders/shipping/countries``: every country with its ISO codes."""
    return Operation(
        name="shipping_countries",
        method="GET",
        path="/rest/orders/shipping/countries",
        parse=parse_model(tuple[Country, ...]),
        retry=Retry.ALWAYS,
    )


def list_vat_configurations(
    *, page: int = 1, items_per_page: int = MAX_ITEMS_PER_PAGE
) -> Operation[Page[VatConfiguration]]:
    """``GET /rest/vat``: VAT configurations with their rates, paged."""
    return Operation(
        name="list_vat_configurations",
        method="GET",
        path="/rest/vat",
        params=_query(_page_params(page, items_per_page)),
        parse=parse_model(Page[VatConfiguration]),
        retry=Retry.ALWAYS,
    )


def standard_vat_configuration(plenty_id: int) -> Operation[VatConfiguration]:
    """``GET /rest/vat/standard?plentyId=``: the configuration of a client's standard location."""
    return Operation(
        name="standard_vat_configuration",
        method="GET",
        path="/rest/vat/standard",
        params=_query({"plentyId": _positive("plenty_id", plenty_id)}),
        parse=parse_model(VatConfiguration),
        retry=Retry.ALWAYS,
    )


def list_currencies() -> Operation[tuple[Currency, ...]]:
    """``GET /rest/orders/currencies``: the system's currencies and exchange rates."""
    return Operation(
        name="list_currencies",
        method="GET",
        path="/rest/orders/currencies",
        parse=parse_model(tuple[Currency, ...]),
        retry=Retry.ALWAYS,
    )


def _exchange_rate(response: httpx.Response, converter: cattrs.Converter) -> Decimal:
    data = parse_json(response)
    rate = data.get("exchangeRate") if isinstance(data, dict) else None
    try:
        return converter.structure(rate, Decimal)
    except Exception:
        raise BodyMismatch("the answer has no numeric exchangeRate", "exchangeRate") from None


def exchange_rate(currency: str) -> Operation[Decimal]:
    """``GET /rest/orders/currencies/{currencyIso}/exchangeRate``.

    The ISO code is a string; the spec's integer typing is wrong (see
    ``tests/spec_deviations.py``).
    """
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"currency must be an ISO 4217 code, got {currency!r}")
    return Operation(
        name="exchange_rate",
        method="GET",
        path=path("/rest/orders/currencies/{iso}/exchangeRate", iso=currency.upper()),
        parse=_exchange_rate,
        retry=Retry.ALWAYS,
    )


# --- documents -------------------------------------------------------------------


def _document_type(value: str) -> str:
    if value not in DOCUMENT_TYPES:
        raise InvalidRequestError(
            f"must be one of {', '.join(sorted(DOCUMENT_TYPES))}", field="type", value=value
        )
    return value


def _entries(response: httpx.Response, converter: cattrs.Converter) -> tuple[Document, ...]:
    return parse_model(Page[Document])(response, converter).entries


def order_documents(
    order_id: int, document_type: str, *, with_content: bool = False
) -> Operation[tuple[Document, ...]]:
    """``GET /rest/orders/{orderId}/documents/{type}``: an order's documents of a type
    (``invoice``, ``correction`` ...), with their references (the orders they belong to)."""
    return Operation(
        name="order_documents",
        method="GET",
        path=path(
            "/rest/orders/{id}/documents/{type}",
            id=_positive("order_id", order_id),
            type=_document_type(document_type),
        ),
        params=_query({"with": "references", "withContent": True if with_content else None}),
        parse=_entries,
        retry=Retry.ALWAYS,
    )


def list_documents(
    document_type: str,
    *,
    updated_at_from: datetime | None = None,
    updated_at_to: datetime | None = None,
    page: int = 1,
    items_per_page: int = MAX_ITEMS_PER_PAGE,
) -> Operation[Page[Document]]:
    """``GET /rest/orders/documents/{type}``: documents of a type of every order, with their
    references, e.g. those changed since a cursor: one call per page, not one per order."""
    params: dict[str, Any] = {
        "updatedAtFrom": updated_at_from,
        "updatedAtTo": updated_at_to,
        "with": "references",
        **_page_params(page, items_per_page),
    }
    return Operation(
        name="list_documents",
        method="GET",
        path=path("/rest/orders/documents/{type}", type=_document_type(document_type)),
        params=_query(params),
        parse=parse_model(Page[Document]),
        retry=Retry.ALWAYS,
    )


def _file(response: httpx.Response, converter: cattrs.Converter) -> bytes:
    if not response.content:
        raise BodyMismatch("the document has no content")
    return response.content


def download_document(document_id: int) -> Operation[bytes]:
    """``GET /rest/documents/{documentId}``: a document's file (a PDF), byte for byte."""
    return Operation(
        name="download_document",
        method="GET",
        path=path("/rest/documents/{id}", id=_positive("document_id", document_id)),
        parse=_file,
        retry=Retry.ALWAYS,
        headers={"Accept": "application/pdf, */*"},
    )


def generate_invoice(order_id: int, *, document_date: datetime | None = None) -> Operation[None]:
    """``POST /rest/orders/{orderId}/documents/invoice/generate``: have plentymarkets make the
    order's invoice. Never retried (each call may number a new invoice); after an ambiguous
    failure, :func:`order_documents` shows whether it was made."""
    return Operation(
        name="generate_invoice",
        method="POST",
        path=path(
            "/rest/orders/{id}/documents/invoice/generate", id=_positive("order_id", order_id)
        ),
        params=_query({"documentDate": document_date}),
        parse=no_content,
        retry=Retry.NEVER,
    )
