"""Every Allegro endpoint the library uses, defined once as an :class:`Operation` factory.

Both :class:`~allegro_plenty.AllegroClient` and
:class:`~allegro_plenty.AsyncAllegroClient` call these; only their I/O differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .._convert import format_allegro_datetime
from .._http.operation import Operation, QueryValue, Retry, no_content, parse_model, path, query
from ..errors import StaleRevisionError
from .auth import ORDERS_READ, ORDERS_WRITE
from .models import (
    CheckoutForm,
    CheckoutForms,
    CheckoutFormStatus,
    FulfillmentProviderId,
    FulfillmentStatus,
    LineItemsSent,
)

__all__ = [
    "ALL_LANGUAGES",
    "CHECKOUT_FORMS_PAGE_LIMIT",
    "OFFSET_LIMIT_CAP",
    "get_checkout_form",
    "list_checkout_forms",
    "set_fulfillment_status",
]

ALL_LANGUAGES = ("en-US", "pl-PL", "uk-UA", "sk-SK", "cs-CZ", "hu-HU")
EN_ONLY = ("en-US",)

CHECKOUT_FORMS_PAGE_LIMIT = 100
"""The spec's maximum ``limit`` for ``GET /order/checkout-forms``."""
OFFSET_LIMIT_CAP = 10_000
"""``offset + limit`` may not exceed this (Allegro answers 422; allegro-api #4027, #5998)."""


def language_header(preferred: str, accepted: tuple[str, ...] = ALL_LANGUAGES) -> dict[str, str]:
    """``Accept-Language``: the client's preference where the endpoint accepts it, else en-US."""
    return {"Accept-Language": preferred if preferred in accepted else accepted[0]}


def _query(items: Mapping[str, QueryValue | Iterable[QueryValue]]) -> tuple[tuple[str, str], ...]:
    return query(items, datetime_format=format_allegro_datetime)


def list_checkout_forms(
    *,
    language: str = "en-US",
    offset: int = 0,
    limit: int = CHECKOUT_FORMS_PAGE_LIMIT,
    status: CheckoutFormStatus | str | None = None,
    fulfillment_status: FulfillmentStatus | str | None = None,
    fulfillment_provider_id: FulfillmentProviderId | str | None = None,
    line_items_sent: LineItemsSent | str | None = None,
    bought_at_gte: datetime | None = None,
    bought_at_lte: datetime | None = None,
    updated_at_gte: datetime | None = None,
    updated_at_lte: datetime | None = None,
    payment_id: str | None = None,
    surcharges_id: str | None = None,
    delivery_method_id: str | None = None,
    buyer_login: str | None = None,
    marketplace_id: str | None = None,
    sort: str | None = None,
) -> Operation[CheckoutForms]:
    """``GET /order/checkout-forms`` with every filter the spec declares."""
    if not 1 <= limit <= CHECKOUT_FORMS_PAGE_LIMIT:
        raise ValueError(f"limit must be 1..{CHECKOUT_FORMS_PAGE_LIMIT}, got {limit}")
    if offset < 0 or offset + limit > OFFSET_LIMIT_CAP:
        raise ValueError(
            f"offset + limit may not exceed {OFFSET_LIMIT_CAP} (got {offset} + {limit})"
        )
    params: dict[str, Any] = {
        "offset": offset,
        "limit": limit,
        "status": status,
        "fulfillment.status": fulfillment_status,
        "fulfillment.provider.id": fulfillment_provider_id,
        "fulfillment.shipmentSummary.lineItemsSent": line_items_sent,
        "lineItems.boughtAt.lte": bought_at_lte,
        "lineItems.boughtAt.gte": bought_at_gte,
        "payment.id": payment_id,
        "surcharges.id": surcharges_id,
        "delivery.method.id": delivery_method_id,
        "buyer.login": buyer_login,
        "marketplace.id": marketplace_id,
        "updatedAt.lte": updated_at_lte,
        "updatedAt.gte": updated_at_gte,
        "sort": sort,
    }
    return Operation(
        name="list_checkout_forms",
        method="GET",
        path="/order/checkout-forms",
        params=_query(params),
        parse=parse_model(CheckoutForms),
        retry=Retry.ALWAYS,
        headers=language_header(language),
        required_scope=ORDERS_READ,
    )


def get_checkout_form(form_id: str, *, language: str = "en-US") -> Operation[CheckoutForm]:
    """``GET /order/checkout-forms/{id}``."""
    return Operation(
        name="get_checkout_form",
        method="GET",
        path=path("/order/checkout-forms/{id}", id=form_id),
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
    """
    return Operation(
        name="set_fulfillment_status",
        method="PUT",
        path=path("/order/checkout-forms/{id}/fulfillment", id=form_id),
        params=_query({"checkoutForm.revision": revision}),
        json={"status": str(FulfillmentStatus(status).value)},
        parse=no_content,
        retry=Retry.NEVER,
        headers=language_header("en-US", EN_ONLY),
        required_scope=ORDERS_WRITE,
        status_errors={409: StaleRevisionError},
    )
