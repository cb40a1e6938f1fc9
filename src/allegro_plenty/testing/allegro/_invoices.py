"""Invoices of a checkout form: metadata, then the PDF, then Allegro's malware scan.

What the fake does, and where it comes from:

* metadata is answered with an invoice id (spec ``addOrderInvoicesMetadata``);
  there is no idempotency key, so metadata sent twice is two invoices;
* 409 once the order has ``invoice_limit`` seller invoices (the spec: "Order
  with given id already has seller invoice"). Allegro's maintainers say an
  order takes several invoices (allegro-api #9919, corrections too: #12784), so
  ``invoice_limit=None`` lifts the limit;
* 422 while an earlier file of the order is still being scanned ("Security scan
  for SELLER invoice in given order [...] is in progress", allegro-api #9334,
  #8507), when the order takes no invoice, and when its payment is rejected (a
  cancelled order); 429 for metadata added while the order's previous metadata
  is younger than ``invoice_metadata_pause`` seconds and still has no file (the
  spec's 429: "Upload a file to previously added metadata or wait a few seconds");
* the file: ``application/pdf``, 422 when empty, 413 over 3 MB, 409 when the
  invoice has its file already; its scan is ``WAITING`` for
  ``invoice_scan_seconds``, then ``ACCEPTED``, or ``REJECTED`` for a file holding
  the EICAR test signature (or one :meth:`~.fake.FakeAllegro.reject_invoice_file`
  names).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._resources import route
from .._transport import Exchange, FakeResponse, Refusal
from ._data import ORDERS_READ, ORDERS_WRITE, StoredForm, iso
from ._state import Access, Resource, ok

__all__ = ["EICAR", "Invoices", "StoredInvoice"]

EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
"""Part of the anti-virus test signature: a file holding it is rejected by the scan."""
FILE_LIMIT = 3 * 1024 * 1024


@attrs.define
class StoredInvoice:
    """One invoice of a form: its metadata, its file once uploaded, the scan."""

    id: str
    number: str | None
    file_name: str
    created_at: datetime
    content: bytes | None = None
    uploaded_at: datetime | None = None
    scan: str | None = None
    verified_at: datetime | None = None
    reject: bool = False

    def json(self) -> dict[str, Any]:
        """The invoice as ``GET …/invoices`` lists it."""
        file: dict[str, Any] = {"name": self.file_name}
        if self.uploaded_at is not None:
            file["uploadedAt"] = iso(self.uploaded_at)
            scan: dict[str, Any] = {"status": self.scan}
            if self.verified_at is not None:
                scan["verifiedAt"] = iso(self.verified_at)
            file["securityVerification"] = scan
            file["verification"] = {"status": "NOT_APPLICABLE", "details": []}
        out: dict[str, Any] = {"id": self.id, "createdAt": iso(self.created_at), "file": file}
        if self.number is not None:
            out["invoiceNumber"] = self.number
        return out


class Invoices(Resource):
    """``/order/checkout-forms/{id}/invoices`` and the file of each."""

    @route("GET", "/order/checkout-forms/{id}/invoices", access=Access(ORDERS_READ))
    def list_invoices(self, exchange: Exchange) -> FakeResponse:
        stored = self.state.own_form(exchange)
        self.scan(stored)
        return ok(
            {
                "orderMode": "REGULAR",
                "invoices": [invoice.json() for invoice in stored.invoices],
                "links": [],
                "hasExternalInvoices": stored.has_external_invoices,
            }
        )

    @route(
        "POST",
        "/order/checkout-forms/{id}/invoices",
        body={"file": {"name": None}, "invoiceNumber": None},
        access=Access(ORDERS_WRITE),
    )
    def add_invoice(self, exchange: Exchange) -> FakeResponse:
        stored = self.state.own_form(exchange)
        body = exchange.json() or {}
        name = (body.get("file") or {}).get("name")
        if not isinstance(name, str) or not name.strip():
            raise Refusal(400, "VALIDATION_ERROR", "file.name is required", path="file.name")
        number = body.get("invoiceNumber")
        if number is not None and not isinstance(number, str):
            raise Refusal(
                400, "VALIDATION_ERROR", "invoiceNumber must be a string", path="invoiceNumber"
            )
        self._refuse_order(stored)
        self.scan(stored)
        now = self.state.clock.now()
        if any(i.scan == "WAITING" for i in stored.invoices):
            raise Refusal(
                422,
                "UnprocessableEntityException",
                f"Security scan for SELLER invoice in given order [{stored.data['id']}] "
                "is in progress.",
            )
        limit = self.state.invoice_limit
        if limit is not None and len(stored.invoices) >= limit:
            raise Refusal(409, "CONFLICT", "Order with given id already has seller invoice")
        last = stored.invoices[-1] if stored.invoices else None
        pause = timedelta(seconds=self.state.invoice_metadata_pause)
        if last is not None and last.uploaded_at is None and now - last.created_at < pause:
            raise Refusal(
                429,
                "TooManyRequestsException",
                "You're trying to add another metadata too fast. Upload a file to previously "
                "added metadata or wait a few seconds before adding next metadata.",
            )
        invoice_id = str(uuid.UUID(int=self.state.rng.getrandbits(128), version=4))
        invoice = StoredInvoice(invoice_id, number, name, now)
        stored.invoices.append(invoice)
        return ok({"id": invoice.id}, 201)

    @route(
        "PUT",
        "/order/checkout-forms/{id}/invoices/{invoiceId}/file",
        access=Access(ORDERS_WRITE),
        raw="application/pdf",
    )
    def upload_file(self, exchange: Exchange) -> FakeResponse:
        stored = self.state.own_form(exchange)
        wanted = exchange.path_params["invoiceId"]
        invoice = next((i for i in stored.invoices if i.id == wanted), None)
        if invoice is None:
            raise Refusal(404, "NotFoundException", f"Invoice {wanted} not found")
        if invoice.uploaded_at is not None:
            raise Refusal(
                409, "CONFLICT", "Invoice with given id already has invoice file uploaded"
            )
        content = exchange.request.body
        if len(content) > FILE_LIMIT:
            raise Refusal(413, "PAYLOAD_TOO_LARGE", "The file is too large. Max file size is 3MB")
        if not content:
            raise Refusal(422, "UnprocessableEntityException", "Uploaded file is empty")
        self._refuse_order(stored, taking_files=True)
        invoice.content = bytes(content)
        invoice.uploaded_at = self.state.clock.now()
        invoice.scan = "WAITING"
        invoice.reject = invoice.reject or EICAR in content
        self.scan(stored)
        return FakeResponse(200)

    def _refuse_order(self, stored: StoredForm, *, taking_files: bool = False) -> None:
        if stored.data.get("status") == "CANCELLED":
            raise Refusal(422, "UnprocessableEntityException", "Order's payment is rejected")
        if stored.invoice_refusal is not None and not taking_files:
            raise Refusal(422, "UnprocessableEntityException", stored.invoice_refusal)

    def scan(self, stored: StoredForm) -> None:
        """End the scans whose time is up."""
        now = self.state.clock.now()
        took = timedelta(seconds=self.state.invoice_scan_seconds)
        for invoice in stored.invoices:
            waiting = invoice.scan == "WAITING" and invoice.uploaded_at is not None
            if waiting and now - invoice.uploaded_at >= took:
                invoice.scan = "REJECTED" if invoice.reject else "ACCEPTED"
                invoice.verified_at = now
