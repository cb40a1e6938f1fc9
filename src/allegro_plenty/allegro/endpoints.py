"""Every Allegro endpoint the library uses, defined once as an :class:`Operation` factory.

Both :class:`~allegro_plenty.AllegroClient` and
:class:`~allegro_plenty.AsyncAllegroClient` call these; only their I/O differs.
Each factory fixes the endpoint's retry class, the OAuth scope it needs and
the ``Accept-Language`` values the spec allows for it, and refuses what
Allegro would refuse with :class:`~allegro_plenty.errors.InvalidRequestError`
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import cattrs
import httpx

from .._convert import format_allegro_datetime
from .._http.operation import (
    BodyMismatch,
    Operation,
    QueryValue,
    Retry,
    no_content,
    parse_items,
    parse_model,
    path,
    query,
)
from ..errors import (
    InvalidRequestError,
    ModelValidationError,
    RefundNotFoundError,
    StaleRevisionError,
)
from ._request_checks import aware, check_body, known, non_empty, uuid_text
from .auth import ORDERS_READ, ORDERS_WRITE, PAYMENTS_READ, PAYMENTS_WRITE, PROFILE_READ
from .models import (
    Carrier,
    Carriers,
    CheckoutForm,
    CheckoutFormFilter,
    CheckoutForms,
    Fulfillment,
    FulfillmentStatus,
    MarketplaceDetails,
    Marketplaces,
    Me,
    NewInvoice,
    NewInvoiceId,
    NewRefund,
    NewShipment,
    OrderEvent,
    OrderEvents,
    OrderEventStats,
    OrderEventType,
    OrderInvoices,
    Refund,
    RefundLineItemType,
    Refunds,
    RefundStatus,
    Shipment,
    Shipments,
    UnreadableCheckoutForm,
    UnreadableOrderEvent,
)

__all__ = [
    "ALL_LANGUAGES",
    "CHECKOUT_FORMS_PAGE_LIMIT",
    "EN_ONLY",
    "EVENTS_PAGE_LIMIT",
    "INVOICE_FILE_LIMIT",
    "NO_FILTER",
    "OFFSET_LIMIT_CAP",
    "REFUNDS_PAGE_LIMIT",
    "REFUND_STATUS_FILTER",
    "SELLER_FULFILLMENT_STATUSES",
    "add_invoice",
    "add_shipment",
    "create_refund",
    "get_checkout_form",
    "get_me",
    "get_order_event_stats",
    "get_refund",
    "list_carriers",
    "list_checkout_forms",
    "list_invoices",
    "list_marketplaces",
    "list_order_events",
    "list_refunds",
    "list_shipments",
    "set_fulfillment_status",
    "upload_invoice_file",
]

T = TypeVar("T")
R = TypeVar("R")

ALL_LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")
"""The ``Accept-Language`` values most endpoints accept."""
EN_ONLY = ("en-US",)
"""The fulfillment PUT and ``/marketplaces`` accept only ``en-US``."""

CHECKOUT_FORMS_PAGE_LIMIT = 100
"""The spec's maximum ``limit`` for ``GET /order/checkout-forms``."""
OFFSET_LIMIT_CAP = 10_000
"""``offset + limit`` may not exceed this (Allegro answers 422; allegro-api #4027, #5998)."""
EVENTS_PAGE_LIMIT = 1000
"""The spec's maximum ``limit`` for ``GET /order/events``."""
REFUNDS_PAGE_LIMIT = 100
"""The spec's maximum ``limit`` for ``GET /payments/refunds``."""
INVOICE_FILE_LIMIT = 3 * 1024 * 1024
"""The largest invoice file Allegro takes (the spec's 413: "Max file size is 3MB")."""
PDF_MEDIA_TYPE = "application/pdf"
NO_FILTER = CheckoutFormFilter()
"""The empty checkout-form filter."""
SELLER_FULFILLMENT_STATUSES = tuple(
    s for s in FulfillmentStatus if s is not FulfillmentStatus.RETURNED
)
"""The statuses a seller may set: all but ``RETURNED``, which Allegro sets and refuses with 422."""
REFUND_STATUS_FILTER = (
    RefundStatus.WAITING,
    RefundStatus.IN_PROGRESS,
    RefundStatus.SUCCESS,
    RefundStatus.CANCELED,
    RefundStatus.PARTIAL,
)
"""The statuses the spec's ``status`` filter of ``GET /payments/refunds`` allows."""


def language_header(preferred: str, accepted: tuple[str, ...] = ALL_LANGUAGES) -> dict[str, str]:
    """``Accept-Language``: the client's preference where the endpoint accepts it, else en-US."""
    return {"Accept-Language": preferred if preferred in accepted else accepted[0]}


def _query(items: Mapping[str, QueryValue | Iterable[QueryValue]]) -> tuple[tuple[str, str], ...]:
    return query(items, datetime_format=format_allegro_datetime)


def _limit(limit: int, maximum: int) -> int:
    if type(limit) is not int or not 1 <= limit <= maximum:
        raise InvalidRequestError(f"must be 1..{maximum}", field="limit", value=limit)
    return limit


def _offset(offset: int) -> int:
    if type(offset) is not int or offset < 0:
        raise InvalidRequestError("must not be negative", field="offset", value=offset)
    return offset


def _member(
    cls: type[T], attribute: Callable[[T], R]
) -> Callable[[httpx.Response, cattrs.Converter], R]:
    """A parser returning one member of the structured body (``shipments`` of Shipments)."""
    parse = parse_model(cls)

    def parse_member(response: httpx.Response, converter: cattrs.Converter) -> R:
        return attribute(parse(response, converter))

    return parse_member


# --- checkout forms --------------------------------------------------------------------


def list_checkout_forms(
    filter: CheckoutFormFilter = NO_FILTER,
    *,
    offset: int = 0,
    limit: int = CHECKOUT_FORMS_PAGE_LIMIT,
    language: str = "en-US",
    per_item: bool = False,
) -> Operation[CheckoutForms]:
    """``GET /order/checkout-forms``: one page of checkout forms matching ``filter``.

    With ``per_item``, each form is read on its own: one that does not fit the
    model is set aside in ``CheckoutForms.unreadable`` instead of failing the page.
    """
    _limit(limit, CHECKOUT_FORMS_PAGE_LIMIT)
    if _offset(offset) + limit > OFFSET_LIMIT_CAP:
        raise InvalidRequestError(
            f"offset + limit may not exceed {OFFSET_LIMIT_CAP} (limit {limit})",
            field="offset",
            value=offset,
        )
    if not isinstance(filter, CheckoutFormFilter):
        raise InvalidRequestError("must be a CheckoutFormFilter", field="filter", value=filter)
    return Operation(
        name="list_checkout_forms",
        method="GET",
        path="/order/checkout-forms",
        params=_query({"offset": offset, "limit": limit, **filter.params()}),
        parse=(
            parse_items(CheckoutForms, "checkoutForms", "checkout_forms", CheckoutForm, _form_aside)
            if per_item
            else parse_model(CheckoutForms)
        ),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


def get_checkout_form(form_id: str, *, language: str = "en-US") -> Operation[CheckoutForm]:
    """``GET /order/checkout-forms/{id}``."""
    return Operation(
        name="get_checkout_form",
        method="GET",
        path=path("/order/checkout-forms/{id}", id=non_empty(form_id, "id")),
        parse=parse_model(CheckoutForm),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


def set_fulfillment_status(
    form_id: str, status: FulfillmentStatus | str, *, revision: str | None = None
) -> Operation[None]:
    """``PUT /order/checkout-forms/{id}/fulfillment``.

    Never retried: every call counts against Allegro's limit of 100 status
    changes per order, even when the status does not change. A stale
    ``revision`` raises :class:`~allegro_plenty.errors.StaleRevisionError`.
    The endpoint accepts only ``Accept-Language: en-US``. ``status`` is one
    of :data:`SELLER_FULFILLMENT_STATUSES`, as a member or its exact value.
    """
    settable = known(FulfillmentStatus, status, "status", SELLER_FULFILLMENT_STATUSES)
    return Operation(
        name="set_fulfillment_status",
        method="PUT",
        path=path("/order/checkout-forms/{id}/fulfillment", id=non_empty(form_id, "id")),
        params=_query({"checkoutForm.revision": revision}),
        json=Fulfillment(status=settable),
        parse=no_content,
        retry=Retry.NEVER,
        headers=language_header("en-US", EN_ONLY),
        required_scope=ORDERS_WRITE,
        status_errors={409: StaleRevisionError},
    )


# --- order events -----------------------------------------------------------------------


def list_order_events(
    *,
    from_: str | None = None,
    types: Iterable[OrderEventType | str] = (),
    limit: int = EVENTS_PAGE_LIMIT,
    language: str = "en-US",
    per_item: bool = False,
) -> Operation[OrderEvents]:
    """``GET /order/events``: events after ``from_`` (exclusive), oldest first.

    With ``per_item``, each event is read on its own: one that does not fit the
    model is set aside in ``OrderEvents.unreadable`` instead of failing the page.
    """
    _limit(limit, EVENTS_PAGE_LIMIT)
    chosen = [known(OrderEventType, t, "type") for t in types]
    return Operation(
        name="list_order_events",
        method="GET",
        path="/order/events",
        params=_query({"from": from_, "type": chosen, "limit": limit}),
        parse=(
            parse_items(OrderEvents, "events", "events", OrderEvent, _event_aside)
            if per_item
            else parse_model(OrderEvents)
        ),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


def _text_at(data: Any, *keys: str) -> str | None:
    """The non-empty string at ``data[keys[0]][keys[1]]...``, if it is one."""
    for name in keys:
        data = data.get(name) if isinstance(data, dict) else None
    return data if isinstance(data, str) and data else None


def _form_aside(
    index: int, raw: Any, error: ModelValidationError, converter: cattrs.Converter
) -> UnreadableCheckoutForm:
    updated = _text_at(raw, "updatedAt")
    try:
        updated_at = None if updated is None else converter.structure(updated, datetime)
    except Exception:  # as unreadable as the rest: the walk takes it for its watermark's
        updated_at = None
    return UnreadableCheckoutForm(index, _text_at(raw, "id"), updated_at, error)


def _event_aside(
    index: int, raw: Any, error: ModelValidationError, _: cattrs.Converter
) -> UnreadableOrderEvent:
    return UnreadableOrderEvent(
        index,
        _text_at(raw, "id"),
        _text_at(raw, "order", "checkoutForm", "id"),
        _text_at(raw, "order", "seller", "id"),
        _text_at(raw, "type"),
        error,
    )


def get_order_event_stats(*, language: str = "en-US") -> Operation[OrderEventStats]:
    """``GET /order/event-stats``: the latest event, a starting cursor."""
    return Operation(
        name="get_order_event_stats",
        method="GET",
        path="/order/event-stats",
        parse=parse_model(OrderEventStats),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


# --- shipments and carriers -------------------------------------------------------------


def list_shipments(form_id: str, *, language: str = "en-US") -> Operation[tuple[Shipment, ...]]:
    """``GET /order/checkout-forms/{id}/shipments``."""
    return Operation(
        name="list_shipments",
        method="GET",
        path=path("/order/checkout-forms/{id}/shipments", id=non_empty(form_id, "id")),
        parse=_member(Shipments, lambda page: page.shipments),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


def add_shipment(
    form_id: str, shipment: NewShipment, *, language: str = "en-US"
) -> Operation[Shipment]:
    """``POST /order/checkout-forms/{id}/shipments``.

    Retried only when the request provably never reached Allegro: the same
    waybill sent twice is not refused but counts against the order's parcel
    limit. After an ambiguous failure, :func:`list_shipments` and look for it.
    """
    check_body(shipment, NewShipment)
    return Operation(
        name="add_shipment",
        method="POST",
        path=path("/order/checkout-forms/{id}/shipments", id=non_empty(form_id, "id")),
        json=shipment,
        parse=parse_model(Shipment),
        retry=Retry.CONNECT_ERRORS_ONLY,
        headers=language_header(language),
        required_scope=ORDERS_WRITE,
    )


def list_carriers(*, language: str = "en-US") -> Operation[tuple[Carrier, ...]]:
    """``GET /order/carriers``: the carrier ids ``add_shipment`` accepts."""
    return Operation(
        name="list_carriers",
        method="GET",
        path="/order/carriers",
        parse=_member(Carriers, lambda page: page.carriers),
        retry=Retry.ALWAYS,
        headers=language_header(language),
    )


# --- invoices -----------------------------------------------------------------------------


def list_invoices(form_id: str) -> Operation[OrderInvoices]:
    """``GET /order/checkout-forms/{id}/invoices``: the order's invoices with their files'
    scan status, and ``hasExternalInvoices``. Accepts only ``Accept-Language: en-US``."""
    return Operation(
        name="list_invoices",
        method="GET",
        path=path("/order/checkout-forms/{id}/invoices", id=non_empty(form_id, "id")),
        parse=parse_model(OrderInvoices),
        retry=Retry.ALWAYS,
        headers=language_header("en-US", EN_ONLY),
        required_scope=ORDERS_READ,
    )


def add_invoice(form_id: str, invoice: NewInvoice) -> Operation[str]:
    """``POST /order/checkout-forms/{id}/invoices``: add invoice metadata; returns its id.

    Retried only when the request provably never reached Allegro (a connect
    error) or Allegro refused it unprocessed (429: "adding metadata too fast").
    There is no idempotency key: metadata sent twice is two invoices. After an
    ambiguous failure, :func:`list_invoices` and look for the invoice number.
    Allegro answers 409 when the order already has a seller invoice, and 422
    when the order takes no invoice, its payment was rejected, or an earlier
    file is still being scanned.
    """
    check_body(invoice, NewInvoice)
    return Operation(
        name="add_invoice",
        method="POST",
        path=path("/order/checkout-forms/{id}/invoices", id=non_empty(form_id, "id")),
        json=invoice,
        parse=_member(NewInvoiceId, lambda created: created.id),
        retry=Retry.CONNECT_ERRORS_ONLY,
        headers=language_header("en-US", EN_ONLY),
        required_scope=ORDERS_WRITE,
    )


def upload_invoice_file(form_id: str, invoice_id: str, pdf: bytes) -> Operation[None]:
    """``PUT /order/checkout-forms/{id}/invoices/{invoiceId}/file``: the PDF of an invoice.

    ``pdf`` must be a PDF (it starts with ``%PDF-``) of at most 3 MB; anything
    else is refused here, unsent. Retried like :func:`add_invoice`: a second
    upload to the same invoice answers 409 ("already has invoice file
    uploaded"), so after an ambiguous failure :func:`list_invoices` shows
    whether the file arrived.
    """
    if not isinstance(pdf, bytes | bytearray) or not pdf.startswith(b"%PDF-"):
        raise InvalidRequestError("must be the bytes of a PDF file", field="file", value="<bytes>")
    if len(pdf) > INVOICE_FILE_LIMIT:
        raise InvalidRequestError(
            f"is {len(pdf)} bytes; Allegro takes at most {INVOICE_FILE_LIMIT}",
            field="file",
            value="<bytes>",
        )
    return Operation(
        name="upload_invoice_file",
        method="PUT",
        path=path(
            "/order/checkout-forms/{id}/invoices/{invoice}/file",
            id=non_empty(form_id, "id"),
            invoice=non_empty(invoice_id, "invoiceId"),
        ),
        content=bytes(pdf),
        parse=no_content,
        retry=Retry.CONNECT_ERRORS_ONLY,
        headers={"Content-Type": PDF_MEDIA_TYPE, **language_header("en-US", EN_ONLY)},
        required_scope=ORDERS_WRITE,
    )


# --- refunds ------------------------------------------------------------------------------


def create_refund(refund: NewRefund, *, language: str = "en-US") -> Operation[Refund]:
    """``POST /payments/refunds``.

    Retried like a read (``Retry.ALWAYS``), and that is safe only because of
    ``command_id``: Allegro documents it as the key that makes refund creation
    idempotent (spec ``InitializeRefund.commandId``; allegro-api #11668), and a
    retry re-sends the very same body, so the same command id. A refund without
    it could not be retried at all; :class:`~.models.NewRefund` requires one.
    """
    check_body(refund, NewRefund)
    for index, line in enumerate(refund.line_items or ()):
        # The spec: QUANTITY lines carry a quantity, AMOUNT lines a value.
        if line.type is RefundLineItemType.QUANTITY and (line.quantity or 0) < 1:
            raise InvalidRequestError(
                "a QUANTITY line needs a quantity of at least 1",
                field=f"lineItems[{index}].quantity",
                value=line.quantity,
            )
        if line.type is RefundLineItemType.AMOUNT and line.value is None:
            raise InvalidRequestError(
                "an AMOUNT line needs a value", field=f"lineItems[{index}].value", value=None
            )
    return Operation(
        name="create_refund",
        method="POST",
        path="/payments/refunds",
        json=refund,
        parse=parse_model(Refund),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=PAYMENTS_WRITE,
    )


def list_refunds(
    *,
    refund_id: str | None = None,
    order_id: str | None = None,
    payment_id: str | None = None,
    status: Iterable[RefundStatus | str] = (),
    occurred_at_gte: datetime | None = None,
    occurred_at_lte: datetime | None = None,
    offset: int = 0,
    limit: int = REFUNDS_PAGE_LIMIT,
    language: str = "en-US",
) -> Operation[Refunds]:
    """``GET /payments/refunds``: refunds the seller initiated (not customer returns).

    The ids are UUIDs; ``status`` takes only :data:`REFUND_STATUS_FILTER`.
    """
    params: dict[str, Any] = {
        "id": _optional_uuid(refund_id, "id"),
        "order.id": _optional_uuid(order_id, "order.id"),
        "payment.id": _optional_uuid(payment_id, "payment.id"),
        "status": [known(RefundStatus, s, "status", REFUND_STATUS_FILTER) for s in status],
        "occurredAt.gte": aware(occurred_at_gte, "occurredAt.gte"),
        "occurredAt.lte": aware(occurred_at_lte, "occurredAt.lte"),
        "offset": _offset(offset),
        "limit": _limit(limit, REFUNDS_PAGE_LIMIT),
    }
    return Operation(
        name="list_refunds",
        method="GET",
        path="/payments/refunds",
        params=_query(params),
        parse=parse_model(Refunds),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=PAYMENTS_READ,
    )


def get_refund(refund_id: str, *, language: str = "en-US") -> Operation[Refund]:
    """One refund by id: ``GET /payments/refunds?id=…`` (the API has no refund path).

    Raises :class:`~allegro_plenty.errors.RefundNotFoundError` when Allegro
    lists none. An answer listing other refunds (a server ignoring the filter)
    is a :class:`~allegro_plenty.errors.ResponseValidationError`: never the
    wrong refund.
    """
    wanted = uuid_text(refund_id, "id")
    page = parse_model(Refunds)

    def parse_one(response: httpx.Response, converter: cattrs.Converter) -> Refund:
        refunds = page(response, converter).refunds
        others = [r.id for r in refunds if r.id.lower() != wanted]
        if others:
            raise BodyMismatch(f"asked for refund {wanted}, got refunds {others[:3]}", "refunds")
        if not refunds:
            raise RefundNotFoundError(refund_id)
        return refunds[0]

    return Operation(
        name="get_refund",
        method="GET",
        path="/payments/refunds",
        params=_query({"id": wanted}),
        parse=parse_one,
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=PAYMENTS_READ,
    )


def _optional_uuid(value: str | None, field: str) -> str | None:
    return None if value is None else uuid_text(value, field)


# --- marketplaces and the account ----------------------------------------------------------


def list_marketplaces() -> Operation[tuple[MarketplaceDetails, ...]]:
    """``GET /marketplaces`` (accepts only ``Accept-Language: en-US``)."""
    return Operation(
        name="list_marketplaces",
        method="GET",
        path="/marketplaces",
        parse=_member(Marketplaces, lambda page: page.marketplaces),
        retry=Retry.ALWAYS,
        headers=language_header("en-US", EN_ONLY),
    )


def get_me(*, language: str = "en-US") -> Operation[Me]:
    """``GET /me``: the seller account behind the token."""
    return Operation(
        name="get_me",
        method="GET",
        path="/me",
        parse=parse_model(Me),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=PROFILE_READ,
    )
