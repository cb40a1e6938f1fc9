"""plentymarkets order documents (invoices, corrections): listed, downloaded, generated.

Part of :mod:`allegro_plenty.plenty.endpoints`, which exports every name here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import cattrs
import httpx

from .._http.operation import BodyMismatch, Operation, Retry, no_content, parse_model, path
from ..errors import InvalidRequestError
from ._endpoint_params import MAX_ITEMS_PER_PAGE, page_params, positive_id, query_params
from .models import Document, Page
from .models.documents import DOCUMENT_TYPES


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
            id=positive_id("order_id", order_id),
            type=_document_type(document_type),
        ),
        params=query_params({"with": "references", "withContent": True if with_content else None}),
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
        **page_params(page, items_per_page),
    }
    return Operation(
        name="list_documents",
        method="GET",
        path=path("/rest/orders/documents/{type}", type=_document_type(document_type)),
        params=query_params(params),
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
        path=path("/rest/documents/{id}", id=positive_id("document_id", document_id)),
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
            "/rest/orders/{id}/documents/invoice/generate", id=positive_id("order_id", order_id)
        ),
        params=query_params({"documentDate": document_date}),
        parse=no_content,
        retry=Retry.NEVER,
    )
