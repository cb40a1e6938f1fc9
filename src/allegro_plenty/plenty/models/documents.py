"""Order documents: invoices, correction documents and the rest plentymarkets generates."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["DOCUMENT_TYPES", "Document", "DocumentReference", "DocumentType"]


class DocumentType:
    """The document types the order document routes take in their path (the spec's list).

    These are the *path* names; a document's own ``type`` field spells them in
    snake case (``correction`` lists documents of type ``correction_document``).
    """

    INVOICE = "invoice"
    CORRECTION = "correction"
    CREDIT_NOTE = "creditNote"
    INVOICE_EXTERNAL = "invoiceExternal"
    REVERSAL = "reversal"


DOCUMENT_TYPES = frozenset(
    {
        "receipt", "zReport", "tillCount", "posCouponReceipt", "posInvoice",
        "posInvoiceCancellation", "cancellation", "invoiceExternal", "invoice", "deliveryNote",
        "poDeliveryNote", "creditNote", "creditNoteExternal", "orderConfirmation", "offer",
        "dunningLetter", "reversalDunningLetter", "returnNote", "successConfirmation",
        "correction", "reversal", "reversalRefund", "proFormaInvoice", "reorder", "uploaded",
    }
)  # fmt: skip
"""Every type ``GET /rest/orders/documents/{type}`` takes (spec)."""


@attrs.define
class DocumentReference:
    """What a document belongs to (loaded with ``with[]=references``): an order, by id."""

    reference_type: str | None = None
    value: int | None = None
    document_id: int | None = None
    id: int | None = None


@attrs.define
class Document:
    """An order document (``Document`` of the spec).

    Attributes:
        id: The document's id (what ``GET /rest/documents/{documentId}`` downloads).
        type: ``invoice``, ``correction_document`` ...
        number: The document number.
        number_with_prefix: The number as printed (``RE-2026-0042``).
        display_date: The date printed on the document.
        status: ``pending``, ``faulty`` or ``done`` (only a ``done`` one has a file).
        references: The orders it belongs to, when loaded.
        content: The file, base64, when asked for with ``withContent``.
    """

    id: int
    type: str | None = None
    number: int | None = None
    number_with_prefix: str | None = None
    path: str | None = None
    user_id: int | None = None
    source: str | None = None
    display_date: datetime | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    references: tuple[DocumentReference, ...] | None = None
    content: str | None = attrs.field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The number as printed: ``number_with_prefix``, else ``number``, else the id."""
        if self.number_with_prefix:
            return self.number_with_prefix.strip()
        return str(self.number if self.number is not None else self.id)

    def order_ids(self) -> list[int]:
        """The orders the document belongs to (from its references)."""
        return [
            r.value
            for r in self.references or ()
            if r.value is not None and (r.reference_type or "order") == "order"
        ]
