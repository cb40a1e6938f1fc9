"""Order documents: invoices and correction documents with their PDF files.

``GET /rest/orders/{orderId}/documents/{type}`` lists an order's documents of a
type, ``GET /rest/orders/documents/{type}`` those of every order (paged, with
the ``updatedAt`` filters), ``GET /rest/documents/{documentId}`` answers the
file itself, and ``POST /rest/orders/{orderId}/documents/invoice/generate``
makes the next invoice. The path names the type in camel case
(``correction``); the document's ``type`` field spells it in snake case
(``correction_document``), as plentymarkets does (spec ``Document``).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import attrs
from dateutil.parser import isoparse

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._model import integer_value, iso
from ._state import Resource, ok, page

__all__ = ["PREFIXES", "Documents", "StoredDocument", "fake_pdf"]

SNAKE = {
    "invoice": "invoice",
    "correction": "correction_document",
    "creditNote": "credit_note",
    "invoiceExternal": "invoice_external",
    "reversal": "reversal_document",
}
"""Path type → the document's ``type`` field (the types the fake keeps)."""
PREFIXES = {"invoice": "RE", "correction": "KO", "creditNote": "GS", "reversal": "ST"}
_DATE_FILTERS = ("createdAt", "updatedAt", "displayDate")


def fake_pdf(title: str) -> bytes:
    """A small, well-formed PDF naming ``title`` (what plentymarkets' generator would make)."""
    text = f"BT /F1 12 Tf 72 720 Td ({title}) Tj ET".encode("latin-1", "replace")
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
        b"3 0 obj <</Type /Page /Parent 2 0 R /Contents 4 0 R>> endobj\n"
        b"4 0 obj <</Length " + str(len(text)).encode() + b">> stream\n" + text + b"\nendstream"
        b" endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )


@attrs.define
class StoredDocument:
    """A document of an order and its file."""

    id: int
    path_type: str
    order_id: int
    number: int
    prefix: str
    content: bytes
    display_date: datetime
    created_at: datetime
    updated_at: datetime
    reference_id: int
    status: str = "done"

    def json(self, *, references: bool, content: bool) -> dict[str, Any]:
        """The document as the list routes render it."""
        out: dict[str, Any] = {
            "id": self.id,
            "type": SNAKE[self.path_type],
            "number": self.number,
            "numberWithPrefix": f"{self.prefix}{self.number}",
            "path": f"{self.order_id}/{SNAKE[self.path_type]}_{self.number}.pdf",
            "userId": 1,
            "source": "rest",
            "displayDate": iso(self.display_date),
            "status": self.status,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if references:
            out["references"] = [
                {
                    "id": self.reference_id,
                    "documentId": self.id,
                    "referenceType": "order",
                    "value": self.order_id,
                }
            ]
        if content:
            out["content"] = base64.b64encode(self.content).decode()
        return out


def _path_type(exchange: Exchange) -> str:
    wanted = exchange.path_params["type"]
    if wanted not in SNAKE:
        raise Refusal(400, "400", f"the fake keeps no documents of type {wanted!r}", path="type")
    return wanted


def _within(exchange: Exchange, document: StoredDocument) -> bool:
    for name in _DATE_FILTERS:
        value = {
            "createdAt": document.created_at,
            "updatedAt": document.updated_at,
            "displayDate": document.display_date,
        }[name]
        low, high = exchange.param(f"{name}From"), exchange.param(f"{name}To")
        try:
            if low is not None and value < isoparse(low):
                return False
            if high is not None and value > isoparse(high):
                return False
        except ValueError:
            raise Refusal(400, "400", f"{name} filters take W3C dates", path=name) from None
    return True


def _relations(exchange: Exchange) -> bool:
    wanted = {
        part.strip()
        for key, value in exchange.request.query
        if key in ("with", "with[]")
        for part in value.split(",")
        if part.strip()
    }
    if wanted - {"references"}:
        raise Refusal(400, "400", f"unknown relation(s) {sorted(wanted)}", path="with")
    return "references" in wanted


_FILTERS = tuple(f"{n}{end}" for n in _DATE_FILTERS for end in ("From", "To"))


class Documents(Resource):
    """Order documents and their files."""

    def add(
        self,
        order_id: int,
        path_type: str,
        *,
        content: bytes | None,
        number: int | None,
        display_date: datetime | None,
    ) -> StoredDocument:
        """See :meth:`FakePlenty.add_document`."""
        self.state.order_or_404(order_id)
        if path_type not in SNAKE:
            raise ValueError(f"the fake keeps documents of types {sorted(SNAKE)}")
        numbers = [d.number for d in self.state.documents.values() if d.path_type == path_type]
        number = number if number is not None else max(numbers, default=0) + 1
        prefix = PREFIXES.get(path_type, "")
        now = self.state.clock.now()
        document = StoredDocument(
            id=self.state.next_id("document"),
            path_type=path_type,
            order_id=order_id,
            number=number,
            prefix=prefix,
            content=content if content is not None else fake_pdf(f"{prefix}{number}"),
            display_date=display_date or now,
            created_at=now,
            updated_at=now,
            reference_id=self.state.next_id("document_reference"),
        )
        self.state.documents[document.id] = document
        return document

    @route(
        "GET",
        "/rest/orders/{orderId}/documents/{type}",
        query=(*_FILTERS, "with", "with[]", "withContent"),
    )
    def order_documents(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        path_type = _path_type(exchange)
        references = _relations(exchange)
        content = (exchange.param("withContent") or "").lower() in ("1", "true")
        found = [
            d.json(references=references, content=content)
            for d in sorted(self.state.documents.values(), key=lambda d: d.id)
            if d.order_id == order.data["id"] and d.path_type == path_type and _within(exchange, d)
        ]
        return page(exchange, found)

    @route(
        "GET",
        "/rest/orders/documents/{type}",
        query=(*_FILTERS, "with", "with[]", "page", "itemsPerPage", "contactId", "plentyId"),
    )
    def documents(self, exchange: Exchange) -> FakeResponse:
        path_type = _path_type(exchange)
        references = _relations(exchange)
        found = [
            d.json(references=references, content=False)
            for d in sorted(self.state.documents.values(), key=lambda d: d.id)
            if d.path_type == path_type and _within(exchange, d)
        ]
        return page(exchange, found)

    @route("GET", "/rest/documents/{documentId}")
    def download(self, exchange: Exchange) -> FakeResponse:
        document_id = integer_value(exchange.path_params["documentId"], "documentId")
        document = self.state.documents.get(document_id)
        if document is None:
            raise Refusal(404, "404", f"Document {document_id} not found")
        return FakeResponse(200, (("Content-Type", "application/pdf"),), document.content)

    @route(
        "POST",
        "/rest/orders/{orderId}/documents/invoice/generate",
        query=("documentDate", "comment", "allowRegenerate"),
    )
    def generate_invoice(self, exchange: Exchange) -> FakeResponse:
        order = self.state.order_or_404(exchange.path_params["orderId"])
        if order.data.get("typeId") not in (1, 4, 5, 7):
            raise Refusal(422, "422", "An invoice is generated for sales orders only")
        raw = exchange.param("documentDate")
        try:
            when = isoparse(raw) if raw is not None else None
        except ValueError:
            raise Refusal(400, "400", "a W3C date", path="documentDate") from None
        document = self.add(
            order.data["id"], "invoice", content=None, number=None, display_date=when
        )
        return ok(document.json(references=True, content=False))
