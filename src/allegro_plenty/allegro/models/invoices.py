"""Invoices of a checkout form (``/order/checkout-forms/{id}/invoices``).

Adding an invoice takes two calls: metadata (a file name and the invoice
number) answered with the invoice's id, then the PDF to that id. Allegro scans
every file for malware; ``file.security_verification.status`` says how that
went (``WAITING`` while it runs).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ..._convert import OpenEnum
from ...errors import InvalidRequestError

__all__ = [
    "InvoiceFile",
    "InvoiceFileVerification",
    "InvoiceLink",
    "InvoiceScan",
    "InvoiceScanStatus",
    "InvoiceVerificationDetail",
    "NewInvoice",
    "NewInvoiceFile",
    "NewInvoiceId",
    "OrderInvoice",
    "OrderInvoices",
]


class InvoiceScanStatus(OpenEnum):
    """The result of Allegro's malware scan of an invoice file."""

    WAITING = "WAITING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


@attrs.define
class InvoiceScan:
    """The malware scan of a file (``securityVerification``)."""

    status: InvoiceScanStatus | None = None
    verified_at: datetime | None = None


@attrs.define
class InvoiceVerificationDetail:
    """A warning or error of the additional verification (Ukraine exports)."""

    type: str | None = None
    code: str | None = None
    message: str | None = None


@attrs.define
class InvoiceFileVerification:
    """The additional verification: always ``NOT_APPLICABLE`` for ``REGULAR`` orders."""

    status: str | None = None
    details: tuple[InvoiceVerificationDetail, ...] | None = None


@attrs.define
class InvoiceFile:
    """The file of an invoice; ``uploaded_at`` is ``None`` until the PDF is uploaded."""

    name: str | None = None
    uploaded_at: datetime | None = None
    security_verification: InvoiceScan | None = None
    verification: InvoiceFileVerification | None = None

    @property
    def scan_status(self) -> InvoiceScanStatus | None:
        """The scan's status, if Allegro reports one."""
        scan = self.security_verification
        return scan.status if scan is not None else None


@attrs.define
class OrderInvoice:
    """An invoice of an order, as ``GET …/invoices`` lists it."""

    id: str
    invoice_number: str | None = None
    created_at: datetime | None = None
    file: InvoiceFile | None = None

    @property
    def uploaded(self) -> bool:
        """Whether its PDF has been uploaded."""
        return self.file is not None and self.file.uploaded_at is not None


@attrs.define
class InvoiceLink:
    """A link to a proof of purchase kept outside Allegro."""

    id: str | None = None
    url: str | None = None
    created_at: datetime | None = None


@attrs.define
class OrderInvoices:
    """The invoices of an order (``GET /order/checkout-forms/{id}/invoices``).

    Attributes:
        invoices: The invoices added (by this library or anyone else).
        has_external_invoices: Whether an invoice or proof of purchase was
            sent outside Allegro.
        order_mode: ``REGULAR``, or ``UKRAINE_EXPORT``.
        links: Links to proofs of purchase.
    """

    invoices: tuple[OrderInvoice, ...] = ()
    has_external_invoices: bool | None = None
    order_mode: str | None = None
    links: tuple[InvoiceLink, ...] | None = None

    def by_id(self, invoice_id: str) -> OrderInvoice | None:
        """The invoice with ``invoice_id``, if listed."""
        return next((i for i in self.invoices if i.id == invoice_id), None)

    def numbered(self, number: str) -> list[OrderInvoice]:
        """The invoices whose number is ``number`` (compared without surrounding spaces)."""
        wanted = number.strip()
        return [i for i in self.invoices if (i.invoice_number or "").strip() == wanted]


def _file_name(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError("must be a non-empty file name", field="file.name", value=value)


@attrs.define
class NewInvoiceFile:
    """The file an invoice will have (its name, shown to the buyer)."""

    name: str = attrs.field(validator=_file_name)


@attrs.define
class NewInvoice:
    """Invoice metadata to add (``POST /order/checkout-forms/{id}/invoices``)."""

    file: NewInvoiceFile
    invoice_number: str | None = None


@attrs.define
class NewInvoiceId:
    """Allegro's answer to new metadata: the invoice's id."""

    id: str
